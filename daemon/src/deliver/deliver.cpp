#include "deliver.hpp"

#include <ebur128.h>
#include <fcntl.h>
#include <fftw3.h>
#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "offline/offline_render.hpp"
#include "cd.hpp"
#include "lacquer/analysis/analysis.hpp"
#include "lacquer/dsp/param_store.hpp"
#include "lacquer/dsp/targets.hpp"
#include "lacquer/session/sha256.hpp"
#include "sound_io.hpp"
#include "tags.hpp"
#include "vinyl.hpp"

namespace lacquer::daemon::deliver {

namespace fs = std::filesystem;

namespace {

/// Album loudness within this of the target ends the search for the album's gain (as render).
constexpr double kAlbumToleranceLu = 0.2;
constexpr int kMaxAlbumPasses = 8;
/// Memory the tracks' fronts may be kept in across formats (16 bytes a frame: 45 minutes at
/// 48 kHz take 2.1 GB). Tracks beyond it render their front once per format.
constexpr std::size_t kFrontBudgetBytes = std::size_t{4} << 30;

/// Flushes a file or folder to the disk.
void make_durable(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  const int error = errno;
  if (fd >= 0) ::close(fd);
  if (!synced) throw DeliverError("cannot write " + path.string() + " to the disk: " + std::strerror(error));
}

/// Runs fn(i) for i in 0..n-1 on up to `jobs` threads. The first exception stops the others
/// taking new items and is rethrown once all have stopped.
template <class Fn>
void parallel(unsigned jobs, std::size_t n, const Fn& fn) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  const auto work = [&] {
    for (std::size_t i; !failed && (i = next++) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < std::min<std::size_t>(jobs, n); ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

/// Work of each format in units of the album's audio length: renders and checks.
double work_units(Format f) {
  switch (f) {
    case Format::cd: return 3.0;         // render; check the image and the cut tracks
    case Format::streaming: return 3.0;  // render; check FLAC and WAV
    case Format::hires: return 2.0;
    case Format::vinyl: return 2.0;
  }
  return 1.0;
}

/// Progress of every format, advanced as renders and analyses finish (weighted by audio
/// length): a bar on stderr and the caller's callback.
class ProgressBar {
 public:
  ProgressBar(const DeliverOptions& opt, double audio_s)
      : enabled_(opt.progress), callback_(opt.on_progress), cancel_(opt.cancel) {
    for (const Format f : opt.formats) {
      total_[static_cast<int>(f)] = audio_s * work_units(f);
      all_ += total_[static_cast<int>(f)];
    }
  }
  ~ProgressBar() {
    if (drawn_) std::fputc('\n', stderr);
  }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void advance(Format format, double amount, const std::string& what) {
    check_cancel();
    std::lock_guard lock(mutex_);
    const auto i = static_cast<int>(format);
    done_[i] += amount;
    done_all_ += amount;
    // Album loudness takes passes nobody can count ahead: a format ends at 100 % only by finish().
    if (callback_) callback_({format, std::clamp(total_[i] > 0.0 ? done_[i] / total_[i] : 1.0, 0.0, 0.99), what});
    if (!enabled_) return;
    const double f = std::clamp(all_ > 0.0 ? done_all_ / all_ : 1.0, 0.0, 1.0);
    constexpr int kWidth = 32;
    const int filled = static_cast<int>(f * kWidth);
    std::fprintf(stderr, "\rdeliver [%s%s] %3.0f%%  %-28.28s", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), f * 100.0, what.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  void check_cancel() const {
    if (cancel_ != nullptr && cancel_->load()) throw DeliverError("cancelled");
  }
  /// The format's renders and checks are done.
  void finish(Format format) {
    std::lock_guard lock(mutex_);
    if (callback_) callback_({format, 1.0, std::string(format_name(format)) + " checked"});
  }

 private:
  bool enabled_;
  const std::function<void(const ProgressEvent&)>& callback_;
  const std::atomic<bool>* cancel_;
  double total_[4] = {}, done_[4] = {};
  double all_ = 0.0, done_all_ = 0.0;
  bool drawn_ = false;
  std::mutex mutex_;
};

/// The folder the delivery is written in, beside the output; removed unless renamed to it.
class Staging {
 public:
  explicit Staging(const fs::path& out) {
    std::string pattern = (out.parent_path() / ("." + out.filename().string() + ".partial-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw DeliverError("cannot write in " + out.parent_path().string() + ": " + std::strerror(errno));
    }
    path_ = pattern;
  }
  ~Staging() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  const fs::path& path() const { return path_; }
  void commit(const fs::path& out) {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec, ec);
    fs::rename(path_, out, ec);
    if (ec) throw DeliverError("cannot create " + out.string() + ": " + ec.message());
    path_.clear();
    make_durable(out.parent_path());  // the rename itself
  }

 private:
  fs::path path_;
};

struct SourceInfo {
  double rate = 0.0;
  double seconds = 0.0;
};

/// The settings of a track's chain that the delivery reads itself.
struct TrackChain {
  double drive_db = 0.0;
  dsp::DitherType dither = dsp::DitherType::kTpdf;
};

TrackChain chain_of(const ReleaseTrack& t) {
  const dsp::Schema& schema = dsp::Schema::instance();
  dsp::ParamStore store(schema);
  try {
    if (!t.snapshot.is_null()) apply_chain(store, t.snapshot, "its snapshot");
  } catch (const RenderError& e) {
    throw DeliverError(track_name(t) + ": " + e.what());
  }
  return {store.get(schema.id("/chain/limiter/drive")),
          static_cast<dsp::DitherType>(std::lround(store.get(schema.id("/chain/output/dither"))))};
}

/// "01 Intro": the position and the title, without characters file systems refuse.
std::string file_stem(const ReleaseTrack& t) {
  std::string title = t.title.empty() ? "Track" : t.title;
  for (char& c : title) {
    if (static_cast<unsigned char>(c) < 0x20 || std::string_view("/\\:*?\"<>|").find(c) != std::string_view::npos) c = '_';
  }
  if (title.front() == '.') title.front() = '_';
  char num[8];
  std::snprintf(num, sizeof num, "%02d ", t.position);
  return num + title;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

/// Loudness of several files taken as one programme (BS.1770 gating over all their blocks).
double album_loudness(const std::vector<fs::path>& files, unsigned jobs) {
  std::vector<ebur128_state*> states(files.size(), nullptr);
  const auto free_all = [&] {
    for (auto*& s : states) {
      if (s != nullptr) ebur128_destroy(&s);
    }
  };
  try {
    parallel(jobs, files.size(), [&](std::size_t i) {
      SoundFile f = SoundFile::open(files[i]);
      states[i] = ebur128_init(2, static_cast<unsigned long>(f.info().samplerate), EBUR128_MODE_I);
      if (states[i] == nullptr) throw std::bad_alloc();
      constexpr std::int64_t kBlock = 8192;
      std::vector<float> buf(2 * kBlock);
      for (sf_count_t got; (got = sf_readf_float(f.get(), buf.data(), kBlock)) > 0;) {
        ebur128_add_frames_float(states[i], buf.data(), static_cast<std::size_t>(got));
      }
    });
  } catch (...) {
    free_all();
    throw;
  }
  double lufs = -INFINITY;
  ebur128_loudness_global_multiple(states.data(), states.size(), &lufs);
  free_all();
  return lufs;
}

/// Each track's front (the chain in front of the limiter), kept by the first render of the
/// track so that its other formats and passes run the limiter and what follows alone: the
/// formats differ only from the limiter on, except where a render ignores a front that is not
/// of its chain (vinyl's mono low end).
class FrontCache {
 public:
  explicit FrontCache(std::size_t tracks) : fronts_(tracks) {}
  /// The track's front, or nothing when none is kept.
  std::shared_ptr<const PreparedFront> find(std::size_t track) {
    std::lock_guard lock(mutex_);
    return fronts_[track];
  }
  /// Reserves room for a front of `bytes`; false when it would exceed the budget.
  bool reserve(std::size_t bytes) {
    std::lock_guard lock(mutex_);
    if (reserved_ + bytes > kFrontBudgetBytes) return false;
    reserved_ += bytes;
    return true;
  }
  /// Gives back what reserve() took for a render that kept no front.
  void release(std::size_t bytes) {
    std::lock_guard lock(mutex_);
    reserved_ -= bytes;
  }
  void keep(std::size_t track, std::shared_ptr<const PreparedFront> front) {
    std::lock_guard lock(mutex_);
    fronts_[track] = std::move(front);
  }
  /// Frees every front (the renders are over).
  void clear() {
    std::lock_guard lock(mutex_);
    for (auto& f : fronts_) f.reset();
  }

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<const PreparedFront>> fronts_;
  std::size_t reserved_ = 0;
};

/// One delivery in progress.
class Delivery {
 public:
  Delivery(const Release& release, const DeliverOptions& options, const fs::path& root,
           std::vector<SourceInfo> sources, ProgressBar& progress)
      : release_(release), opt_(options), root_(root), work_(root / ".work"), sources_(std::move(sources)),
        progress_(progress),
        fronts_(release.tracks.size()) {
    fs::create_directories(work_);
  }

  void cd();
  void streaming();
  void hires();
  void vinyl();
  /// Analyses every file of the formats.
  void analyse(const std::vector<Format>& formats);
  /// Checks the analysed files of `format` and writes its report; returns its rules.
  std::vector<RuleResult> check(Format format);
  /// The renders are over: the tracks' kept fronts are freed and the work begun in the
  /// background is waited for (its first error rethrown).
  void renders_done() {
    fronts_.clear();
    for (auto& job : background_) job.get();
    background_.clear();
  }
  /// Whether formats still to render follow the one rendering now (their renders would use
  /// the tracks' fronts).
  void formats_follow(bool follow) { formats_follow_ = follow; }

 private:
  /// Renders track i for `format` from its kept front when there is one; keeps the front when
  /// a later format, or a later pass of this one (`again`), would use it.
  RenderResult render_track(std::size_t i, RenderRequest req, Format format, bool again = false) {
    const ReleaseTrack& t = release_.tracks[i];
    req.input = t.file;
    req.chain = t.snapshot;
    req.front = fronts_.find(i);
    const auto front_bytes =
        static_cast<std::size_t>(std::ceil(sources_[i].seconds * sources_[i].rate) * 2 * sizeof(double));
    req.keep_front = !req.front && (again || formats_follow_) && fronts_.reserve(front_bytes);
    try {
      const RenderResult r = render(req);
      if (r.front) {
        fronts_.keep(i, r.front);
      } else if (req.keep_front) {
        fronts_.release(front_bytes);
      }
      progress_.advance(format, sources_[i].seconds, std::string(format_name(format)) + " " + file_stem(t));
      return r;
    } catch (const RenderError& e) {
      throw DeliverError(track_name(t) + ": " + format_name(format) + ": " + e.what());
    }
  }
  fs::path folder(Format f) {
    const fs::path dir = root_ / format_name(f);
    fs::create_directories(dir);
    return dir;
  }
  Tags tags_of(const ReleaseTrack& t) const {
    return {{"TITLE", t.title},
            {"ARTIST", t.performer.empty() ? release_.artist : t.performer},
            {"ALBUMARTIST", release_.artist},
            {"ALBUM", release_.title},
            {"TRACKNUMBER", std::to_string(t.position)},
            {"TRACKTOTAL", std::to_string(release_.tracks.size())},
            {"COMPOSER", t.songwriter},
            {"ISRC", t.isrc},
            {"DATE", release_.year ? std::to_string(*release_.year) : ""},
            {"LABEL", release_.label},
            {"BARCODE", release_.catalogue}};
  }
  /// Runs single-threaded work of a format on a thread of its own, so that the following
  /// format's renders keep both cores busy meanwhile; renders_done() waits for it.
  template <class Fn>
  void in_background(Fn fn) { background_.push_back(std::async(std::launch::async, std::move(fn))); }
  void assemble_cd(const fs::path& dir, const std::vector<fs::path>& renders, const std::vector<std::int64_t>& frames);

  const Release& release_;
  const DeliverOptions& opt_;
  fs::path root_, work_;
  std::vector<SourceInfo> sources_;
  ProgressBar& progress_;
  std::vector<FileSpec> specs_[4];  // per format
  std::vector<analysis::TrackReport> reports_[4];  // per format, of specs_
  std::optional<double> album_target_;  // streaming in album mode
  std::vector<VinylSide> sides_;        // vinyl, one spec each in the same order
  std::vector<SideMeasures> side_measures_;
  FrontCache fronts_;
  bool formats_follow_ = false;
  // Last: destroying it waits for the jobs, which use the members above.
  std::vector<std::future<void>> background_;
};

void Delivery::cd() {
  const std::size_t n = release_.tracks.size();
  const fs::path dir = folder(Format::cd);
  std::vector<fs::path> renders(n);
  std::vector<std::int64_t> frames(n);
  parallel(opt_.jobs, n, [&](std::size_t i) {
    RenderRequest req;
    req.output = renders[i] = work_ / ("cd-" + std::to_string(i + 1) + ".wav");
    req.target = "cd";
    req.bits = "32f";  // dithered once, on the assembled image
    frames[i] = static_cast<std::int64_t>(render_track(i, req, Format::cd).frames_out);
  });
  // The image is assembled on one thread, beside the next format's renders.
  in_background([this, dir, renders = std::move(renders), frames = std::move(frames)] {
    assemble_cd(dir, renders, frames);
  });
}

void Delivery::assemble_cd(const fs::path& dir, const std::vector<fs::path>& renders,
                           const std::vector<std::int64_t>& frames) {
  const std::size_t n = release_.tracks.size();
  const CdLayout layout = lay_out_cd(release_, frames);
  std::vector<fs::path> track_files;
  for (const auto& t : release_.tracks) track_files.push_back(dir / (file_stem(t) + ".wav"));
  const dsp::DitherType dither = opt_.dither.value_or(chain_of(release_.tracks.front()).dither);
  write_cd_audio(renders, layout, dither, dir / "album.wav", track_files);
  for (const auto& r : renders) fs::remove(r);
  {
    std::ofstream cue(dir / "album.cue", std::ios::binary);
    cue << cue_sheet(release_, layout, "album.wav");
    if (!cue.flush()) throw DeliverError("cannot write cd/album.cue");
  }
  const double ceiling = dsp::find_target("cd")->ceiling_dbtp;
  const auto isrcs = read_cue_isrcs(dir / "album.cue");
  const auto spec = [&](const fs::path& p) {
    FileSpec s;
    s.path = p;
    s.name = shown(p);
    s.rate = kCdRate;
    s.bits = 16;
    s.plain_wav = true;
    s.ceiling_dbtp = ceiling;
    return s;
  };
  auto& specs = specs_[static_cast<int>(Format::cd)];
  specs.push_back(spec(dir / "album.wav"));
  for (std::size_t i = 0; i < n; ++i) {
    specs.push_back(spec(track_files[i]));
    specs.back().isrc = i < isrcs.size() ? isrcs[i] : "";
  }
}

void Delivery::streaming() {
  const std::size_t n = release_.tracks.size();
  const fs::path dir = folder(Format::streaming);
  const dsp::LoudnessTarget& service = *dsp::find_target(opt_.target);
  // Each track renders to a WAV in the work folder, which the FLAC is encoded from and the
  // delivered WAV copied from: the same samples, never decoded back from the FLAC.
  std::vector<fs::path> renders(n);
  std::vector<RenderResult> results(n);
  for (std::size_t i = 0; i < n; ++i) renders[i] = work_ / ("streaming-" + std::to_string(i + 1) + ".wav");
  const auto base = [&](std::size_t i) {
    RenderRequest req;
    req.output = renders[i];
    req.bits = "24";
    req.rate_hz = opt_.rate_hz;
    return req;
  };
  if (!opt_.album_loudness) {
    parallel(opt_.jobs, n, [&](std::size_t i) {
      RenderRequest req = base(i);
      req.target = opt_.target;
      results[i] = render_track(i, req, Format::streaming);
    });
  } else {
    // One gain for the album: each track's limiter drive moved by the same amount until the
    // album as a whole reaches the target, each track held under the service's ceiling.
    album_target_ = service.target_lufs;
    dsp::LoudnessTarget ceiling_only = service;
    ceiling_only.target_lufs = dsp::kNoTarget;
    const auto& drive_spec = dsp::Schema::instance().spec(dsp::Schema::instance().id("/chain/limiter/drive"));
    std::vector<double> drive(n);
    for (std::size_t i = 0; i < n; ++i) drive[i] = chain_of(release_.tracks[i]).drive_db;
    double gain = 0.0, prev_gain = NAN, prev_lufs = NAN;
    for (int pass = 1;; ++pass) {
      parallel(opt_.jobs, n, [&](std::size_t i) {
        RenderRequest req = base(i);
        req.destination = ceiling_only;
        req.settings = {"/chain/limiter/drive=" +
                        number(std::clamp(drive[i] + gain, drive_spec.min_value, drive_spec.max_value))};
        results[i] = render_track(i, req, Format::streaming, /*again=*/true);
      });
      const double lufs = album_loudness(renders, opt_.jobs);
      if (!std::isfinite(lufs)) throw DeliverError("streaming: the album is silent; it has no loudness to set");
      if (std::abs(lufs - service.target_lufs) <= kAlbumToleranceLu) break;
      char what[160];
      if (pass == kMaxAlbumPasses) {
        std::snprintf(what, sizeof what, "streaming: could not bring the album to %.1f LUFS in %d passes (%.2f LUFS)",
                      service.target_lufs, pass, lufs);
        throw DeliverError(what);
      }
      // Secant step on the album's loudness against the gain, as render does for one file.
      double slope = 1.0;
      if (std::isfinite(prev_lufs) && gain != prev_gain) slope = std::clamp((lufs - prev_lufs) / (gain - prev_gain), 0.1, 1.5);
      const double next = std::clamp(gain + (service.target_lufs - lufs) / slope, drive_spec.min_value, drive_spec.max_value);
      if (next == gain) {
        std::snprintf(what, sizeof what, "streaming: cannot bring the album to %.1f LUFS (%.2f LUFS at %+.1f dB)",
                      service.target_lufs, lufs, gain);
        throw DeliverError(what);
      }
      prev_gain = gain;
      prev_lufs = lufs;
      gain = next;
    }
  }
  auto& specs = specs_[static_cast<int>(Format::streaming)];
  specs.resize(2 * n);
  parallel(opt_.jobs, n, [&](std::size_t i) {
    const ReleaseTrack& t = release_.tracks[i];
    const fs::path flac = dir / (file_stem(t) + ".flac");
    const fs::path wav = dir / (file_stem(t) + ".wav");
    SoundFile from = SoundFile::open(renders[i]);
    const int rate = from.info().samplerate;
    write_flac(from, flac, tags_of(t));
    // The WAV holds the FLAC's samples, bit for bit, behind a bext chunk.
    from = SoundFile::open(renders[i]);
    BextFields fields{t.isrc, t.title, t.performer.empty() ? release_.artist : t.performer,
                      release_.label.empty() ? release_.artist : release_.label, results[i].integrated_lufs,
                      results[i].true_peak_dbtp, rate, 24};
    const SF_BROADCAST_INFO bext = bext_chunk(fields);
    SoundFile to = SoundFile::create(wav, rate, SF_FORMAT_WAV | SF_FORMAT_PCM_24, &bext);
    copy_frames(from, to);
    to.close();
    fs::remove(renders[i]);
    FileSpec s;
    s.rate = rate;
    s.bits = 24;
    s.ceiling_dbtp = service.ceiling_dbtp;
    s.target_lufs = opt_.album_loudness ? dsp::kNoTarget : service.target_lufs;
    s.path = flac;
    s.name = shown(flac);
    s.isrc = tag_value(read_flac_tags(flac), "ISRC");
    s.codec = true;
    specs[2 * i] = s;
    s.path = wav;
    s.name = shown(wav);
    s.isrc = read_bext_isrc(wav);
    s.codec = false;  // the FLAC's samples, whose round trip is checked
    specs[2 * i + 1] = s;
  });
  const int expected_rate = opt_.rate_hz ? static_cast<int>(*opt_.rate_hz) : 0;
  for (std::size_t i = 0; i < n; ++i) {
    const int rate = expected_rate > 0 ? expected_rate : static_cast<int>(sources_[i].rate);
    specs[2 * i].rate = specs[2 * i + 1].rate = rate;
  }
}

void Delivery::hires() {
  const std::size_t n = release_.tracks.size();
  const fs::path dir = folder(Format::hires);
  auto& specs = specs_[static_cast<int>(Format::hires)];
  specs.resize(n);
  parallel(opt_.jobs, n, [&](std::size_t i) {
    RenderRequest req;
    req.output = dir / (file_stem(release_.tracks[i]) + ".flac");
    req.bits = "24";
    req.tags = tags_of(release_.tracks[i]);
    render_track(i, req, Format::hires);
    FileSpec& s = specs[i];
    s.path = req.output;
    s.name = shown(req.output);
    s.rate = static_cast<int>(sources_[i].rate);
    s.bits = 24;
    s.ceiling_dbtp = 0.0;  // no overs on any converter
    s.isrc = tag_value(read_flac_tags(req.output), "ISRC");
  });
}

void Delivery::vinyl() {
  const std::size_t n = release_.tracks.size();
  const fs::path dir = folder(Format::vinyl);
  // The vinyl target bypasses the limiter; the mono low end is the chain's unless asked.
  dsp::LoudnessTarget unlimited = *dsp::find_target("vinyl");
  unlimited.mono_below_hz = 0.0;
  std::vector<fs::path> renders(n);
  std::vector<std::int64_t> frames(n);
  std::vector<int> rates(n);
  parallel(opt_.jobs, n, [&](std::size_t i) {
    RenderRequest req;
    req.output = renders[i] = work_ / ("vinyl-" + std::to_string(i + 1) + ".wav");
    req.destination = unlimited;
    req.bits = "32f";  // the side is filtered and quantised once, whole
    if (opt_.vinyl_mono_below_hz) req.settings = {"/chain/stereo/mono_below=" + number(*opt_.vinyl_mono_below_hz)};
    const RenderResult r = render_track(i, req, Format::vinyl);
    frames[i] = static_cast<std::int64_t>(r.frames_out);
    rates[i] = static_cast<int>(r.sample_rate_hz);
  });
  sides_ = lay_out_vinyl(release_, frames, rates);
  const dsp::DitherType dither = opt_.dither.value_or(chain_of(release_.tracks.front()).dither);
  side_measures_.resize(sides_.size());
  auto& specs = specs_[static_cast<int>(Format::vinyl)];
  specs.resize(sides_.size());
  parallel(opt_.jobs, sides_.size(), [&](std::size_t s) {
    std::vector<fs::path> side_renders;
    for (const auto& v : sides_[s].tracks) side_renders.push_back(renders[v.index]);
    FileSpec& spec = specs[s];
    spec.path = dir / sides_[s].file_name();
    spec.name = shown(spec.path);
    spec.rate = sides_[s].rate;
    spec.bits = 24;
    side_measures_[s] = write_vinyl_side(side_renders, sides_[s], dither, spec.path);
  });
  for (const auto& r : renders) fs::remove(r);
  std::ofstream sheet(dir / "timing.txt", std::ios::binary);
  sheet << timing_sheet(release_, sides_);
  if (!sheet.flush()) throw DeliverError("cannot write vinyl/timing.txt");
}

void Delivery::analyse(const std::vector<Format>& formats) {
  // One pool for every format's files, those with the codec round trip (several times the
  // cost of the rest) first, so that no format's slowest file runs alone at its end.
  std::vector<std::pair<Format, std::size_t>> files;
  for (const Format f : formats) {
    const int k = static_cast<int>(f);
    reports_[k].resize(specs_[k].size());
    for (std::size_t i = 0; i < specs_[k].size(); ++i) files.emplace_back(f, i);
  }
  std::stable_sort(files.begin(), files.end(), [&](const auto& a, const auto& b) {
    return specs_[static_cast<int>(a.first)][a.second].codec > specs_[static_cast<int>(b.first)][b.second].codec;
  });
  parallel(opt_.jobs, files.size(), [&](std::size_t n) {
    const auto [format, i] = files[n];
    const FileSpec& spec = specs_[static_cast<int>(format)][i];
    analysis::TrackReport& report = reports_[static_cast<int>(format)][i];
    analysis::Options options;
    options.codec = spec.codec;
    options.parallel_codec = false;
    try {
      report = analysis::analyse_file(spec.path, options);
    } catch (const analysis::AnalysisError& e) {
      report.file = spec.path.string();
      report.error = e.what();
    }
    report.file = spec.name;
    progress_.advance(format, report.duration_s, "check " + spec.name);
  });
}

std::vector<RuleResult> Delivery::check(Format format) {
  const auto& specs = specs_[static_cast<int>(format)];
  const auto& reports = reports_[static_cast<int>(format)];
  std::vector<RuleResult> rules;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    for (auto& r : check_file(specs[i], reports[i])) rules.push_back(std::move(r));
  }
  // The album view of the tracks (streaming: of the FLACs; each WAV holds the same samples).
  std::vector<analysis::TrackReport> tracks;
  for (std::size_t i = 0; i < reports.size(); i += format == Format::streaming ? 2 : 1) tracks.push_back(reports[i]);
  std::optional<analysis::AlbumReport> album;
  if (tracks.size() >= 2) album = analysis::analyse_album(tracks);
  if (format == Format::streaming && album_target_) {
    analysis::AlbumReport single;
    single.integrated_lufs = tracks.front().loudness.integrated_lufs;
    rules.push_back(check_album_loudness(album ? *album : single, *album_target_));
  }
  if (format == Format::vinyl) {
    for (std::size_t s = 0; s < sides_.size(); ++s) {
      rules.push_back(side_length_rule(sides_[s]));
      for (auto& r : vinyl_rules(specs[s].name, side_measures_[s], reports[s])) rules.push_back(std::move(r));
    }
  }
  for (auto& r : rules) r.overridden = !r.pass && opt_.overrides.count(r.rule) > 0;
  const fs::path dir = root_ / format_name(format);
  nlohmann::json report = compliance_json(format_name(format), rules, reports, album ? &*album : nullptr);
  if (format == Format::vinyl) report["sides"] = sides_json(release_, sides_);
  std::ofstream json(dir / "compliance.json", std::ios::binary);
  json << report.dump(1) << "\n";
  std::ofstream html(dir / "compliance.html", std::ios::binary);
  html << compliance_html(report);
  if (!json.flush() || !html.flush()) throw DeliverError(std::string("cannot write the ") + format_name(format) + " compliance report");
  progress_.finish(format);
  return rules;
}

std::vector<SourceInfo> check_sources(const Release& release, unsigned jobs) {
  std::vector<SourceInfo> sources(release.tracks.size());
  parallel(jobs, release.tracks.size(), [&](std::size_t i) {
    const ReleaseTrack& t = release.tracks[i];
    std::error_code ec;
    if (!fs::is_regular_file(t.file, ec)) throw DeliverError(track_name(t) + ": source " + t.file.string() + " is missing");
    SF_INFO info{};
    SNDFILE* f = sf_open(t.file.c_str(), SFM_READ, &info);
    if (f == nullptr) {
      throw DeliverError(track_name(t) + ": cannot read " + t.file.string() + ": " + sf_strerror(nullptr));
    }
    sf_close(f);
    if (info.frames <= 0) throw DeliverError(track_name(t) + ": " + t.file.string() + " holds no audio");
    if (info.channels > 2) {
      throw DeliverError(track_name(t) + ": " + t.file.string() + " has " + std::to_string(info.channels) +
                         " channels; deliver takes mono or stereo sources");
    }
    sources[i] = {static_cast<double>(info.samplerate), static_cast<double>(info.frames) / info.samplerate};
    if (!t.file_sha256.empty()) {
      const auto digest = session::sha256_file(t.file);
      if (!digest) throw DeliverError(track_name(t) + ": cannot read " + t.file.string());
      if (*digest != lower(t.file_sha256)) {
        throw DeliverError(track_name(t) + ": source " + t.file.string() +
                           " has changed since it was added (its SHA-256 differs)");
      }
    }
  });
  return sources;
}

/// Every file under `root` (sorted, relative), and SHA256SUMS listing them as sha256sum does.
/// Every file and folder is on the disk when it returns, so that a delivery moved into place
/// afterwards survives a power cut whole.
std::vector<std::string> write_manifest(const fs::path& root, unsigned jobs) {
  std::vector<std::string> files;
  std::vector<fs::path> folders{root};
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), root).string());
    if (e.is_directory()) folders.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> digests(files.size());
  parallel(jobs, files.size(), [&](std::size_t i) {
    const auto d = session::sha256_file(root / files[i]);
    if (!d) throw DeliverError("cannot read " + files[i] + " for the manifest");
    digests[i] = *d;
    make_durable(root / files[i]);
  });
  {
    std::ofstream out(root / "SHA256SUMS", std::ios::binary);
    for (std::size_t i = 0; i < files.size(); ++i) out << digests[i] << "  " << files[i] << "\n";
    if (!out.flush()) throw DeliverError("cannot write SHA256SUMS");
  }
  make_durable(root / "SHA256SUMS");
  for (const auto& f : folders) make_durable(f);
  files.push_back("SHA256SUMS");
  return files;
}

}  // namespace

const char* format_name(Format f) {
  switch (f) {
    case Format::cd: return "cd";
    case Format::streaming: return "streaming";
    case Format::hires: return "hires";
    case Format::vinyl: return "vinyl";
  }
  return "?";
}

std::optional<Format> parse_format(std::string_view name) {
  for (const Format f : {Format::cd, Format::streaming, Format::hires, Format::vinyl}) {
    if (name == format_name(f)) return f;
  }
  return std::nullopt;
}

DeliverResult deliver(const Release& release, const DeliverOptions& opt) {
  fs::path out = fs::absolute(opt.out).lexically_normal();
  if (!out.has_filename()) out = out.parent_path();
  std::error_code ec;
  if (fs::exists(out, ec)) throw DeliverError(out.string() + " exists; deliver writes a new folder");
  if (!fs::is_directory(out.parent_path(), ec)) throw DeliverError(out.parent_path().string() + " is not a folder");
  const dsp::LoudnessTarget* service = dsp::find_target(opt.target);
  if (service == nullptr || !service->streaming) {
    throw DeliverError("--target " + opt.target + ": not a streaming service (spotify, apple, youtube, tidal, deezer, amazon)");
  }
  for (const auto& t : release.tracks) chain_of(t);  // every snapshot applies, before any work

  const unsigned jobs = std::max(1u, opt.jobs);
  // Chains are built on several threads at once; FFTW's planner is not reentrant otherwise.
  fftw_make_planner_thread_safe();
  std::vector<SourceInfo> sources = check_sources(release, jobs);
  DeliverResult result;
  for (const auto& s : sources) result.audio_s += s.seconds;
  const bool cd = std::find(opt.formats.begin(), opt.formats.end(), Format::cd) != opt.formats.end();
  if (cd) {
    // The Red Book limits, from the sources' lengths, before any rendering.
    std::vector<std::int64_t> frames;
    for (const auto& s : sources) frames.push_back(std::llround(s.seconds * kCdRate));
    lay_out_cd(release, frames);
  }
  if (std::find(opt.formats.begin(), opt.formats.end(), Format::vinyl) != opt.formats.end()) {
    // Sides and their lengths, from the sources, before any rendering.
    std::vector<std::int64_t> frames;
    std::vector<int> rates;
    for (const auto& s : sources) {
      frames.push_back(std::llround(s.seconds * s.rate));
      rates.push_back(static_cast<int>(s.rate));
    }
    for (const auto& side : lay_out_vinyl(release, frames, rates)) {
      const RuleResult length = side_length_rule(side);
      if (!length.pass && opt.overrides.count("side_length") == 0) {
        throw DeliverError("vinyl: side " + side.name + ": " + length.detail + " (--override side_length cuts it anyway)");
      }
    }
  }

  Staging staging(out);
  ProgressBar progress(opt, result.audio_s);
  Delivery delivery(release, opt, staging.path(), sources, progress);
  for (std::size_t k = 0; k < opt.formats.size(); ++k) {
    const Format f = opt.formats[k];
    progress.check_cancel();
    delivery.formats_follow(k + 1 < opt.formats.size());
    switch (f) {
      case Format::cd: delivery.cd(); break;
      case Format::streaming: delivery.streaming(); break;
      case Format::hires: delivery.hires(); break;
      case Format::vinyl: delivery.vinyl(); break;
    }
  }
  delivery.renders_done();
  delivery.analyse(opt.formats);
  std::vector<RuleResult> failed;
  for (const Format f : opt.formats) {
    for (auto& r : delivery.check(f)) {
      if (!r.pass && !r.overridden) failed.push_back(r);
      result.rules.push_back(std::move(r));
    }
  }
  if (!failed.empty()) {
    const std::string what = std::to_string(failed.size()) + " compliance rule" + (failed.size() == 1 ? "" : "s") +
                             " failed; nothing delivered";
    throw ComplianceFailure(what, std::move(failed));
  }
  fs::remove_all(staging.path() / ".work");
  result.files = write_manifest(staging.path(), jobs);
  staging.commit(out);
  return result;
}

}  // namespace lacquer::daemon::deliver
