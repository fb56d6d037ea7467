#pragma once
// The mastering chain (print path) and the monitor path for one sample rate. Constructed
// off the audio thread (it allocates); process() never allocates, locks or blocks.
//
// Print path, on planar double buffers of at most kMaxBlock frames:
//   input -> eq -> multiband -> comp -> stereo -> deesser -> limiter -> output
// Monitor path: the print output and the bypass signal (the chain input delayed by the chain
// latency, so a compare never jumps in time) through MonitorPath.

#include <array>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "lacquer/dsp/comp_binding.hpp"
#include "lacquer/dsp/deesser_binding.hpp"
#include "lacquer/dsp/eq_binding.hpp"
#include "lacquer/dsp/input_binding.hpp"
#include "lacquer/dsp/limiter_binding.hpp"
#include "lacquer/dsp/meters.hpp"
#include "lacquer/dsp/monitor_binding.hpp"
#include "lacquer/dsp/monitor_path.hpp"
#include "lacquer/dsp/multiband_binding.hpp"
#include "lacquer/dsp/output_binding.hpp"
#include "lacquer/dsp/param_store.hpp"
#include "lacquer/dsp/stage.hpp"
#include "lacquer/dsp/stereo_binding.hpp"

namespace lacquer::dsp {

/// What the meters read at the end of a block; copied out of the audio thread whole.
struct MeterSnapshot {
  double sample_peak_in_dbfs[2] = {-INFINITY, -INFINITY};   ///< falling display value
  double sample_peak_out_dbfs[2] = {-INFINITY, -INFINITY};  ///< falling display value
  MeterReading in;   ///< chain input: loudness, LRA, peaks, PLR, correlation
  MeterReading out;  ///< print output
  double multiband_gr_db[MultibandStage::kBands] = {};  ///< per band, >= 0
  /// Per band, the detector level its static curve acts on (dB, held at its peaks).
  double multiband_level_db[MultibandStage::kBands] = {};
  double comp_gr_db = 0.0;     ///< gain reduction, >= 0
  double comp_level_db = 0.0;  ///< detector level (dB, held at its peaks)
  double deesser_gr_db = 0.0;     ///< the high band's gain reduction, >= 0
  double deesser_level_db = 0.0;  ///< the high band's detector level (dB)
  double limiter_gr_db = 0.0;  ///< gain reduction, >= 0
  std::uint64_t frames = 0;    ///< frames processed by this chain so far
};

/// The print path, in processing order: one binding per stage (stage.hpp).
using PrintPath = StageList<InputBinding, EqBinding, MultibandBinding, CompBinding, StereoBinding,
                            DeesserBinding, LimiterBinding, OutputBinding>;
/// The print path cut before the limiter. Nothing in front of it depends on the limiter's
/// drive, so an offline render reaching a loudness target computes the front once and
/// searches the drive on the back alone. Run in Chain::kMaxBlock steps from the same block
/// starts as Chain::process, front then back gives the chain's output to the bit.
using PrintFront =
    StageList<InputBinding, EqBinding, MultibandBinding, CompBinding, StereoBinding, DeesserBinding>;
using PrintBack = StageList<LimiterBinding, OutputBinding>;

namespace detail {
template <typename A, typename B>
struct JoinStages;
template <typename... A, typename... B>
struct JoinStages<StageList<A...>, StageList<B...>> {
  using type = StageList<A..., B...>;
};
}  // namespace detail
static_assert(std::is_same_v<PrintPath, detail::JoinStages<PrintFront, PrintBack>::type>,
              "PrintFront then PrintBack is the print path");

class Chain {
 public:
  /// Largest block processed in one pass; longer blocks are split.
  static constexpr std::uint32_t kMaxBlock = 256;

  /// Prepares every stage at `sample_rate`, starting at the store's current values.
  Chain(const ParamStore& params, double sample_rate);

  /// The monitors' other sources and the listeners' feed for one process() call, nframes
  /// each: what the chains of snapshots A and B printed from the same input (while they
  /// run), the reference track (while one is loaded) and where the listeners' feed goes.
  struct MonitorFeeds {
    std::array<const Chain*, 2> chains{};                // A, B; null unless they run
    std::array<std::array<const float*, 2>, 2> print{};  // [A|B][channel]
    std::array<const float*, 2> reference{};             // null: no reference loaded
    MonitorPath::SourceLoudness reference_loudness{};
    std::array<float*, 2> listen{};                      // null: nobody listens
  };

  /// Audio thread. `in`, `out` (print) and `mon` (monitors) are two channels each, any
  /// nframes; `in` may alias `out`. `mon` may be null (offline renders, the snapshot chains):
  /// the monitor path is then skipped, and so are `feeds`. A chain either monitors on every
  /// call or on none: its bypass source only keeps the input while it monitors.
  void process(const float* const in[2], float* const out[2], float* const mon[2],
               std::uint32_t nframes, const MonitorFeeds* feeds = nullptr) noexcept;

  /// Turns the input/output meters on (the default) or off. Offline
  /// renders measure the file they write and switch them off: true-peak metering is a large
  /// part of the chain's cost. Loudness-matched monitoring needs them on.
  void set_metering(bool on) noexcept { metering_ = on; }
  /// Audio thread: a new measurement on the input and output meters (integrated, LRA,
  /// maxima) from the next frame in, as after a locate; the running readings go on. Each
  /// meter starts over when that frame reaches it: the output's after the chain's latency.
  void restart_meters() noexcept {
    in_restart_in_ = TruePeakDetector::kDelayFrames + 1;
    out_restart_in_ = latency_ + TruePeakDetector::kDelayFrames + 1;
  }

  /// Total latency of the print path in frames (the monitor path adds none on top).
  std::uint32_t latency_frames() const noexcept { return latency_; }
  double sample_rate() const noexcept { return sample_rate_; }
  const MeterSnapshot& meters() const noexcept { return meters_; }

 private:
  /// Re-reads the Params of the stages whose parameters changed and applies them.
  void read_params() noexcept;
  void process_block(const float* const in[2], float* const out[2], float* const mon[2],
                     std::uint32_t offset, std::uint32_t n) noexcept;
  void meter(std::uint32_t n) noexcept;

  const ParamStore& params_;
  double sample_rate_;
  std::uint64_t seen_version_ = 0;  // store version last read

  PrintPath print_;
  MonitorPath monitor_;
  BoundParams<MonitorBinding> monitor_params_;

  std::uint32_t latency_ = 0;
  // Planar working buffers of kMaxBlock frames: the block's input, the print path, the
  // delayed input (bypass source), the snapshot chains' prints, the reference, the monitor
  // feed and the listeners' feed.
  std::array<std::vector<double>, 2> in_, buf_, dry_, snapshot_a_, snapshot_b_, reference_, mon_,
      listen_;
  const MonitorFeeds* feeds_ = nullptr;  // during process()
  // The input delayed by the chain latency: a ring of a power-of-two size.
  std::array<std::vector<double>, 2> dry_ring_;
  std::uint32_t dry_mask_ = 0;
  std::uint32_t dry_write_ = 0;

  bool metering_ = true;
  ProgramMeter in_meter_, out_meter_;
  // Frames each meter still takes before a restart asked for reaches it (0: none pending).
  std::uint32_t in_restart_in_ = 0, out_restart_in_ = 0;
  MeterSnapshot meters_;
};

}  // namespace lacquer::dsp
