#include "offline/offline_render.hpp"

#include <ebur128.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "lacquer/control/dispatch.hpp"
#include "lacquer/control/hub.hpp"

#include "lacquer/analysis/input_check.hpp"
#include "lacquer/dsp/chain.hpp"
#include "lacquer/dsp/dither.hpp"
#include "lacquer/dsp/resampler.hpp"
#include "lacquer/dsp/targets.hpp"
#include "lacquer/dsp/true_peak.hpp"

namespace lacquer::daemon {

namespace fs = std::filesystem;
using dsp::ParamId;
using dsp::ParamSpec;
using dsp::ParamType;
using dsp::Schema;

namespace {

/// Frames read from the input per step.
constexpr std::uint32_t kIoBlock = 4096;
/// Loudness error at which a target counts as reached (the contract allows 0.5 LU).
constexpr double kTargetToleranceLu = 0.2;
constexpr int kMaxPasses = 10;

// ---- sound files -------------------------------------------------------------------------

struct SndfileCloser {
  void operator()(SNDFILE* f) const noexcept { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

struct InputFile {
  SndfilePtr file;
  SF_INFO info{};
};

InputFile open_input(const fs::path& path) {
  InputFile in;
  in.file.reset(sf_open(path.c_str(), SFM_READ, &in.info));
  if (!in.file) {
    throw RenderError("cannot read " + path.string() + ": " + sf_strerror(nullptr));
  }
  if (in.info.frames <= 0) throw RenderError(path.string() + " holds no audio frames");
  if (in.info.channels > 2) {
    // A multichannel mix has no single right stereo fold-down for mastering; refuse it rather
    // than guess one.
    throw RenderError(path.string() + " has " + std::to_string(in.info.channels) +
                      " channels; render takes mono or stereo files");
  }
  return in;
}

enum class Container { wav, flac };

Container container_of(const fs::path& out) {
  std::string ext = out.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".wav") return Container::wav;
  if (ext == ".flac") return Container::flac;
  throw RenderError("output " + out.string() + ": the extension must be .wav or .flac");
}

/// The temporary file the render writes; removed unless committed by renaming it to the
/// output path.
class TempOutput {
 public:
  explicit TempOutput(const fs::path& out) : out_(out) {
    const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
    std::string pattern = (dir / ("." + out.filename().string() + ".XXXXXX")).string();
    const int fd = mkstemp(pattern.data());
    if (fd < 0) throw RenderError("cannot write in " + dir.string() + ": " + std::strerror(errno));
    // mkstemp makes the file private; the output gets the mode any new file would.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
    ::close(fd);
    path_ = pattern;
  }
  ~TempOutput() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove(path_, ec);
    }
  }
  TempOutput(const TempOutput&) = delete;
  TempOutput& operator=(const TempOutput&) = delete;

  const fs::path& path() const { return path_; }

  void commit() {
    std::error_code ec;
    fs::rename(path_, out_, ec);
    if (ec) throw RenderError("cannot create " + out_.string() + ": " + ec.message());
    path_.clear();
  }

