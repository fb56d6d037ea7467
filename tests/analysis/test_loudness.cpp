// Loudness and true peak against EBU Tech 3341 (cases 1-6 and 9-23) and Tech 3342 (cases
// 1-4), libebur128's true peak and ffmpeg's ebur128 filter.

#include <ebur128.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>

#include "lacquer/analysis/analysis.hpp"
#include "music.hpp"

namespace lacquer::analysis {
namespace {

using test::Audio;
using test::tone;

Options no_codec() {
  Options o;
  o.codec = false;
  return o;
}

TrackReport measure(const Audio& a) {
  return analyse(a.x.data(), a.frames(), a.channels, a.rate, no_codec());
}

// Tech 3341 cases 1-5: stereo sine programmes; +-0.1 LU.
TEST(Tech3341, Cases1To5) {
  for (const double level : {-23.0, -33.0}) {
    const auto r = measure(tone({{20.0, level}}));
    EXPECT_NEAR(r.loudness.integrated_lufs, level, 0.1);
    EXPECT_NEAR(r.loudness.momentary_max_lufs, level, 0.1);
    EXPECT_NEAR(r.loudness.short_term_max_lufs, level, 0.1);
    EXPECT_NEAR(r.loudness_curve.momentary.back(), level, 0.1);
    EXPECT_NEAR(r.loudness_curve.short_term.back(), level, 0.1);
  }
  EXPECT_NEAR(measure(tone({{10, -36}, {60, -23}, {10, -36}})).loudness.integrated_lufs, -23.0, 0.1);
  EXPECT_NEAR(measure(tone({{10, -72}, {10, -36}, {60, -23}, {10, -36}, {10, -72}})).loudness.integrated_lufs,
              -23.0, 0.1);
  EXPECT_NEAR(measure(tone({{20, -26}, {20.1, -20}, {20, -26}})).loudness.integrated_lufs, -23.0, 0.1);
}

// Case 6: 5.0 (L R C Ls Rs) at -28, -28, -24, -30, -30 dBFS; surrounds weigh 1.41.
TEST(Tech3341, Case6FiveChannels) {
  const double levels[] = {-28, -28, -24, -30, -30};
  Audio a = tone({{20.0, 0.0}}, 997.0, 5);
  for (std::size_t i = 0; i < a.frames(); ++i) {
    for (int c = 0; c < 5; ++c) a.at(i, c) *= static_cast<float>(test::gain(levels[c]));
  }
  const auto r = measure(a);
  EXPECT_NEAR(r.loudness.integrated_lufs, -23.0, 0.1);
  EXPECT_FALSE(r.correlation.has_value());
}

// Case 9: 1.34 s at -20 and 1.66 s at -30 dBFS, five times: short-term -23 from 3 s on.
TEST(Tech3341, Case9ShortTermConstant) {
  const auto r = measure(tone({{1.34, -20}, {1.66, -30}, {1.34, -20}, {1.66, -30}, {1.34, -20},
                               {1.66, -30}, {1.34, -20}, {1.66, -30}, {1.34, -20}, {1.66, -30}}));
  const auto& st = r.loudness_curve.short_term;
  for (std::size_t h = 29; h < st.size(); ++h) ASSERT_NEAR(st[h], -23.0, 0.1) << h;
}

// Cases 10-14: tone bursts between silences whose lengths fall anywhere on the 10 and
// 100 ms grids. Maxima: short-term of 3 s bursts, momentary of 0.4 s bursts; +-0.1 LU.
Audio bursts(double burst_s, const std::vector<double>& levels, double first_gap_s) {
  std::vector<std::pair<double, double>> seg;
  double gap = first_gap_s;
  for (const double level : levels) {
    seg.emplace_back(gap, -200.0);
    seg.emplace_back(burst_s, level);
    gap = 1.0 + std::fmod(gap * 7.31, 1.0);  // 1..2 s, off any grid
  }
  seg.emplace_back(1.0, -200.0);
  Audio a;
  for (const auto& s : seg) {
    const Audio part = tone({s});
    a.x.insert(a.x.end(), part.x.begin(), part.x.end());
  }
  return a;
}

TEST(Tech3341, Cases10To14BurstMaxima) {
  const std::vector<double> same(20, -23.0);
  std::vector<double> rising;
  for (int k = 0; k < 20; ++k) rising.push_back(-38.0 + k);
  // 10 and 11: short-term maxima.
  EXPECT_NEAR(measure(bursts(3.0, same, 0.517)).loudness.short_term_max_lufs, -23.0, 0.1);
  EXPECT_NEAR(measure(bursts(3.0, rising, 0.533)).loudness.short_term_max_lufs, -19.0, 0.1);
  // 12 and 13: momentary maxima.
  EXPECT_NEAR(measure(bursts(0.4, same, 0.261)).loudness.momentary_max_lufs, -23.0, 0.1);
  EXPECT_NEAR(measure(bursts(0.4, rising, 0.377)).loudness.momentary_max_lufs, -19.0, 0.1);
  // 14: one 0.4 s burst 50 ms off the 100 ms grid: a meter evaluated every 100 ms reads
  // 0.35 s of it (-0.6 LU); every 10 ms reads within 5 ms of it.
  const auto r = measure(tone({{1.05, -200}, {0.4, -23}, {1.0, -200}}));
  EXPECT_NEAR(r.loudness.momentary_max_lufs, -23.0, 0.1);
  double curve_max = -INFINITY;
  for (const double v : r.loudness_curve.momentary) curve_max = std::max(curve_max, v);
  EXPECT_LT(curve_max, -23.4);  // the 100 ms curve alone misses it, as the issue says
}

// Cases 15-19: true peak of sines at fs/4, fs/6, fs/8 and phases; +0.2 / -0.4 dB.
TEST(Tech3341, Cases15To19TruePeak) {
  struct Case {
    double amplitude, cycles_per_sample, phase_deg, expected_dbtp;
  };
  const Case cases[] = {{0.5, 0.25, 0.0, -6.0}, {0.5, 0.25, 45.0, -6.0}, {0.5, 1.0 / 6, 60.0, -6.0},
                        {0.5, 0.125, 67.5, -6.0}, {1.41, 0.25, 45.0, 3.0}};
  for (const Case& c : cases) {
    const double tp = measure(test::faded_sine(c.amplitude, c.cycles_per_sample, c.phase_deg))
                          .loudness.true_peak_dbtp;
    EXPECT_LE(tp, c.expected_dbtp + 0.2) << c.cycles_per_sample << " " << c.phase_deg;
    EXPECT_GE(tp, c.expected_dbtp - 0.4) << c.cycles_per_sample << " " << c.phase_deg;
  }
}

// Cases 20-23 from the EBU test set: 0 dBTP, +0.2 / -0.4 dB.
TEST(Tech3341, Cases20To23TruePeakFiles) {
  const double sample_peaks[] = {-0.130, -0.464, -2.507, -0.464};
  for (int n = 20; n <= 23; ++n) {
    const auto r = analyse_file(std::string(LACQUER_TESTDATA_DIR) + "/ebu-tech3341/3341-" +
                                    std::to_string(n) + ".wav",
                                no_codec());
    EXPECT_NEAR(r.loudness.sample_peak_dbfs, sample_peaks[n - 20], 0.01) << n;
    EXPECT_LE(r.loudness.true_peak_dbtp, 0.2) << n;
    EXPECT_GE(r.loudness.true_peak_dbtp, -0.4) << n;
  }
}

// Tech 3342 cases 1-4: LRA of stereo sine segments; +-1 LU.
TEST(Tech3342, Cases1To4) {
  EXPECT_NEAR(measure(tone({{20, -20}, {20, -30}})).loudness.lra_lu, 10.0, 1.0);
  EXPECT_NEAR(measure(tone({{20, -20}, {20, -15}})).loudness.lra_lu, 5.0, 1.0);
  EXPECT_NEAR(measure(tone({{20, -40}, {20, -20}})).loudness.lra_lu, 20.0, 1.0);
  EXPECT_NEAR(measure(tone({{20, -50}, {20, -35}, {20, -20}, {20, -35}, {20, -50}})).loudness.lra_lu,
              15.0, 1.0);
}

// The true-peak interpolator is libebur128's: the same reading on music within 0.05 dB, at
// 44.1 kHz (4x) and 96 kHz (2x).
TEST(TruePeak, AgreesWithLibebur128) {
  for (const double rate : {44100.0, 96000.0}) {
    Audio a = test::music(8.0, 3, rate);
    for (float& v : a.x) v *= 3.0f;  // hot, with overs between samples
    ebur128_state* st = ebur128_init(2, static_cast<unsigned long>(rate), EBUR128_MODE_TRUE_PEAK);
    ebur128_add_frames_float(st, a.x.data(), a.frames());
    double l = 0.0, r = 0.0;
    ebur128_true_peak(st, 0, &l);
    ebur128_true_peak(st, 1, &r);
    ebur128_destroy(&st);
    const auto rep = measure(a);
    EXPECT_NEAR(rep.channel_stats[0].true_peak_dbtp, 20.0 * std::log10(l), 0.05) << rate;
    EXPECT_NEAR(rep.channel_stats[1].true_peak_dbtp, 20.0 * std::log10(r), 0.05) << rate;
    if (rate < 96000.0) {  // 2x finds less between samples
      EXPECT_GT(rep.loudness.true_peak_dbtp, rep.loudness.sample_peak_dbfs + 0.05);
    }
  }
}

// Integrated loudness, LRA and true peak of the same file by ffmpeg's ebur128 filter.
TEST(Ffmpeg, Ebur128FilterAgrees) {
  if (std::system("ffmpeg -version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no ffmpeg";
  const auto dir = std::filesystem::temp_directory_path() / ("lacquer_ff_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto wav = (dir / "music.wav").string();
  Audio a = test::music(40.0, 5);
  // A quieter second half, so LRA has something to measure.
  for (std::size_t i = a.frames() / 2; i < a.frames(); ++i) a.at(i, 0) *= 0.3f, a.at(i, 1) *= 0.3f;
  ASSERT_TRUE(test::write_wav(wav, a));
  const std::string cmd = "ffmpeg -nostats -hide_banner -i " + wav + " -af ebur128=peak=true -f null - 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe.get()) != nullptr) out += buf;
  const auto summary = out.substr(out.rfind("Summary:"));
  const auto value = [&](const char* key) {
    std::smatch m;
    EXPECT_TRUE(std::regex_search(summary, m, std::regex(std::string(key) + R"(:\s+(-?[0-9.]+))")))
        << key;
    return std::stod(m[1]);
  };
  const auto r = analyse_file(wav, no_codec());
  RecordProperty("integrated_lufs", std::to_string(r.loudness.integrated_lufs));
  RecordProperty("ffmpeg_integrated_lufs", std::to_string(value("I")));
  EXPECT_NEAR(r.loudness.integrated_lufs, value("I"), 0.1);
  EXPECT_NEAR(r.loudness.lra_lu, value("LRA"), 0.5);
  // ffmpeg interpolates to 192 kHz with its own resampler: close, not equal.
  EXPECT_NEAR(r.loudness.true_peak_dbtp, value("Peak"), 0.2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lacquer::analysis
