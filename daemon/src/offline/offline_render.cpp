#include "offline/offline_render.hpp"

#include <FLAC/format.h>
#include <sndfile.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "lacquer/control/dispatch.hpp"
#include "lacquer/control/hub.hpp"

#include "lacquer/analysis/input_check.hpp"
#include "lacquer/dsp/chain.hpp"
#include "lacquer/dsp/dither.hpp"
#include "lacquer/dsp/integrated_loudness.hpp"
#include "lacquer/dsp/resampler.hpp"
#include "lacquer/dsp/targets.hpp"
#include "lacquer/dsp/true_peak.hpp"
#include "offline/drive_model.hpp"

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
constexpr int kPredictedPasses = 2;  // passes after which the drive model sets the next drive
constexpr double kStillDriveDb = 1e-6;  // a predicted step this small is none

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
  VorbisComments tags;  // FLAC only
};

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

/// Frames of the block that starts at frame `done` of a pass: the input in kIoBlock steps,
/// then the zeros flushing the chain's latency (up to `end`) in steps of their own. Every
/// pass cuts the same blocks, so the stages see the same block starts as Chain::process.
std::uint32_t block_at(std::uint64_t done, std::uint64_t input_frames, std::uint64_t end) {
  const std::uint64_t limit = done < input_frames ? input_frames : end;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(kIoBlock, limit - done));
}

/// Planar doubles handed from one thread of a pass to the other, and the file's frames they
/// were read from (interleaved, `read` of them; none for the zeros that flush the latency).
struct Block {
  std::array<std::vector<double>, 2> x{std::vector<double>(kIoBlock),
                                       std::vector<double>(kIoBlock)};
  std::uint32_t n = 0;
  std::vector<float> input;
  std::uint32_t read = 0;
};

/// Runs `produce` on a worker thread and `consume` on this one, at most kSlots blocks apart,
/// so that a pass keeps both cores busy. `produce` fills a block and returns false when it has
/// nothing more. An exception on either side stops both and is rethrown here.
void pipeline(const std::function<bool(Block&)>& produce,
              const std::function<void(Block&)>& consume) {
  constexpr std::size_t kSlots = 8;
  std::array<Block, kSlots> slots;
  std::mutex m;
  std::condition_variable cv;
  std::size_t head = 0, count = 0;  // the oldest filled slot; filled slots
  bool done = false, stop = false;
  std::exception_ptr failed;
  std::thread worker([&] {
    try {
      for (;;) {
        Block* b = nullptr;
        {
          std::unique_lock lock(m);
          cv.wait(lock, [&] { return count < kSlots || stop; });
          if (stop) break;
          b = &slots[(head + count) % kSlots];
        }
        if (!produce(*b)) break;
        std::lock_guard lock(m);
        ++count;
        cv.notify_all();
      }
    } catch (...) {
      std::lock_guard lock(m);
      failed = std::current_exception();
    }
    std::lock_guard lock(m);
    done = true;
    cv.notify_all();
  });
  try {
    for (;;) {
      Block* b = nullptr;
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return count > 0 || done; });
        if (count == 0) break;
        b = &slots[head];
      }
      consume(*b);
      std::lock_guard lock(m);
      head = (head + 1) % kSlots;
      --count;
      cv.notify_all();
    }
  } catch (...) {
    {
      std::lock_guard lock(m);
      stop = true;
      cv.notify_all();
    }
    worker.join();
    throw;
  }
  worker.join();
  if (failed) std::rethrow_exception(failed);
}

/// The input as planar doubles in block_at's steps, then the zeros that flush the chain's
/// latency.
class Reader {
 public:
  Reader(InputFile& in, std::uint32_t latency)
      : in_(in), total_(static_cast<std::uint64_t>(in.info.frames)), end_(total_ + latency) {
    if (sf_seek(in_.file.get(), 0, SEEK_SET) != 0) {
      throw RenderError("cannot rewind the input: " + std::string(sf_strerror(in_.file.get())));
    }
  }

