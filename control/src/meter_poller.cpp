#include "lacquer/control/meter_poller.hpp"

#include <array>
#include <cmath>

namespace lacquer::control {

namespace {

struct MeterField {
  std::string_view path;
  double (*read)(const dsp::MeterSnapshot&);
};

// The one table of meters: adding a field to dsp::MeterSnapshot means one line here, and
// the protocol document and the pushes follow.
constexpr std::array<MeterField, 4> kMeters = {{
    {"/meter/in/peak_l", [](const dsp::MeterSnapshot& m) { return m.sample_peak_in_dbfs[0]; }},
    {"/meter/in/peak_r", [](const dsp::MeterSnapshot& m) { return m.sample_peak_in_dbfs[1]; }},
    {"/meter/out/peak_l", [](const dsp::MeterSnapshot& m) { return m.sample_peak_out_dbfs[0]; }},
    {"/meter/out/peak_r", [](const dsp::MeterSnapshot& m) { return m.sample_peak_out_dbfs[1]; }},
}};

constexpr std::array<std::string_view, kMeters.size()> make_paths() {
  std::array<std::string_view, kMeters.size()> paths{};
  for (std::size_t i = 0; i < kMeters.size(); ++i) paths[i] = kMeters[i].path;
  return paths;
}
constexpr auto kMeterPaths = make_paths();

}  // namespace

std::span<const std::string_view> meter_paths() { return kMeterPaths; }

MeterFrame meter_frame(const dsp::MeterSnapshot& snapshot) {
  MeterFrame frame;
  frame.frames = snapshot.frames;
  frame.readings.reserve(kMeters.size());
  for (const auto& field : kMeters) {
    const double v = field.read(snapshot);
    frame.readings.push_back({field.path, std::isfinite(v) ? std::max(v, kMeterFloorDb)
                                                           : kMeterFloorDb});
  }
  return frame;
}

MeterPoller::MeterPoller(boost::asio::io_context& io, Reader read, const ControlHub& hub,
                         double rate_hz)
    : timer_(io),
      read_(std::move(read)),
      hub_(hub),
      period_(std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(1.0 / std::clamp(rate_hz, 1.0, 200.0)))) {}

void MeterPoller::start() {
  running_ = true;
  arm();
}

void MeterPoller::stop() {
  running_ = false;
  timer_.cancel();
}

void MeterPoller::arm() {
  timer_.expires_after(period_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_) return;
    poll();
    arm();
  });
}

void MeterPoller::poll() {
  const auto now = Clock::now();
  if (read_(snapshot_)) {
    ++reads_;
    const MeterFrame frame = meter_frame(snapshot_);
    for (MeterSink* sink : sinks_) sink->on_meters(frame, now);
  }
  if (const auto transport = hub_.transport_state()) {
    for (MeterSink* sink : sinks_) sink->on_transport(*transport, now);
  }
}

}  // namespace lacquer::control
