#pragma once
// The chain offline: reads a file, runs the print path exactly as live (latency compensated,
// so the output lines up with the input), optionally reaches a loudness target, resamples,
// reduces the word length with dither, and writes WAV or FLAC. The output file appears only
// when the whole render succeeded (written to a temporary file beside it, then renamed).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lacquer/dsp/param_store.hpp"
#include "lacquer/dsp/targets.hpp"
#include "offline/flac_writer.hpp"

namespace lacquer::daemon {

/// An expected failure of a render (bad input, bad setting, unreachable target): the message
/// is one line for the user.
class RenderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The print path in front of the limiter (dsp::PrintFront) run over one input and kept in
/// memory, with what the input check found in it. A render of the same input whose values in
/// front of the limiter are the same starts from it and runs only the limiter and what
/// follows: deliver renders each track's front once for all its formats.
class PreparedFront;
/// The memory a kept front takes.
std::size_t memory_bytes(const PreparedFront& front) noexcept;

struct RenderRequest {
  std::filesystem::path input;
  std::filesystem::path output;
  std::optional<std::filesystem::path> chain_file;  ///< JSON object: path -> value
  nlohmann::json chain = nullptr;                   ///< the same object in memory (a snapshot)
  std::vector<std::string> settings;                ///< "PATH=VALUE", applied after the file
  std::optional<std::string> target;                ///< a name of dsp::kTargets
  /// A destination of the caller's own, used instead of `target` (deliver's album mode: a
  /// service's ceiling without its loudness, which one gain for the album sets).
  std::optional<dsp::LoudnessTarget> destination;
  std::optional<std::string> bits;                  ///< "16", "24" or "32f"
  std::optional<double> rate_hz;                    ///< deliverable sample rate
  bool progress = false;                            ///< draw a progress bar on stderr
  /// Memory a target's passes may keep the signal in front of the limiter (16 bytes an input
  /// frame) and a pass's output (8 bytes an output frame) in. Within it the stages in front of
  /// the limiter run once, each further pass runs the limiter and the output alone, and only
  /// the accepted pass is encoded and written; a longer input runs the whole chain and writes
  /// the file on every pass. The default, 1 GiB, holds 15 min at 48 kHz (7 min at 96 kHz).
  std::size_t hold_bytes = std::size_t{1} << 30;
  /// A front an earlier render kept (RenderResult::front): used when it is of this input and
  /// of this chain's values in front of the limiter, ignored otherwise.
  std::shared_ptr<const PreparedFront> front;
  /// Keep this render's front in RenderResult::front, when it fits in hold_bytes.
  bool keep_front = false;
  /// Vorbis comments of a FLAC output, written with it (a WAV output takes none).
  VorbisComments tags;
};

struct RenderResult {
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;
  double sample_rate_hz = 0.0;   ///< of the output
  double integrated_lufs = 0.0;  ///< of the output as written
  double true_peak_dbtp = 0.0;   ///< of the output as written
  double drive_db = 0.0;         ///< limiter drive of the final pass
  /// Limiter ceiling of the final pass: the target's, lowered by what resampling or dither
  /// put over it in an earlier pass.
  double ceiling_dbtp = 0.0;
  int passes = 0;                ///< renders run (more than one when reaching a target)
  /// Problems of the input itself (clipping, true peak over 0 dBTP), one line each.
  std::vector<std::string> input_warnings;
  /// Settings that were out of range and clamped, one line each.
  std::vector<std::string> clamped_settings;
  /// The front this render ran, when RenderRequest::keep_front asked for it.
  std::shared_ptr<const PreparedFront> front;
};

/// Runs the render; throws RenderError on bad input or settings.
RenderResult render(const RenderRequest& request);

/// Applies a chain file (a JSON object of path -> number, boolean or choice name). Values are
/// validated as the command model does: out of range is clamped, and when `clamped` is given a
/// line per clamped value is added to it; NaN, a wrong type, an unknown choice or a path
/// outside /chain/ throws RenderError naming the path.
void apply_chain_file(dsp::ParamStore& store, const std::filesystem::path& file,
                      std::vector<std::string>* clamped = nullptr);

/// Applies a chain object (as in a chain file); `what` names it in errors.
void apply_chain(dsp::ParamStore& store, const nlohmann::json& doc, const std::string& what,
                 std::vector<std::string>* clamped = nullptr);

/// Applies one "PATH=VALUE" setting: a number, a choice name, or for switches also
/// true/false/on/off.
void apply_setting(dsp::ParamStore& store, std::string_view setting,
                   std::vector<std::string>* clamped = nullptr);

}  // namespace lacquer::daemon