  /// Fills the next block; false at the end.
  bool next(Block& b) {
    if (done_ == end_) return false;
    b.n = block_at(done_, total_, end_);
    b.read = 0;
    if (done_ >= total_) {
      std::fill_n(b.x[0].begin(), b.n, 0.0);
      std::fill_n(b.x[1].begin(), b.n, 0.0);
      done_ += b.n;
      return true;
    }
    const int channels = in_.info.channels;
    b.input.resize(static_cast<std::size_t>(kIoBlock) * channels);
    for (sf_count_t got = 0; got < b.n;) {
      const sf_count_t k =
          sf_readf_float(in_.file.get(), b.input.data() + got * channels, b.n - got);
      if (k <= 0) {
        throw RenderError("the input ends early (read error after " +
                          std::to_string(done_ + static_cast<std::uint64_t>(got)) + " frames)");
      }
      got += k;
    }
    b.read = b.n;
    for (std::uint32_t i = 0; i < b.n; ++i) {
      const float l = b.input[static_cast<std::size_t>(i) * channels];
      const float r = channels == 2 ? b.input[2 * static_cast<std::size_t>(i) + 1] : l;
      if (!std::isfinite(l) || !std::isfinite(r)) {
        throw RenderError("the input holds a non-finite sample at frame " +
                          std::to_string(done_ + i));
      }
      b.x[0][i] = l;
      b.x[1][i] = r;
    }
    done_ += b.n;
    return true;
  }

 private:
  InputFile& in_;
  std::uint64_t total_, end_;
  std::uint64_t done_ = 0;
};

/// A part of the print path (chain.hpp's PrintFront or PrintBack) run as Chain::process runs
/// it: in Chain::kMaxBlock steps from each block's start.
template <typename Path>
class Stages {
 public:
  Stages(const dsp::ParamStore& store, double sample_rate) : path_(store.schema()) {
    path_.prepare(sample_rate, dsp::Chain::kMaxBlock);
    path_.reset(store);
  }
  void process(Block& b) noexcept {
    for (std::uint32_t k = 0; k < b.n; k += dsp::Chain::kMaxBlock) {
      path_.process(b.x[0].data() + k, b.x[1].data() + k, std::min(dsp::Chain::kMaxBlock, b.n - k));
    }
  }
  std::uint32_t latency_frames() const noexcept { return path_.latency_frames(); }

 private:
  Path path_;
};

/// `count` values of T in one anonymous mapping that asks for huge pages: touching 4 KiB pages
/// one by one costs more than the copy into them.
template <typename T>
class HugeArray {
 public:
  /// Empty when the memory cannot be had.
  static std::optional<HugeArray> make(std::size_t count) {
    void* p =
        ::mmap(nullptr, bytes(count), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return std::nullopt;
    ::madvise(p, bytes(count), MADV_HUGEPAGE);
    return HugeArray(static_cast<T*>(p), count);
  }
  HugeArray(HugeArray&& o) noexcept : data_(std::exchange(o.data_, nullptr)), count_(o.count_) {}
  HugeArray& operator=(HugeArray&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(count_, o.count_);
    return *this;
  }
  ~HugeArray() {
    if (data_ != nullptr) ::munmap(data_, bytes(count_));
  }
  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return count_; }

 private:
  HugeArray(T* data, std::size_t count) : data_(data), count_(count) {}
  static std::size_t bytes(std::size_t count) {
    return std::max<std::size_t>(count, 1) * sizeof(T);
  }
  T* data_;
  std::size_t count_;
};

/// A pass's output kept in memory, interleaved, as it would go to the file: integer PCM with
/// the word in the top bits (as libsndfile takes it) or float. A target search keeps each
/// pass's output here and writes only the pass it accepts.
class Printed {
 public:
  /// Room for `frames` stereo frames of integer PCM or float; empty when the memory cannot be
  /// had.
  static std::optional<Printed> make(std::size_t frames, bool integer) {
    Printed p;
    if (integer) {
      p.pcm_ = HugeArray<std::int32_t>::make(2 * frames);
      if (!p.pcm_) return std::nullopt;
    } else {
      p.floats_ = HugeArray<float>::make(2 * frames);
      if (!p.floats_) return std::nullopt;
    }
    return p;
  }
  void clear() noexcept { values_ = 0; }
  void append(const std::int32_t* v, std::size_t n) { std::copy_n(v, n, room(pcm_, n)); }
  void append(const float* v, std::size_t n) { std::copy_n(v, n, room(floats_, n)); }
  const std::int32_t* pcm() const noexcept { return pcm_ ? pcm_->data() : nullptr; }
  const float* floats() const noexcept { return floats_ ? floats_->data() : nullptr; }
  std::size_t frames() const noexcept { return values_ / 2; }