 private:
  fs::path out_;
  fs::path path_;
};

// ---- the output format -------------------------------------------------------------------

struct Format {
  Container container = Container::wav;
  int bits = 0;  // 16 or 24 (integer PCM, dithered); 0 for 32-bit float
  double rate_hz = 0.0;
};

int sf_format(const Format& f) {
  const int major = f.container == Container::wav ? SF_FORMAT_WAV : SF_FORMAT_FLAC;
  if (f.bits == 16) return major | SF_FORMAT_PCM_16;
  if (f.bits == 24) return major | SF_FORMAT_PCM_24;
  return major | SF_FORMAT_FLOAT;
}

// ---- one pass --------------------------------------------------------------------------

struct Measurement {
  double integrated_lufs = -INFINITY;
  double true_peak_dbtp = -INFINITY;
  std::uint64_t frames_out = 0;
};

class Progress {
 public:
  Progress(bool enabled, std::uint64_t total, int pass)
      : enabled_(enabled), total_(total), pass_(pass) {}
  void update(std::uint64_t done) {
    if (!enabled_ || total_ == 0) return;
    const int percent = static_cast<int>(std::min<std::uint64_t>(100, 100 * done / total_));
    if (percent == shown_) return;
    shown_ = percent;
    constexpr int kWidth = 40;
    const int filled = percent * kWidth / 100;
    std::fprintf(stderr, "\rrender pass %d [%s%s] %3d%%", pass_,
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), percent);
    std::fflush(stderr);
  }
  ~Progress() {
    if (enabled_ && shown_ >= 0) std::fputc('\n', stderr);
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

 private:
  bool enabled_;
  std::uint64_t total_;
  int pass_;
  int shown_ = -1;
};

struct EburCloser {
  void operator()(ebur128_state* s) const noexcept { ebur128_destroy(&s); }
};

/// Runs the chain over the whole input once, writing one file and measuring what it wrote:
/// input -> chain (word length untouched) -> resampler -> dither -> file. Dither comes last
/// so that the file holds exactly the dithered grid values.
class Pass {
 public:
  Pass(const dsp::ParamStore& store, InputFile& in, const Format& format,
       dsp::DitherType dither)
      : in_(in), format_(format), chain_(store, in.info.samplerate) {
    chain_.set_metering(false);
    skip_ = chain_.latency_frames();
    if (format.rate_hz != in.info.samplerate) {
      try {
        resampler_ = std::make_unique<dsp::Resampler>(in.info.samplerate, format.rate_hz, 2);
      } catch (const std::runtime_error& e) {
        throw RenderError(std::string("cannot resample: ") + e.what());
      }
      const auto capacity = static_cast<std::size_t>(std::ceil(kIoBlock * resampler_->ratio())) + 64;
      for (auto& v : resampled_) v.resize(capacity);
    }
    dither_.prepare(format.rate_hz);
    if (format.bits > 0) dither_.set(dither, format.bits);
    // Loudness by libebur128; the true peak by the limiter's detector, which reads at least
    // what libebur128 would and skips the interpolation where no reading can beat the
    // largest so far (libebur128's own true-peak mode costs more than the whole chain).
    ebur_.reset(ebur128_init(2, static_cast<unsigned long>(std::lround(format.rate_hz)),
                             EBUR128_MODE_I));
    true_peak_ = dsp::StereoTruePeakDetector(dsp::TruePeakDetector::Mode::kConservative,
                                             format.rate_hz);
    for (auto& v : planar_in_) v.resize(kIoBlock);
    for (auto& v : planar_out_) v.resize(kIoBlock);
    interleaved_in_.resize(static_cast<std::size_t>(kIoBlock) * in.info.channels);
  }

  /// `check`, when given, sees the input as it is read.
  Measurement run(const fs::path& out_path, Progress& progress, analysis::InputCheck* check);

 private:
  void emit(const float* left, const float* right, std::uint32_t n);
  void deliver(const double* left, const double* right, std::size_t n);

