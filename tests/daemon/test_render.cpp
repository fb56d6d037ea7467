// `lacquer render` end to end: the built binary runs on generated files; the results are
// read back with libsndfile and measured with libebur128.
#include <gtest/gtest.h>

#include <ebur128.h>
#include <sndfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
constexpr double kPi = std::numbers::pi;

struct Audio {
  int rate = 48000;
  int channels = 2;
  int format = 0;
  std::vector<double> samples;  // interleaved
  std::size_t frames() const { return samples.size() / static_cast<std::size_t>(channels); }
};

// Mix-like material below 0 dBTP: noise, bass and a tone per channel.
Audio material(int rate, int channels, double seconds, double gain = 1.0) {
  Audio a;
  a.rate = rate;
  a.channels = channels;
  const auto n = static_cast<std::size_t>(seconds * rate);
  a.samples.resize(n * static_cast<std::size_t>(channels));
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0.0, 0.06);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double bass = 0.25 * std::sin(2.0 * kPi * 60.0 * t);
    for (int c = 0; c < channels; ++c) {
      const double tone = 0.1 * std::sin(2.0 * kPi * (800.0 + 700.0 * c) * t);
      a.samples[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] =
          gain * (bass + tone + noise(rng));
    }
  }
  return a;
}

// Hot, dense, drum-led material: kick, snare and hats over bass and a pad, its drum hits
// peaking several dB over full scale (float files carry them) at a crest that the loudness
// does not follow: the more the limiter is driven, the less each dB of drive adds.
Audio drums(double seconds, double gain) {
  Audio a;
  const auto n = static_cast<std::size_t>(seconds * a.rate);
  a.samples.resize(2 * n);
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0.0, 1.0);
  const double beat_s = 0.5;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / a.rate;
    const double in_beat = std::fmod(t, beat_s);
    const double in_bar = std::fmod(t, 2.0 * beat_s);
    const double kick = 1.6 * std::exp(-in_beat / 0.08) * std::sin(2.0 * kPi * (50.0 + 80.0 * std::exp(-in_beat / 0.01)) * in_beat);
    const double snare = in_bar >= beat_s ? 0.9 * std::exp(-(in_bar - beat_s) / 0.05) * noise(rng) : 0.0;
    const double hat = 0.15 * std::exp(-std::fmod(t, beat_s / 2.0) / 0.01) * noise(rng);
    const double bass = 0.2 * std::sin(2.0 * kPi * 55.0 * t);
    for (int c = 0; c < 2; ++c) {
      const double pad = 0.05 * std::sin(2.0 * kPi * (220.0 + 110.0 * c) * t) + 0.02 * noise(rng);
      a.samples[2 * i + static_cast<std::size_t>(c)] = gain * (kick + snare + bass + pad + (c ? hat : -hat));
    }
  }
  return a;
}

void write(const fs::path& path, const Audio& a, int format) {
  SF_INFO info{};
  info.samplerate = a.rate;
  info.channels = a.channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  sf_writef_double(f, a.samples.data(), static_cast<sf_count_t>(a.frames()));
  sf_close(f);
}

Audio read(const fs::path& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (f == nullptr) throw std::runtime_error("cannot read " + path.string());
  Audio a;
  a.rate = info.samplerate;
  a.channels = info.channels;
  a.format = info.format;
  a.samples.resize(static_cast<std::size_t>(info.frames) * static_cast<std::size_t>(info.channels));
  sf_readf_double(f, a.samples.data(), info.frames);
  sf_close(f);
  return a;
}

struct Loudness {
  double integrated_lufs;
  double true_peak_dbtp;
};

