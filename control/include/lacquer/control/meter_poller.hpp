#pragma once
// The one reader of the engine's meters: a timer on the control executor reads the newest
// snapshot at UI rate and hands it, with the transport state, to every sink (the OSC and
// WebSocket servers), which pace each subscriber at its own rate.

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "lacquer/control/hub.hpp"
#include "lacquer/control/rate_limit.hpp"
#include "lacquer/dsp/chain.hpp"

namespace lacquer::control {

/// One meter value under its protocol path ("/meter/out/peak_l").
struct MeterReading {
  std::string_view path;
  double value = 0.0;
};

/// What one poll read.
struct MeterFrame {
  std::vector<MeterReading> readings;
  std::uint64_t frames = 0;  ///< frames the chain had processed
};

/// Silence and "not measured yet" (-inf, NaN) are sent as this floor: JSON has no infinity
/// and many surfaces mishandle it.
inline constexpr double kMeterFloorDb = -150.0;

/// Every meter path, in the order of MeterFrame::readings.
std::span<const std::string_view> meter_paths();

/// The readings of a snapshot, floored (see kMeterFloorDb).
MeterFrame meter_frame(const dsp::MeterSnapshot& snapshot);

class MeterSink {
 public:
  virtual ~MeterSink() = default;
  virtual void on_meters(const MeterFrame& frame, Clock::time_point now) = 0;
  virtual void on_transport(const TransportState& state, Clock::time_point now) = 0;
};

class MeterPoller {
 public:
  /// Reads the newest snapshot; false when none was published since the last read.
  using Reader = std::function<bool(dsp::MeterSnapshot&)>;

  /// `hub` gives the transport state (may have no transport).
  MeterPoller(boost::asio::io_context& io, Reader read, const ControlHub& hub,
              double rate_hz = 30.0);
  MeterPoller(const MeterPoller&) = delete;
  MeterPoller& operator=(const MeterPoller&) = delete;

  void add_sink(MeterSink* sink) { sinks_.push_back(sink); }
  void remove_sink(MeterSink* sink) { std::erase(sinks_, sink); }

  void start();
  void stop();

  /// Snapshots read so far.
  std::uint64_t reads() const noexcept { return reads_; }

 private:
  void arm();
  void poll();

  boost::asio::steady_timer timer_;
  Reader read_;
  const ControlHub& hub_;
  Clock::duration period_;
  std::vector<MeterSink*> sinks_;
  dsp::MeterSnapshot snapshot_;
  std::uint64_t reads_ = 0;
  bool running_ = false;
};

}  // namespace lacquer::control