  InputFile& in_;
  Format format_;
  dsp::Chain chain_;
  std::unique_ptr<dsp::Resampler> resampler_;
  std::array<std::vector<double>, 2> resampled_;  // the resampler's output block
  dsp::Dither dither_;
  std::unique_ptr<ebur128_state, EburCloser> ebur_;
  dsp::StereoTruePeakDetector true_peak_;
  double peak_ = 0.0;  // largest true-peak reading of the output so far (linear)
  SndfilePtr out_;
  std::uint32_t skip_ = 0;  // chain latency frames still to drop from the output
  std::uint64_t written_ = 0;
  std::vector<float> interleaved_in_;
  std::array<std::vector<float>, 2> planar_in_, planar_out_;
  std::array<std::vector<double>, 2> widened_;  // the chain's output block in double
  std::array<std::vector<double>, 2> wide_;     // the block being dithered
  std::vector<double> interleaved_out_;
  std::vector<std::int32_t> pcm_;
  std::vector<float> float_out_;
};

Measurement Pass::run(const fs::path& out_path, Progress& progress, analysis::InputCheck* check) {
  SF_INFO info{};
  info.samplerate = static_cast<int>(std::lround(format_.rate_hz));
  info.channels = 2;
  info.format = sf_format(format_);
  out_.reset(sf_open(out_path.c_str(), SFM_WRITE, &info));
  if (!out_) throw RenderError("cannot write " + out_path.string() + ": " + sf_strerror(nullptr));
  if (sf_seek(in_.file.get(), 0, SEEK_SET) != 0) {
    throw RenderError("cannot rewind the input: " + std::string(sf_strerror(in_.file.get())));
  }

  const int channels = in_.info.channels;
  const auto total = static_cast<std::uint64_t>(in_.info.frames);
  std::uint64_t read = 0;
  std::uint64_t tail = chain_.latency_frames();  // zeros that flush the chain's delay
  while (read < total || tail > 0) {
    std::uint32_t n = 0;
    if (read < total) {
      const sf_count_t got = sf_readf_float(in_.file.get(), interleaved_in_.data(), kIoBlock);
      if (got <= 0) throw RenderError("the input ends early (read error after " +
                                      std::to_string(read) + " frames)");
      n = static_cast<std::uint32_t>(got);
      if (check != nullptr) check->push(interleaved_in_.data(), n);
      for (std::uint32_t i = 0; i < n; ++i) {
        const float l = interleaved_in_[static_cast<std::size_t>(i) * channels];
        const float r = channels == 2 ? interleaved_in_[2 * static_cast<std::size_t>(i) + 1] : l;
        if (!std::isfinite(l) || !std::isfinite(r)) {
          throw RenderError("the input holds a non-finite sample at frame " +
                            std::to_string(read + i));
        }
        planar_in_[0][i] = l;
        planar_in_[1][i] = r;
      }
      read += n;
    } else {
      n = static_cast<std::uint32_t>(std::min<std::uint64_t>(tail, kIoBlock));
      std::fill_n(planar_in_[0].begin(), n, 0.0f);
      std::fill_n(planar_in_[1].begin(), n, 0.0f);
      tail -= n;
    }
    const float* in[2] = {planar_in_[0].data(), planar_in_[1].data()};
    float* out[2] = {planar_out_[0].data(), planar_out_[1].data()};
    chain_.process(in, out, nullptr, n);
    const std::uint32_t drop = std::min(skip_, n);
    skip_ -= drop;
    emit(planar_out_[0].data() + drop, planar_out_[1].data() + drop, n - drop);
    progress.update(read + chain_.latency_frames() - tail);
  }
  if (resampler_) {
    double* out[2] = {resampled_[0].data(), resampled_[1].data()};
    while (const std::size_t k = resampler_->flush(out, resampled_[0].size())) {
      deliver(out[0], out[1], k);
    }
  }
  out_.reset();  // closes and finalises the header
  // The detector reads the instants around a frame kDelayFrames pushes later.
  for (std::uint32_t i = 0; i < dsp::TruePeakDetector::kDelayFrames; ++i) {
    peak_ = std::max(peak_, true_peak_.push(0.0, 0.0));
  }

  Measurement m;
  m.frames_out = written_;
  ebur128_loudness_global(ebur_.get(), &m.integrated_lufs);
  m.true_peak_dbtp = dsp::gain_to_db(peak_);
  return m;
}

void Pass::emit(const float* left, const float* right, std::uint32_t n) {
  if (n == 0) return;
  for (auto& w : widened_) w.resize(n);
  std::copy(left, left + n, widened_[0].begin());
  std::copy(right, right + n, widened_[1].begin());
  if (!resampler_) {
    deliver(widened_[0].data(), widened_[1].data(), n);
    return;
  }
  double* out[2] = {resampled_[0].data(), resampled_[1].data()};
  for (std::size_t done = 0; done < n;) {
    const double* in[2] = {widened_[0].data() + done, widened_[1].data() + done};
    const auto r = resampler_->process(in, n - done, out, resampled_[0].size());
    deliver(out[0], out[1], r.produced);
    done += r.consumed;
  }
}

void Pass::deliver(const double* left, const double* right, std::size_t n) {
  if (n == 0) return;
  interleaved_out_.resize(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    interleaved_out_[2 * i] = left[i];
    interleaved_out_[2 * i + 1] = right[i];
  }
  if (format_.bits > 0) {
    // The dither works in place on planar data; run it on copies laid out per channel.
    for (auto& w : wide_) w.resize(n);
    std::copy(left, left + n, wide_[0].begin());
    std::copy(right, right + n, wide_[1].begin());
    dither_.process(wide_[0].data(), wide_[1].data(), static_cast<std::uint32_t>(n));
    const double scale = std::ldexp(1.0, format_.bits - 1);
    const int shift = 32 - format_.bits;
    pcm_.resize(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
      for (int c = 0; c < 2; ++c) {
        const double y = wide_[c][i];
        interleaved_out_[2 * i + c] = y;
        // y is on the grid k / 2^(bits-1); the integer k goes to the top bits of an int32,
        // which is how libsndfile takes integer PCM of any word length.
        const auto k = static_cast<std::int32_t>(std::rint(y * scale));
        pcm_[2 * i + c] = static_cast<std::int32_t>(static_cast<std::uint32_t>(k) << shift);
      }
    }
    if (sf_writef_int(out_.get(), pcm_.data(), static_cast<sf_count_t>(n)) !=
        static_cast<sf_count_t>(n)) {
      throw RenderError("cannot write the output: " + std::string(sf_strerror(out_.get())));
    }
  } else {
    float_out_.resize(2 * n);
    for (std::size_t i = 0; i < 2 * n; ++i) float_out_[i] = static_cast<float>(interleaved_out_[i]);
    for (std::size_t i = 0; i < 2 * n; ++i) interleaved_out_[i] = float_out_[i];
    if (sf_writef_float(out_.get(), float_out_.data(), static_cast<sf_count_t>(n)) !=
        static_cast<sf_count_t>(n)) {
      throw RenderError("cannot write the output: " + std::string(sf_strerror(out_.get())));
    }
  }
  ebur128_add_frames_double(ebur_.get(), interleaved_out_.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    // Readings that cannot exceed the peak so far are not computed (a floor keeps the
    // level positive before the first sound).
    const double level = std::max(peak_, 1e-9);
    peak_ = std::max(peak_, true_peak_.push_above(interleaved_out_[2 * i],
                                                  interleaved_out_[2 * i + 1], level));
  }
  written_ += n;
}

// ---- settings ----------------------------------------------------------------------------

void set_choice(dsp::ParamStore& store, std::string_view path, std::string_view choice) {
  const Schema& schema = store.schema();
  const ParamId id = schema.id(path);
  const auto value = schema.choice_value(id, choice);
  if (!value) throw RenderError(std::string(path) + ": '" + std::string(choice) + "' is not a choice");
  store.set(id, *value);
}

void set_number(dsp::ParamStore& store, std::string_view path, double value) {
  store.set(store.schema().id(path), value);
}

Format choose_format(const RenderRequest& req, const dsp::ParamStore& store,
                     const dsp::LoudnessTarget* target, double input_rate) {
  Format f;
  f.container = container_of(req.output);
  const double chain_bits = store.get(store.schema().id("/chain/output/bits"));
  if (req.bits) {
    f.bits = *req.bits == "16" ? 16 : *req.bits == "24" ? 24 : 0;
  } else if (target != nullptr) {
    // A target renders a deliverable: integer PCM, 24-bit unless the format says otherwise.
    f.bits = target->bits > 0 ? target->bits : 24;
  } else if (chain_bits > 0.5) {
    f.bits = chain_bits > 1.5 ? 24 : 16;
  } else {
    f.bits = f.container == Container::flac ? 24 : 0;
  }
  if (f.container == Container::flac && f.bits == 0) {
    throw RenderError("FLAC holds integer samples only: use --bits 16 or 24");
  }
  f.rate_hz = input_rate;
  if (req.rate_hz) {
    if (!(*req.rate_hz >= 8000.0 && *req.rate_hz <= 768000.0) ||
        *req.rate_hz != std::round(*req.rate_hz)) {
      throw RenderError("--rate must be a whole number of Hz between 8000 and 768000");
    }
    f.rate_hz = *req.rate_hz;
  } else if (target != nullptr && target->sample_rate_hz > 0.0) {
    f.rate_hz = target->sample_rate_hz;
  }
  return f;
}

}  // namespace