 private:
  template <typename T>
  T* room(std::optional<HugeArray<T>>& array, std::size_t n) {
    if (!array || values_ + n > array->size()) {
      throw RenderError("the output came out longer than its input allows");
    }
    values_ += n;
    return array->data() + values_ - n;
  }
  std::optional<HugeArray<std::int32_t>> pcm_;
  std::optional<HugeArray<float>> floats_;
  std::size_t values_ = 0;
};

/// The output file: FLAC by FlacWriter (with the request's tags from the start), WAV by
/// libsndfile.
class OutputFile {
 public:
  OutputFile(const fs::path& path, const Format& format) : path_(path) {
    if (format.container == Container::flac) {
      try {
        flac_.emplace(path, static_cast<int>(std::lround(format.rate_hz)), 2, format.bits, format.tags);
      } catch (const std::runtime_error& e) {
        throw RenderError("cannot write " + path.string() + ": " + e.what());
      }
    } else {
      SF_INFO info{};
      info.samplerate = static_cast<int>(std::lround(format.rate_hz));
      info.channels = 2;
      info.format = SF_FORMAT_WAV | (format.bits == 16   ? SF_FORMAT_PCM_16
                                     : format.bits == 24 ? SF_FORMAT_PCM_24
                                                         : SF_FORMAT_FLOAT);
      sndfile_.reset(sf_open(path.c_str(), SFM_WRITE, &info));
      if (!sndfile_) throw RenderError("cannot write " + path.string() + ": " + sf_strerror(nullptr));
    }
  }

  /// Interleaved stereo: integer PCM with the word in the top bits, or float (WAV only).
  void write(const std::int32_t* pcm, const float* floats, std::size_t frames) {
    if (flac_) {
      try {
        flac_->write(pcm, frames);
      } catch (const std::runtime_error& e) {
        throw RenderError(std::string("cannot write the output: ") + e.what());
      }
      return;
    }
    const auto n = static_cast<sf_count_t>(frames);
    SNDFILE* out = sndfile_.get();
    const sf_count_t wrote = pcm != nullptr ? sf_writef_int(out, pcm, n) : sf_writef_float(out, floats, n);
    if (wrote != n) throw RenderError("cannot write the output: " + std::string(sf_strerror(out)));
  }

  /// Finishes the file (the header or the FLAC STREAMINFO written back).
  void close() {
    if (flac_) {
      try {
        flac_->close();
      } catch (const std::runtime_error& e) {
        throw RenderError("cannot write " + path_.string() + ": " + e.what());
      }
    } else if (sf_close(sndfile_.release()) != 0) {
      throw RenderError("cannot write " + path_.string());
    }
  }

 private:
  fs::path path_;
  SndfilePtr sndfile_;
  std::optional<FlacWriter> flac_;
};

/// Writes what a pass kept to `path`.
void write_printed(const fs::path& path, const Format& format, const Printed& printed) {
  OutputFile out(path, format);
  const std::size_t frames = printed.frames();
  const std::int32_t* pcm = printed.pcm();
  const float* floats = printed.floats();
  constexpr std::size_t kStep = 1 << 16;
  for (std::size_t at = 0; at < frames; at += kStep) {
    out.write(pcm != nullptr ? pcm + 2 * at : nullptr, floats != nullptr ? floats + 2 * at : nullptr,
              std::min(kStep, frames - at));
  }
  out.close();
}

