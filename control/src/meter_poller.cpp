#include "lacquer/control/meter_poller.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace lacquer::control {

namespace {

struct MeterField {
  std::string_view path;
  double (*read)(const dsp::MeterSnapshot&);
};

double louder(const std::array<double, 2>& v) { return std::max(v[0], v[1]); }

// The one table of meters: adding a field to dsp::MeterSnapshot means one line here, and
// the protocol document and the pushes follow.
using M = dsp::MeterSnapshot;
constexpr std::array<MeterField, 33> kMeters = {{
    {"/meter/in/lufs_m", [](const M& m) { return m.in.loudness.momentary_lufs; }},
    {"/meter/in/lufs_s", [](const M& m) { return m.in.loudness.short_term_lufs; }},
    {"/meter/in/lufs_i", [](const M& m) { return m.in.loudness.integrated_lufs; }},
    {"/meter/in/lra", [](const M& m) { return m.in.loudness.lra_lu; }},
    {"/meter/in/tp", [](const M& m) { return louder(m.in.true_peak_dbtp); }},
    {"/meter/in/tp_max", [](const M& m) { return louder(m.in.true_peak_max_dbtp); }},
    {"/meter/in/peak_l", [](const M& m) { return m.sample_peak_in_dbfs[0]; }},
    {"/meter/in/peak_r", [](const M& m) { return m.sample_peak_in_dbfs[1]; }},
    {"/meter/in/plr", [](const M& m) { return m.in.plr_db; }},
    {"/meter/in/correlation", [](const M& m) { return m.in.correlation; }},
    {"/meter/out/lufs_m", [](const M& m) { return m.out.loudness.momentary_lufs; }},
    {"/meter/out/lufs_s", [](const M& m) { return m.out.loudness.short_term_lufs; }},
    {"/meter/out/lufs_i", [](const M& m) { return m.out.loudness.integrated_lufs; }},
    {"/meter/out/lra", [](const M& m) { return m.out.loudness.lra_lu; }},
    {"/meter/out/tp", [](const M& m) { return louder(m.out.true_peak_dbtp); }},
    {"/meter/out/tp_max", [](const M& m) { return louder(m.out.true_peak_max_dbtp); }},
    {"/meter/out/peak_l", [](const M& m) { return m.sample_peak_out_dbfs[0]; }},
    {"/meter/out/peak_r", [](const M& m) { return m.sample_peak_out_dbfs[1]; }},
    {"/meter/out/plr", [](const M& m) { return m.out.plr_db; }},
    {"/meter/out/correlation", [](const M& m) { return m.out.correlation; }},
    {"/meter/multiband/1/gr", [](const M& m) { return m.multiband_gr_db[0]; }},
    {"/meter/multiband/2/gr", [](const M& m) { return m.multiband_gr_db[1]; }},
    {"/meter/multiband/3/gr", [](const M& m) { return m.multiband_gr_db[2]; }},
    {"/meter/multiband/4/gr", [](const M& m) { return m.multiband_gr_db[3]; }},
    {"/meter/comp/gr", [](const M& m) { return m.comp_gr_db; }},
    {"/meter/deesser/gr", [](const M& m) { return m.deesser_gr_db; }},
    {"/meter/limiter/gr", [](const M& m) { return m.limiter_gr_db; }},
    // The detector levels the dynamics stages' static curves act on (consoles draw each
    // stage's operating point on its curve from the level and the gain reduction).
    {"/meter/multiband/1/detector", [](const M& m) { return m.multiband_level_db[0]; }},
    {"/meter/multiband/2/detector", [](const M& m) { return m.multiband_level_db[1]; }},
    {"/meter/multiband/3/detector", [](const M& m) { return m.multiband_level_db[2]; }},
    {"/meter/multiband/4/detector", [](const M& m) { return m.multiband_level_db[3]; }},
    {"/meter/comp/detector", [](const M& m) { return m.comp_level_db; }},
    {"/meter/deesser/detector", [](const M& m) { return m.deesser_level_db; }},
}};
static_assert(dsp::MultibandStage::kBands == 4,
              "one /meter/multiband/N/gr and /detector line per band");

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