// ---- values ------------------------------------------------------------------------------
// Every value goes through the command model's validator, the one OSC, the WebSocket and the
// API use: out of range is clamped (and reported), NaN, a wrong type or an unknown choice is
// refused.

namespace {

const control::Entry& chain_entry(std::string_view path) {
  auto target = control::CommandTable::instance().resolve(path);
  if (!target.ok() || target->norm) throw RenderError("unknown parameter path " + std::string(path));
  if (!target->entry->param || !path.starts_with("/chain/")) {
    throw RenderError(std::string(path) + " is not a parameter of the chain");
  }
  return *target->entry;
}

control::Value value_of_text(const control::Entry& entry, std::string_view text) {
  double number = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size()) return control::Value{number};
  if (entry.type == control::ValueType::boolean) {
    if (text == "true" || text == "on") return control::Value{true};
    if (text == "false" || text == "off") return control::Value{false};
  }
  return control::Value{std::string(text)};
}

void apply_value(dsp::ParamStore& store, const control::Entry& entry, const control::Value& value,
                 std::vector<std::string>* clamped) {
  const auto& table = control::CommandTable::instance();
  auto valid = table.validate(control::Target{&entry, false}, value);
  if (!valid.ok()) throw RenderError(valid.error().message);
  const double applied = std::get<double>(*valid);
  const auto* asked = std::get_if<double>(&value);
  const auto* asked_whole = std::get_if<std::int64_t>(&value);
  const double requested = asked != nullptr ? *asked
                           : asked_whole != nullptr ? static_cast<double>(*asked_whole)
                                                    : applied;
  if (clamped != nullptr && requested != applied) {
    char line[160];
    std::snprintf(line, sizeof line, "%s: %g is clamped to %g%s%s", entry.path.c_str(), requested,
                  applied, entry.unit.empty() ? "" : " ", entry.unit.c_str());
    clamped->push_back(line);
  }
  store.set(*entry.param, applied);
}

}  // namespace