Loudness measure(const Audio& a) {
  ebur128_state* st = ebur128_init(static_cast<unsigned>(a.channels),
                                   static_cast<unsigned long>(a.rate),
                                   EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
  ebur128_add_frames_double(st, a.samples.data(), a.frames());
  Loudness l{};
  ebur128_loudness_global(st, &l.integrated_lufs);
  double peak = 0.0;
  for (unsigned c = 0; c < static_cast<unsigned>(a.channels); ++c) {
    double tp = 0.0;
    ebur128_true_peak(st, c, &tp);
    peak = std::max(peak, tp);
  }
  l.true_peak_dbtp = 20.0 * std::log10(peak);
  ebur128_destroy(&st);
  return l;
}

struct Outcome {
  int exit_code;
  std::string err;
};

class Render : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lacquer-render-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path at(const std::string& name) const { return dir_ / name; }

  /// Runs `lacquer render ARGS`, after the shell commands in `setup` when given.
  Outcome render(const std::string& args, const std::string& setup = "") const {
    const fs::path err = dir_ / "stderr.txt";
    const std::string cmd = setup + std::string(LACQUER_BINARY) + " render " + args + " 2> '" +
                            err.string() + "'";
    const int status = std::system(cmd.c_str());
    std::ifstream in(err);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::remove(err);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
  }

  // Nothing but the listed files in the directory: no output, no temporary file.
  void expect_only(std::initializer_list<std::string> names) const {
    std::vector<std::string> present;
    for (const auto& e : fs::directory_iterator(dir_)) present.push_back(e.path().filename());
    std::sort(present.begin(), present.end());
    std::vector<std::string> want(names);
    std::sort(want.begin(), want.end());
    EXPECT_EQ(present, want);
  }

  fs::path dir_;
};

double max_abs_difference(const Audio& out, const Audio& in, int in_channel_of_right) {
  double worst = 0.0;
  for (std::size_t i = 0; i < in.frames(); ++i) {
    for (int c = 0; c < 2; ++c) {
      const int src = c == 1 ? in_channel_of_right : 0;
      const double x = in.samples[i * static_cast<std::size_t>(in.channels) + static_cast<std::size_t>(src)];
      worst = std::max(worst, std::abs(out.samples[2 * i + static_cast<std::size_t>(c)] - x));
    }
  }
  return worst;
}