/// The print path's output to the file (or kept in memory), measured as written: the chain's
/// float output, its latency dropped -> resampler -> dither -> file. Dither comes last so that
/// the file holds exactly the dithered grid values.
class Output {
 public:
  /// Writes to `path`, or keeps the output in `*printed` (cleared first) when it is given.
  Output(const fs::path& path, Printed* printed, const Format& format, dsp::DitherType dither,
         double input_rate, std::uint32_t latency)
      : format_(format), skip_(latency), loudness_(format.rate_hz), printed_(printed) {
    if (format.rate_hz != input_rate) {
      try {
        resampler_ = std::make_unique<dsp::Resampler>(input_rate, format.rate_hz, 2);
      } catch (const std::runtime_error& e) {
        throw RenderError(std::string("cannot resample: ") + e.what());
      }
      const auto capacity = static_cast<std::size_t>(std::ceil(kIoBlock * resampler_->ratio())) + 64;
      for (auto& v : resampled_) v.resize(capacity);
    }
    dither_.prepare(format.rate_hz);
    if (format.bits > 0) dither_.set(dither, format.bits);
    // The true peak by the limiter's detector, which reads at least what libebur128 would
    // and skips the interpolation where no reading can beat the largest so far
    // (libebur128's own true-peak mode costs more than the whole chain).
    true_peak_ = dsp::StereoTruePeakDetector(dsp::TruePeakDetector::Mode::kConservative,
                                             format.rate_hz);
    if (printed_ != nullptr) {
      printed_->clear();
    } else {
      out_.emplace(path, format_);
    }
  }

  /// A block of the print path's output, rounded here to the float the chain hands out.
  void push(Block& b) {
    const std::uint32_t drop = std::min(skip_, b.n);
    skip_ -= drop;
    for (auto& x : b.x) {
      for (std::uint32_t i = drop; i < b.n; ++i) x[i] = static_cast<float>(x[i]);
    }
    emit(b.x[0].data() + drop, b.x[1].data() + drop, b.n - drop);
  }

  /// Flushes the resampler, closes the file and returns what it holds.
  Measurement finish() {
    if (resampler_) {
      double* out[2] = {resampled_[0].data(), resampled_[1].data()};
      while (const std::size_t k = resampler_->flush(out, resampled_[0].size())) {
        deliver(out[0], out[1], k);
      }
    }
    if (out_) out_->close();
    // The detector reads the instants around a frame kDelayFrames pushes later.
    for (std::uint32_t i = 0; i < dsp::TruePeakDetector::kDelayFrames; ++i) {
      peak_ = std::max(peak_, true_peak_.push(0.0, 0.0));
    }
    Measurement m;
    m.frames_out = written_;
    m.integrated_lufs = loudness_.lufs();
    m.true_peak_dbtp = dsp::gain_to_db(peak_);
    return m;
  }

 private:
  void emit(const double* left, const double* right, std::uint32_t n);
  void deliver(const double* left, const double* right, std::size_t n);

  Format format_;
  std::uint32_t skip_;  // chain latency frames still to drop from the output
  std::unique_ptr<dsp::Resampler> resampler_;
  std::array<std::vector<double>, 2> resampled_;  // the resampler's output block
  dsp::Dither dither_;
  dsp::IntegratedLoudness loudness_;
  dsp::StereoTruePeakDetector true_peak_;
  double peak_ = 0.0;  // largest true-peak reading of the output so far (linear)
  Printed* printed_;
  std::optional<OutputFile> out_;
  std::uint64_t written_ = 0;
  std::array<std::vector<double>, 2> wide_;  // the block being dithered
  std::vector<double> interleaved_out_;
  std::vector<std::int32_t> pcm_;
  std::vector<float> float_out_;
};

void Output::emit(const double* left, const double* right, std::uint32_t n) {
  if (n == 0) return;
  if (!resampler_) {
    deliver(left, right, n);
    return;
  }
  double* out[2] = {resampled_[0].data(), resampled_[1].data()};
  for (std::size_t done = 0; done < n;) {
    const double* in[2] = {left + done, right + done};
    const auto r = resampler_->process(in, n - done, out, resampled_[0].size());
    deliver(out[0], out[1], r.produced);
    done += r.consumed;
  }
}

void Output::deliver(const double* left, const double* right, std::size_t n) {
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
    if (printed_ != nullptr) {
      printed_->append(pcm_.data(), pcm_.size());
    } else {
      out_->write(pcm_.data(), nullptr, n);
    }
  } else {
    float_out_.resize(2 * n);
    for (std::size_t i = 0; i < 2 * n; ++i) float_out_[i] = static_cast<float>(interleaved_out_[i]);
    for (std::size_t i = 0; i < 2 * n; ++i) interleaved_out_[i] = float_out_[i];
    if (printed_ != nullptr) {
      printed_->append(float_out_.data(), float_out_.size());
    } else {
      out_->write(nullptr, float_out_.data(), n);
    }
  }
  loudness_.push(interleaved_out_.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    // Readings that cannot exceed the peak so far are not computed (a floor keeps the
    // level positive before the first sound).
    const double level = std::max(peak_, 1e-9);
    peak_ = std::max(peak_, true_peak_.push_above(interleaved_out_[2 * i],
                                                  interleaved_out_[2 * i + 1], level));
  }
  written_ += n;
}