void apply_setting(dsp::ParamStore& store, std::string_view setting,
                   std::vector<std::string>* clamped) {
  const auto eq = setting.find('=');
  if (eq == std::string_view::npos) {
    throw RenderError("--set expects PATH=VALUE, got '" + std::string(setting) + "'");
  }
  const control::Entry& entry = chain_entry(setting.substr(0, eq));
  apply_value(store, entry, value_of_text(entry, setting.substr(eq + 1)), clamped);
}

void apply_chain_file(dsp::ParamStore& store, const fs::path& file,
                      std::vector<std::string>* clamped) {
  std::ifstream in(file);
  if (!in) throw RenderError("cannot read chain file " + file.string());
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw RenderError("chain file " + file.string() + " is not valid JSON (byte " +
                      std::to_string(e.byte) + ")");
  }
  apply_chain(store, doc, "chain file " + file.string(), clamped);
}

void apply_chain(dsp::ParamStore& store, const nlohmann::json& doc, const std::string& what,
                 std::vector<std::string>* clamped) {
  if (!doc.is_object()) throw RenderError(what + " must hold a JSON object of path: value");
  for (const auto& [path, json] : doc.items()) {
    const control::Entry& entry = chain_entry(path);
    auto value = control::value_from_json(json);
    if (!value.ok() || std::holds_alternative<std::monostate>(*value)) {
      throw RenderError(path + ": expected a number, a boolean or a choice name");
    }
    apply_value(store, entry, *value, clamped);
  }
}

}  // namespace lacquer::daemon