TEST_F(Render, DefaultChainNullsAgainstTheInput) {
  const Audio in = material(48000, 2, 5.0);
  write(at("in.wav"), in, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const Outcome r = render(at("in.wav").string() + " " + at("out.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Audio out = read(at("out.wav"));
  EXPECT_EQ(out.format, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  ASSERT_EQ(out.frames(), in.frames());
  // Aligned (latency compensated) and transparent.
  EXPECT_LT(20.0 * std::log10(max_abs_difference(out, in, 1) + 1e-300), -120.0);
}

TEST_F(Render, FlacIn24BitsOutNullsWithinDither) {
  const Audio in = material(44100, 2, 3.0);
  write(at("in.flac"), in, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
  const Outcome r = render(at("in.flac").string() + " " + at("out.flac").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Audio out = read(at("out.flac"));
  EXPECT_EQ(out.format, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
  EXPECT_EQ(out.rate, 44100);
  ASSERT_EQ(out.frames(), in.frames());
  // The only difference is the 24-bit TPDF dither: at most a few LSB of 2^-23.
  EXPECT_LT(20.0 * std::log10(max_abs_difference(out, in, 1)), -120.0);
}

std::string shell_output(const std::string& command) {
  std::string text;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, n);
    ::pclose(p);
  }
  return text;
}

// Tags are written with the audio, before it, with padding for later edits: metaflac reads
// them, flac verifies the stream's MD5, and a WAV output or a bad name is refused.
TEST_F(Render, FlacOutputCarriesItsTagsAndPadding) {
  write(at("in.wav"), material(48000, 2, 2.0), SF_FORMAT_WAV | SF_FORMAT_PCM_24);
  const std::string out = "'" + at("out.flac").string() + "'";
  const Outcome r = render(at("in.wav").string() + " " + out +
                           " --tag 'TITLE=Ünder the Sun' --tag ISRC=GBAYE2600001 --tag 'COMMENT=a=b'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(shell_output("metaflac --export-tags-to=- " + out),
            "TITLE=Ünder the Sun\nISRC=GBAYE2600001\nCOMMENT=a=b\n");
  EXPECT_NE(shell_output("metaflac --list --block-type=PADDING " + out).find("length: 8192"), std::string::npos);
  EXPECT_EQ(std::system(("flac -t -s " + out).c_str()), 0);
  const Audio decoded = read(at("out.flac"));
  EXPECT_EQ(decoded.format, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
  EXPECT_EQ(decoded.frames(), 96000u);

  fs::remove(at("out.flac"));
  Outcome refused = render(at("in.wav").string() + " " + at("out.wav").string() + " --tag TITLE=x");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("tags are written in FLAC outputs only"), std::string::npos) << refused.err;
  refused = render(at("in.wav").string() + " " + out + " --tag 'TÍTLE=x'");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("a Vorbis comment name is printable ASCII"), std::string::npos) << refused.err;
  refused = render(at("in.wav").string() + " " + out + " --tag TITLE");
  EXPECT_NE(refused.err.find("expected NAME=VALUE"), std::string::npos) << refused.err;
  expect_only({"in.wav"});
}

TEST_F(Render, MonoInputBecomesDualMono) {
  const Audio in = material(48000, 1, 2.0);
  write(at("mono.wav"), in, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const Outcome r = render(at("mono.wav").string() + " " + at("out.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Audio out = read(at("out.wav"));
  ASSERT_EQ(out.channels, 2);
  EXPECT_LT(20.0 * std::log10(max_abs_difference(out, in, 0) + 1e-300), -120.0);
}

TEST_F(Render, EightBitAnd192kHzInputs) {
  const Audio in8 = material(22050, 2, 2.0, 0.5);
  write(at("in8.wav"), in8, SF_FORMAT_WAV | SF_FORMAT_PCM_U8);
  Outcome r = render(at("in8.wav").string() + " " + at("out8.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Compared with the file as stored (8-bit values), the render is still a null.
  EXPECT_LT(20.0 * std::log10(max_abs_difference(read(at("out8.wav")), read(at("in8.wav")), 1) + 1e-300),
            -120.0);

  const Audio in192 = material(192000, 2, 1.0);
  write(at("in192.wav"), in192, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  r = render(at("in192.wav").string() + " " + at("out192.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Audio out = read(at("out192.wav"));
  EXPECT_EQ(out.rate, 192000);
  EXPECT_LT(20.0 * std::log10(max_abs_difference(out, in192, 1) + 1e-300), -120.0);
}

TEST_F(Render, SpotifyTargetHitsLoudnessAndCeiling) {
  for (const double gain : {0.2, 1.6}) {  // a quiet mix turned up, a loud one turned down
    SCOPED_TRACE(gain);
    const Audio in = material(48000, 2, 20.0, gain);
    write(at("in.wav"), in, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    const Outcome r = render(at("in.wav").string() + " " + at("out.wav").string() + " --target spotify");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Audio out = read(at("out.wav"));
    const Loudness l = measure(out);
    EXPECT_NEAR(l.integrated_lufs, -14.0, 0.5);
    EXPECT_LE(l.true_peak_dbtp, -1.0);
    ASSERT_EQ(out.frames(), in.frames());
    EXPECT_EQ(out.format, SF_FORMAT_WAV | SF_FORMAT_PCM_24);  // a deliverable, not 32-bit float
  }
}

// On material far over every ceiling the limiter must do the work: the target's ceiling
// holds (and is reached: the limiter engaged), and the loudness lands within 0.2 LU although
// it does not follow the drive one-for-one.
TEST_F(Render, TargetsOnHotMaterialHoldTheirCeilingAndLoudness) {
  const Audio in = drums(20.0, 1.0);
  ASSERT_GT(measure(in).true_peak_dbtp, 3.0);  // far over any ceiling before limiting
  write(at("in.wav"), in, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  struct Case {
    const char* target;
    double lufs;
    double ceiling_dbtp;
  };
  for (const Case c : {Case{"spotify", -14.0, -1.0}, Case{"amazon", -14.0, -2.0},
                       Case{"apple", -16.0, -1.0}}) {
    SCOPED_TRACE(c.target);
    const Outcome r = render(at("in.wav").string() + " " + at("out.wav").string() + " --target " + c.target);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Loudness l = measure(read(at("out.wav")));
    EXPECT_NEAR(l.integrated_lufs, c.lufs, 0.2);
    EXPECT_LE(l.true_peak_dbtp, c.ceiling_dbtp);
    EXPECT_GT(l.true_peak_dbtp, c.ceiling_dbtp - 0.5);
  }
}

// The CD target resamples to 44.1 kHz and dithers to 16 bits after the limiter; both can
// put the true peak back over the ceiling, which a further pass with the ceiling lowered
// by the excess takes back.
TEST_F(Render, CdTargetOnHotMaterialEndsUnderItsCeiling) {
  const Audio in = drums(20.0, 1.0);
  write(at("in.wav"), in, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const Outcome r = render(at("in.wav").string() + " " + at("cd.wav").string() + " --target cd");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Audio out = read(at("cd.wav"));
  EXPECT_EQ(out.rate, 44100);
  const Loudness l = measure(out);
  EXPECT_LE(l.true_peak_dbtp, -0.3);
  EXPECT_GT(l.true_peak_dbtp, -0.8);
}

TEST_F(Render, CdTargetResamplesAndDithersTo16Bits) {
  const Audio in = material(48000, 2, 10.0, 0.5);
  write(at("in.wav"), in, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const Outcome r = render(at("in.wav").string() + " " + at("cd.wav").string() + " --target cd");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Audio out = read(at("cd.wav"));
  EXPECT_EQ(out.rate, 44100);
  EXPECT_EQ(out.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  EXPECT_NEAR(static_cast<double>(out.frames()), 10.0 * 44100.0, 1.0);
  EXPECT_LE(measure(out).true_peak_dbtp, -0.3);
}

TEST_F(Render, ResampledOutputStaysAlignedWithTheInput) {
  // A 1 kHz sine at 48 kHz rendered at 44.1 kHz: output frame k is the input at k / 44100 s.
  Audio in;
  in.rate = 48000;
  const std::size_t n = 48000;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = 0.5 * std::sin(2.0 * kPi * 1000.0 * static_cast<double>(i) / 48000.0);
    in.samples.push_back(x);
    in.samples.push_back(x);
  }
  write(at("in.wav"), in, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const Outcome r = render(at("in.wav").string() + " " + at("out.wav").string() + " --rate 44100");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Audio out = read(at("out.wav"));
  ASSERT_EQ(out.rate, 44100);
  double worst = 0.0;
  for (std::size_t k = 4410; k < out.frames() - 4410; ++k) {
    const double want = 0.5 * std::sin(2.0 * kPi * 1000.0 * static_cast<double>(k) / 44100.0);
    worst = std::max(worst, std::abs(out.samples[2 * k] - want));
  }
  EXPECT_LT(20.0 * std::log10(worst), -100.0);
}

TEST_F(Render, ChainFileAndSetApplyInOrder) {
  const Audio in = material(48000, 2, 3.0, 0.3);
  write(at("in.wav"), in, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  {
    std::ofstream f(at("chain.json"));
    f << R"({"/chain/output/gain": -6, "/chain/input/polarity_left": true,
             "/chain/eq/1/type": "low_shelf"})";
  }
  const Outcome r = render(at("in.wav").string() + " " + at("out.wav").string() + " --chain " +
                       at("chain.json").string() + " --set /chain/output/gain=-12");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Audio out = read(at("out.wav"));
  const double g = std::pow(10.0, -12.0 / 20.0);
  for (std::size_t i = 0; i < in.frames(); ++i) {
    ASSERT_NEAR(out.samples[2 * i], -g * in.samples[2 * i], 1e-6);
    ASSERT_NEAR(out.samples[2 * i + 1], g * in.samples[2 * i + 1], 1e-6);
  }
}

// One validator for every way in: out of range is clamped (as OSC, the WebSocket and the API
// do) and said on stderr, where a refusal would have stopped the render.
TEST_F(Render, OutOfRangeSettingsAreClampedAsTheConsoleDoes) {
  const Audio in = material(48000, 2, 2.0, 0.01);
  write(at("in.wav"), in, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  { std::ofstream(at("chain.json")) << R"({"/chain/input/trim": -90})"; }
  const Outcome r = render(at("in.wav").string() + " " + at("out.wav").string() + " --chain " +
                           at("chain.json").string() + " --set /chain/output/gain=40");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("/chain/output/gain: 40 is clamped to 12 dB"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/chain/input/trim: -90 is clamped to -24 dB"), std::string::npos) << r.err;
  const Audio out = read(at("out.wav"));
  const double g = std::pow(10.0, (12.0 - 24.0) / 20.0);
  for (std::size_t i = 0; i < in.frames(); ++i) {
    ASSERT_NEAR(out.samples[2 * i], g * in.samples[2 * i], 1e-6) << i;
  }
}

TEST_F(Render, BadInputsFailCleanlyWithoutOutput) {
  write(at("in.wav"), material(48000, 2, 1.0), SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  write(at("empty.wav"), Audio{}, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  write(at("six.wav"), material(48000, 6, 0.5), SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  { std::ofstream(at("text.wav")) << "not a sound file\n"; }
  { std::ofstream(at("bad.json")) << "{\"/chain/eq/1/gain\": "; }
  const std::string in = at("in.wav").string();
  const std::string out = at("out.wav").string();
  const std::string cases[] = {
      at("missing.wav").string() + " " + out,
      at("text.wav").string() + " " + out,
      at("empty.wav").string() + " " + out,
      at("six.wav").string() + " " + out,
      in + " " + out + " --set /chain/eq/9/gain=1",
      in + " " + out + " --set /monitor/level=-10",
      in + " " + out + " --set /chain/eq/1/gain=nan",
      in + " " + out + " --set /chain/eq/1/type=wobble",
      in + " " + out + " --set /chain/eq/1/gain",
      in + " " + out + " --chain " + at("bad.json").string(),
      in + " " + out + " --target moon",
      in + " " + at("out.mp3").string(),
      in + " " + at("out.flac").string() + " --bits 32f",
      in + " " + out + " --rate 12.5",
  };
  for (const auto& args : cases) {
    const Outcome r = render(args);
    EXPECT_NE(r.exit_code, 0) << args;
    // One clear line on stderr.
    EXPECT_FALSE(r.err.empty()) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
    expect_only({"in.wav", "empty.wav", "six.wav", "text.wav", "bad.json"});
  }
}

// A full disk, as a file size limit (SIGXFSZ ignored, so writes fail with EFBIG): the
// render stops with one clear line, and the output file that was there before is intact.
TEST_F(Render, FullDiskFailsCleanlyAndKeepsTheOldOutput) {
  write(at("in.wav"), material(48000, 2, 3.0), SF_FORMAT_WAV | SF_FORMAT_PCM_24);
  { std::ofstream(at("out.wav")) << "the previous deliverable\n"; }
  // 256 blocks of 512 bytes (128 kB) where the 32-bit float output needs 1.1 MB.
  // Each output stops with one clear line, and nothing but the old output is left.
  const auto full_disk = [&](const std::string& out, const std::string& message) {
    const Outcome r =
        render(at("in.wav").string() + " " + at(out).string(), "ulimit -f 256; trap '' XFSZ; ");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    expect_only({"in.wav", "out.wav"});
  };
  full_disk("out.wav", "cannot write the output");
  std::ifstream kept(at("out.wav"));
  std::string line;
  std::getline(kept, line);
  EXPECT_EQ(line, "the previous deliverable");

  // The same for FLAC, which libFLAC writes: the system's reason.
  full_disk("out.flac", "cannot write the output: File too large");
}

}  // namespace