/// The print path's signal in front of the limiter, kept through a target search: every frame
/// of a pass (the latency-flushing zeros included), planar.
class Held {
 public:
  /// Empty when the memory cannot be had: the passes then run the whole chain.
  static std::optional<Held> make(std::uint64_t frames, std::uint32_t latency) {
    auto values = HugeArray<double>::make(2 * frames);
    if (!values) return std::nullopt;
    return Held(std::move(*values), frames, latency);
  }

  double* channel(int c) noexcept { return values_.data() + static_cast<std::size_t>(c) * frames_; }
  const double* channel(int c) const noexcept {
    return values_.data() + static_cast<std::size_t>(c) * frames_;
  }
  std::uint64_t frames() const noexcept { return frames_; }
  std::uint32_t latency() const noexcept { return latency_; }  // of the whole print path
  /// The loudness against the limiter's drive that what is held predicts, once the pass that
  /// fills it has read it.
  const std::shared_ptr<const DriveLoudnessModel>& model() const noexcept { return model_; }
  void set_model(std::shared_ptr<const DriveLoudnessModel> model) noexcept {
    model_ = std::move(model);
  }

 private:
  Held(HugeArray<double> values, std::uint64_t frames, std::uint32_t latency)
      : values_(std::move(values)), frames_(frames), latency_(latency) {}
  HugeArray<double> values_;
  std::uint64_t frames_;
  std::uint32_t latency_;
  std::shared_ptr<const DriveLoudnessModel> model_;
};

/// A pass of the whole chain from the file: reading and the stages in front of the limiter
/// on one thread, the input check, the limiter and the output on the other. When `hold` is
/// given, the front's output is kept there for later passes (if the memory can be had). The
/// output goes to `out_path`, or to `printed` when it is given. When `model` is given, the
/// front's output is read into it.
Measurement full_pass(const dsp::ParamStore& store, InputFile& in, const fs::path& out_path,
                      Printed* printed, const Format& format, dsp::DitherType dither,
                      Progress& progress, analysis::InputCheck* check, std::optional<Held>* hold,
                      DriveLoudnessModel* model) {
  const double rate = in.info.samplerate;
  Stages<dsp::PrintFront> front(store, rate);
  Stages<dsp::PrintBack> back(store, rate);
  const std::uint32_t latency = front.latency_frames() + back.latency_frames();
  Reader reader(in, latency);
  Output out(out_path, printed, format, dither, rate, latency);
  Held* keep = nullptr;
  if (hold != nullptr) {
    *hold = Held::make(static_cast<std::uint64_t>(in.info.frames) + latency, latency);
    if (*hold) keep = &**hold;
  }
  std::uint64_t done = 0;
  pipeline(
      [&](Block& b) {
        if (!reader.next(b)) return false;
        front.process(b);
        return true;
      },
      [&](Block& b) {
        // The input's check and the model's reading here, where the thread has less to do
        // than the reading one.
        if (check != nullptr) check->push(b.input.data(), b.read);
        if (model != nullptr) model->push(b.x[0].data(), b.x[1].data(), b.n);
        if (keep != nullptr) {
          for (int c = 0; c < 2; ++c) std::copy_n(b.x[c].begin(), b.n, keep->channel(c) + done);
        }
        back.process(b);
        out.push(b);
        progress.update(done += b.n);
      });
  return out.finish();
}