namespace lacquer::daemon {

RenderResult render(const RenderRequest& req) {
  const Schema& schema = Schema::instance();
  dsp::ParamStore store(schema);
  container_of(req.output);  // a bad extension fails before any work

  const dsp::LoudnessTarget* target = nullptr;
  if (req.destination) {
    target = &*req.destination;
  } else if (req.target) {
    target = dsp::find_target(*req.target);
    if (target == nullptr) throw RenderError("unknown target '" + *req.target + "'");
  }

  // Order of precedence: the chain file, then the destination's needs, then each --set.
  std::vector<std::string> clamped;
  if (req.chain_file) apply_chain_file(store, *req.chain_file, &clamped);
  if (!req.chain.is_null()) apply_chain(store, req.chain, "the chain", &clamped);
  if (target != nullptr) {
    if (std::isnan(target->ceiling_dbtp)) {
      set_number(store, "/chain/limiter/bypass", 1.0);
    } else {
      set_number(store, "/chain/limiter/bypass", 0.0);
      set_number(store, "/chain/limiter/ceiling", target->ceiling_dbtp);
    }
    if (target->mono_below_hz > 0.0) {
      set_number(store, "/chain/stereo/mono_below", target->mono_below_hz);
    }
  }
  for (const auto& s : req.settings) apply_setting(store, s, &clamped);

  InputFile in = open_input(req.input);
  const Format format = choose_format(req, store, target, in.info.samplerate);
  const auto dither = static_cast<dsp::DitherType>(
      std::lround(store.get(schema.id("/chain/output/dither"))));
  // Word-length reduction happens after resampling, at the very end.
  set_choice(store, "/chain/output/bits", "off");

  const ParamId drive_id = schema.id("/chain/limiter/drive");
  const ParamId ceiling_id = schema.id("/chain/limiter/ceiling");
  const ParamSpec& drive_spec = schema.spec(drive_id);
  const bool limiting = store.get(schema.id("/chain/limiter/bypass")) < 0.5;
  const double ceiling_dbtp = store.get(ceiling_id);
  const double target_lufs = target != nullptr ? target->target_lufs : dsp::kNoTarget;

  TempOutput temp(req.output);
  RenderResult result;
  result.clamped_settings = std::move(clamped);
  result.frames_in = static_cast<std::uint64_t>(in.info.frames);
  result.sample_rate_hz = format.rate_hz;

  analysis::InputCheck check(in.info.samplerate, in.info.channels);
  double drive = store.get(drive_id);
  double margin = 0.0;  // ceiling lowered by what the file's true peak came out above it
  double prev_drive = NAN, prev_lufs = NAN;
  for (int pass = 1;; ++pass) {
    store.set(drive_id, drive);
    store.set(ceiling_id, std::max(schema.spec(ceiling_id).min_value, ceiling_dbtp - margin));
    Measurement m;
    {
      Progress progress(req.progress, result.frames_in + 1, pass);
      Pass p(store, in, format, dither);
      m = p.run(temp.path(), progress, pass == 1 ? &check : nullptr);
    }
    if (pass == 1) result.input_warnings = check.finish();
    result.passes = pass;
    result.frames_out = m.frames_out;
    result.integrated_lufs = m.integrated_lufs;
    result.true_peak_dbtp = m.true_peak_dbtp;
    result.drive_db = drive;

    const bool over_ceiling = limiting && target != nullptr && m.true_peak_dbtp > ceiling_dbtp;
    const bool off_target =
        !std::isnan(target_lufs) && std::abs(target_lufs - m.integrated_lufs) > kTargetToleranceLu;
    if (!over_ceiling && !off_target) break;

    char what[160];
    if (!std::isfinite(m.integrated_lufs)) {
      throw RenderError("the input is too quiet to measure; cannot reach a loudness target");
    }
    if (pass == kMaxPasses) {
      std::snprintf(what, sizeof what,
                    "could not reach %.1f LUFS / %.1f dBTP in %d passes (got %.2f LUFS, %.2f dBTP)",
                    target_lufs, ceiling_dbtp, pass, m.integrated_lufs, m.true_peak_dbtp);
      throw RenderError(what);
    }
    if (over_ceiling) margin += m.true_peak_dbtp - ceiling_dbtp + 0.01;
    if (off_target) {
      // Secant step on loudness against drive; the limiter makes the slope less than one.
      double slope = 1.0;
      if (std::isfinite(prev_lufs) && drive != prev_drive) {
        slope = std::clamp((m.integrated_lufs - prev_lufs) / (drive - prev_drive), 0.1, 1.5);
      }
      const double next = std::clamp(drive + (target_lufs - m.integrated_lufs) / slope,
                                     drive_spec.min_value, drive_spec.max_value);
      if (next == drive) {
        std::snprintf(what, sizeof what,
                      "cannot reach %.1f LUFS: %.2f LUFS at the limiter drive limit of %+.0f dB",
                      target_lufs, m.integrated_lufs, drive);
        throw RenderError(what);
      }
      prev_drive = drive;
      prev_lufs = m.integrated_lufs;
      drive = next;
    }
  }
  temp.commit();
  return result;
}

}  // namespace lacquer::daemon