/// A pass of the limiter and what follows it alone, on the front's output that `held` kept:
/// the limiter on one thread, the output on the other, to `out_path` or kept in `printed`
/// when it is given.
Measurement held_pass(const dsp::ParamStore& store, const Held& held, double rate,
                      std::uint64_t input_frames, const fs::path& out_path, Printed* printed,
                      const Format& format, dsp::DitherType dither, Progress& progress) {
  Stages<dsp::PrintBack> back(store, rate);
  Output out(out_path, printed, format, dither, rate, held.latency());
  const std::uint64_t end = held.frames();
  std::uint64_t at = 0, done = 0;
  pipeline(
      [&](Block& b) {
        if (at == end) return false;
        b.n = block_at(at, input_frames, end);
        for (int c = 0; c < 2; ++c) std::copy_n(held.channel(c) + at, b.n, b.x[c].begin());
        back.process(b);
        at += b.n;
        return true;
      },
      [&](Block& b) {
        out.push(b);
        progress.update(done += b.n);
      });
  return out.finish();
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
  if (!req.tags.empty() && f.container != Container::flac) {
    throw RenderError("tags are written in FLAC outputs only; " + req.output.filename().string() +
                      " is not one");
  }
  for (const auto& [name, value] : req.tags) {
    if (!FLAC__format_vorbiscomment_entry_name_is_legal(name.c_str()) || name.empty()) {
      throw RenderError("tag " + name + ": a Vorbis comment name is printable ASCII without '='");
    }
    if (!FLAC__format_vorbiscomment_entry_value_is_legal(
            reinterpret_cast<const FLAC__byte*>(value.data()), static_cast<unsigned>(value.size()))) {
      throw RenderError("tag " + name + ": its value is not UTF-8");
    }
  }
  f.tags = req.tags;
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

class PreparedFront {
 public:
  PreparedFront(const dsp::ParamStore& store, fs::path input, double rate, std::uint64_t frames_in,
                Held held, std::vector<std::string> input_warnings)
      : values_(store.schema()),
        input_(std::move(input)),
        rate_(rate),
        frames_in_(frames_in),
        held_(std::move(held)),
        input_warnings_(std::move(input_warnings)) {
    for (ParamId id = 0; id < store.schema().size(); ++id) values_.set(id, store.get(id));
  }
  /// Whether a render of `input` with the chain in `store` may start from this front.
  bool serves(const fs::path& input, const dsp::ParamStore& store) const {
    return input == input_ && dsp::PrintFront::same_params(store.schema(), values_, store);
  }
  double rate() const noexcept { return rate_; }
  std::uint64_t frames_in() const noexcept { return frames_in_; }
  const Held& held() const noexcept { return held_; }
  const std::vector<std::string>& input_warnings() const noexcept { return input_warnings_; }

 private:
  dsp::ParamStore values_;  // the chain the front ran with
  fs::path input_;
  double rate_;
  std::uint64_t frames_in_;
  Held held_;
  std::vector<std::string> input_warnings_;
};

std::size_t memory_bytes(const PreparedFront& front) noexcept {
  return static_cast<std::size_t>(2 * front.held().frames() * sizeof(double));
}

/// What the loudness after the limiter depends on besides its drive, as `store` sets it.
LimiterShape limiter_shape(const dsp::ParamStore& store) {
  const Schema& schema = store.schema();
  const auto value = [&](std::string_view path) { return double{store.get(schema.id(path))}; };
  LimiterShape shape;
  shape.ceiling_dbtp = value("/chain/limiter/ceiling");
  shape.release_ms = value("/chain/limiter/release");
  shape.hold_ms = value("/chain/limiter/hold");
  shape.lookahead_ms = value("/chain/limiter/lookahead");
  if (value("/chain/output/bypass") < 0.5) shape.output_gain_db = value("/chain/output/gain");
  return shape;
}

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

  // A kept front of this input and chain stands in for reading the file and the stages in
  // front of the limiter.
  const PreparedFront* front =
      req.front && req.front->serves(req.input, store) ? req.front.get() : nullptr;
  std::optional<InputFile> in;
  if (front == nullptr) in = open_input(req.input);
  const double input_rate = front != nullptr ? front->rate() : in->info.samplerate;
  const Format format = choose_format(req, store, target, input_rate);
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
  result.frames_in =
      front != nullptr ? front->frames_in() : static_cast<std::uint64_t>(in->info.frames);
  result.sample_rate_hz = format.rate_hz;

  std::optional<analysis::InputCheck> check;
  if (front == nullptr) check.emplace(in->info.samplerate, in->info.channels);
  // A target may take several passes: within hold_bytes the signal in front of the limiter is
  // computed once and kept, the passes after the first run the limiter on alone, and each
  // pass's output is kept in memory so that only the accepted one is encoded and written.
  const double out_frames =
      std::ceil(static_cast<double>(result.frames_in) * format.rate_hz / input_rate) + 1024.0;
  const double front_bytes = static_cast<double>(result.frames_in) * 2 * sizeof(double);
  const double keep_bytes =
      (front != nullptr ? 0.0 : front_bytes) + out_frames * 2 * sizeof(std::int32_t);
  std::optional<Printed> printed;
  if (target != nullptr && keep_bytes <= static_cast<double>(req.hold_bytes)) {
    printed = Printed::make(static_cast<std::size_t>(out_frames), format.bits > 0);
  }
  const bool keep = printed.has_value();
  const bool hold =
      front == nullptr &&
      (keep || (req.keep_front && front_bytes <= static_cast<double>(req.hold_bytes)));
  std::optional<Held> held;  // this render's front, kept by its first pass
  bool in_memory = false;    // the last pass's output is in `printed`, not yet in the file
  double drive = store.get(drive_id);
  double margin = 0.0;  // ceiling lowered by what the file's true peak came out above it
  double prev_drive = NAN, prev_lufs = NAN;
  // The search's prediction of loudness against drive: a kept front's, or read by the first
  // pass.
  std::shared_ptr<const DriveLoudnessModel> model = front != nullptr ? front->held().model() : nullptr;
  std::optional<DriveLoudnessModel> reading;
  if (model == nullptr && target != nullptr) reading.emplace(input_rate);
  for (int pass = 1;; ++pass) {
    store.set(drive_id, drive);
    const double ceiling = std::max(schema.spec(ceiling_id).min_value, ceiling_dbtp - margin);
    store.set(ceiling_id, ceiling);
    Measurement m;
    {
      Progress progress(req.progress, result.frames_in + 1, pass);
      const Held* from = front != nullptr ? &front->held() : pass > 1 && held ? &*held : nullptr;
      in_memory = keep && (pass == 1 || from != nullptr);
      Printed* kept = in_memory ? &*printed : nullptr;
      if (from != nullptr) {
        m = held_pass(store, *from, input_rate, result.frames_in, temp.path(), kept, format, dither,
                      progress);
      } else {
        m = full_pass(store, *in, temp.path(), kept, format, dither, progress,
                      pass == 1 ? &*check : nullptr, pass == 1 && hold ? &held : nullptr,
                      pass == 1 && reading ? &*reading : nullptr);
      }
    }
    if (pass == 1 && reading) {
      model = std::make_shared<const DriveLoudnessModel>(std::move(*reading));
      if (held) held->set_model(model);
    }
    if (pass == 1) result.input_warnings = check ? check->finish() : front->input_warnings();
    result.passes = pass;
    result.frames_out = m.frames_out;
    result.integrated_lufs = m.integrated_lufs;
    result.true_peak_dbtp = m.true_peak_dbtp;
    result.drive_db = drive;
    result.ceiling_dbtp = ceiling;

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
      // The predicted drive, set off by what this pass measured over the prediction, for the
      // second and third passes; after them, or where the prediction has no answer or stands
      // still, a secant step on loudness against drive (the limiter makes the slope less than
      // one; a first step goes one dB per LU).
      double step = NAN;
      if (model != nullptr && limiting && pass <= kPredictedPasses) {
        LimiterShape shape = limiter_shape(store);
        const double offset = m.integrated_lufs - model->lufs(drive, shape);
        shape.ceiling_dbtp = std::max(schema.spec(ceiling_id).min_value, ceiling_dbtp - margin);
        step = model->drive_for(target_lufs - offset, shape, drive_spec.min_value,
                                drive_spec.max_value) -
               drive;
      }
      if (!(std::abs(step) > kStillDriveDb)) {
        step = target_lufs - m.integrated_lufs;
        if (std::isfinite(prev_lufs) && drive != prev_drive) {
          step /= std::clamp((m.integrated_lufs - prev_lufs) / (drive - prev_drive), 0.1, 1.5);
        }
      }
      const double next =
          std::clamp(drive + step, drive_spec.min_value, drive_spec.max_value);
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
  if (in_memory) write_printed(temp.path(), format, *printed);
  temp.commit();
  if (req.keep_front && held) {
    result.front = std::make_shared<const PreparedFront>(
        store, req.input, input_rate, result.frames_in, std::move(*held), result.input_warnings);
  }
  return result;
}

}  // namespace lacquer::daemon
