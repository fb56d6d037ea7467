#include "vinyl.hpp"

#include <sndfile.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "lacquer/dsp/biquad.hpp"

namespace lacquer::daemon::deliver {

namespace fs = std::filesystem;

namespace {

/// "mm:ss.mmm".
std::string clock_ms(double s) {
  const auto ms = static_cast<long long>(std::llround(s * 1000.0));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld.%03lld", ms / 60000, ms / 1000 % 60, ms % 1000);
  return buf;
}

double seconds_of(std::int64_t samples, int rate) { return static_cast<double>(samples) / rate; }

/// A 4th-order Butterworth filter on both channels: two sections of the same shape.
class FourthOrder {
 public:
  FourthOrder(dsp::BiquadShape shape, double rate, double freq_hz) {
    for (int k = 0; k < 2; ++k) {
      coeffs_[static_cast<std::size_t>(k)] =
          dsp::design_biquad(shape, rate, freq_hz, dsp::butterworth_section_q(4, k), 0.0);
    }
  }
  void process(double* left, double* right, std::uint32_t n) {
    for (std::size_t k = 0; k < 2; ++k) {
      state_[k][0].process(coeffs_[k], left, n);
      state_[k][1].process(coeffs_[k], right, n);
    }
  }

 private:
  std::array<dsp::BiquadCoeffs, 2> coeffs_;
  std::array<std::array<dsp::BiquadState, 2>, 2> state_;
};

/// Energy share (dB) of the third-octave bands in [lo, hi) of the whole spectrum.
double band_share_db(const analysis::Spectrum& s, double lo, double hi) {
  double part = 0.0, all = 0.0;
  for (std::size_t b = 0; b < s.bands_hz.size() && b < s.level_db.size(); ++b) {
    const double p = std::pow(10.0, s.level_db[b] / 10.0);
    if (!std::isfinite(p)) continue;
    all += p;
    if (s.bands_hz[b] >= lo && s.bands_hz[b] < hi) part += p;
  }
  return all > 0.0 && part > 0.0 ? 10.0 * std::log10(part / all) : -std::numeric_limits<double>::infinity();
}

}  // namespace

std::vector<VinylSide> lay_out_vinyl(const Release& release, const std::vector<std::int64_t>& frames,
                                     const std::vector<int>& rates) {
  std::map<std::string, VinylSide> sides;
  for (std::size_t i = 0; i < release.tracks.size(); ++i) {
    const ReleaseTrack& t = release.tracks[i];
    if (t.side.empty()) {
      throw DeliverError(track_name(t) + ": side: no vinyl side; give every track one (A, B…) for vinyl");
    }
    VinylSide& side = sides[t.side];
    side.name = t.side;
    if (side.tracks.empty()) {
      side.rate = rates[i];
    } else if (rates[i] != side.rate) {
      throw DeliverError(track_name(t) + ": side " + t.side + ": its source is at " + std::to_string(rates[i]) +
                         " Hz, the side's first track at " + std::to_string(side.rate) +
                         " Hz; a side is one file at one rate");
    }
    VinylTrack v;
    v.index = i;
    v.code = t.side + std::to_string(side.tracks.size() + 1);
    Placement& p = v.place;
    const auto samples = [&](double s) { return static_cast<std::int64_t>(std::llround(s * side.rate)); };
    if (side.tracks.empty()) {
      p.start = 0;
    } else {
      Placement& prev = side.tracks.back().place;
      // A crossfade only from the track just before it on the album, if it is on this side.
      const bool follows = side.tracks.back().index + 1 == i;
      if (follows && t.crossfade_s > 0.0) {
        const std::int64_t overlap =
            std::min({samples(t.crossfade_s), frames[i], prev.end - prev.start - prev.fade_in});
        p.start = prev.end - overlap;
        prev.fade_out = overlap;
        p.fade_in = overlap;
      } else {
        p.start = prev.end + samples(t.pregap_s);
      }
    }
    p.end = p.start + frames[i];
    side.total = std::max(side.total, p.end);
    side.tracks.push_back(v);
  }
  std::vector<VinylSide> out;
  for (auto& [name, side] : sides) out.push_back(std::move(side));
  return out;
}

double side_level_db(double seconds) {
  return seconds <= kFullLevelSideS ? 0.0 : 20.0 * std::log10(kFullLevelSideS / seconds);
}

RuleResult side_length_rule(const VinylSide& side) {
  const double s = side.seconds();
  RuleResult r{"vinyl/" + side.file_name(), "side_length", s <= kSideMaxS, false, "", false};
  r.warning = r.pass && s > kSideWarnS;
  const std::string length = clock_ms(s).substr(0, 5);
  if (s <= kFullLevelSideS) {
    r.detail = length + " on a 12\" side at 33 1/3 rpm: cut at full level";
  } else {
    r.detail = length + printed(" on a 12\" side at 33 1/3 rpm: cut about %.1f dB below full level", -side_level_db(s)) +
               (s > kSideMaxS ? "; at most 23:00" : s > kSideWarnS ? "; beyond 19:30 the cut loses level and bass" : "");
  }
  return r;
}

std::string timing_sheet(const Release& release, const std::vector<VinylSide>& sides) {
  std::string s = release.title + (release.artist.empty() ? "" : " - " + release.artist) + "\n";
  s += "Vinyl premaster, 12\" 33 1/3 rpm: 24-bit, no limiting, high-passed at 20 Hz\n";
  for (const auto& side : sides) {
    s += "\nSide " + side.name + "  " + side.file_name() + "  " + std::to_string(side.rate) + " Hz  " +
         clock_ms(side.seconds()) + printed("  (level %.1f dB against a full-level side)\n", side_level_db(side.seconds()));
    for (const auto& v : side.tracks) {
      const ReleaseTrack& t = release.tracks[v.index];
      s += "  " + v.code + "  " + clock_ms(seconds_of(v.place.start, side.rate)) + "  " +
           clock_ms(seconds_of(v.place.end - v.place.start, side.rate)) + "  " + t.title +
           (t.isrc.empty() ? "" : "  ISRC " + t.isrc) + "\n";
    }
  }
  return s;
}

nlohmann::json sides_json(const Release& release, const std::vector<VinylSide>& sides) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& side : sides) {
    nlohmann::json tracks = nlohmann::json::array();
    for (const auto& v : side.tracks) {
      const ReleaseTrack& t = release.tracks[v.index];
      tracks.push_back({{"code", v.code}, {"position", t.position}, {"title", t.title}, {"isrc", t.isrc},
                        {"start_s", seconds_of(v.place.start, side.rate)},
                        {"duration_s", seconds_of(v.place.end - v.place.start, side.rate)}});
    }
    out.push_back({{"side", side.name}, {"file", side.file_name()}, {"rate", side.rate},
                   {"duration_s", side.seconds()}, {"level_db", side_level_db(side.seconds())}, {"tracks", tracks}});
  }
  return out;
}

SideMeasures write_vinyl_side(const std::vector<fs::path>& renders, const VinylSide& side, dsp::DitherType dither,
                              const fs::path& out) {
  constexpr std::int64_t kBlock = TimelineMixer::kMaxBlock;
  constexpr double kFull = 8388608.0;  // 2^23
  std::vector<Placement> places;
  for (const auto& v : side.tracks) places.push_back(v.place);
  TimelineMixer mixer(renders, std::move(places));
  SoundFile file = SoundFile::create(out, side.rate, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
  FourthOrder subsonic(dsp::BiquadShape::high_pass, side.rate, kSubsonicHz);
  FourthOrder low_band(dsp::BiquadShape::low_pass, side.rate, kLowBandHz);
  dsp::Dither quantiser;
  quantiser.prepare(side.rate);
  quantiser.set(dither, 24);

  std::array<std::vector<double>, 2> mix, low;
  for (auto& m : mix) m.resize(kBlock);
  for (auto& m : low) m.resize(kBlock);
  std::vector<int> pcm(2 * kBlock);
  SideMeasures m;
  double peak = 0.0, corr_sum = 0.0;
  // Correlation below kLowBandHz in 400 ms windows: sums of L², R² and L·R.
  const auto window = static_cast<std::int64_t>(0.4 * side.rate);
  double ll = 0.0, rr = 0.0, lr = 0.0;
  std::int64_t in_window = 0;
  for (std::int64_t b0 = 0; b0 < side.total; b0 += kBlock) {
    const std::int64_t b1 = std::min(side.total, b0 + kBlock);
    const auto n = static_cast<std::uint32_t>(b1 - b0);
    mixer.mix(b0, b1, mix[0].data(), mix[1].data());
    subsonic.process(mix[0].data(), mix[1].data(), n);
    std::copy_n(mix[0].begin(), n, low[0].begin());
    std::copy_n(mix[1].begin(), n, low[1].begin());
    low_band.process(low[0].data(), low[1].data(), n);
    for (std::uint32_t k = 0; k < n; ++k) {
      peak = std::max({peak, std::abs(mix[0][k]), std::abs(mix[1][k])});
      ll += low[0][k] * low[0][k];
      rr += low[1][k] * low[1][k];
      lr += low[0][k] * low[1][k];
      if (++in_window < window) continue;
      // A window counts when its low band is above -50 dBFS RMS (a full-scale sine: 0.5).
      if ((ll + rr) / (2.0 * static_cast<double>(window)) > 0.5e-5 && ll > 0.0 && rr > 0.0) {
        const double c = lr / std::sqrt(ll * rr);
        ++m.low_windows;
        corr_sum += c;
        if (c < 0.0) ++m.negative_windows;
        if (!(c >= m.low_corr_min)) {
          m.low_corr_min = c;
          m.low_corr_min_at_s = seconds_of(b0 + k + 1 - window, side.rate);
        }
      }
      ll = rr = lr = 0.0;
      in_window = 0;
    }
    quantiser.process(mix[0].data(), mix[1].data(), n);
    for (std::uint32_t k = 0; k < 2 * n; ++k) {
      const double x = std::round(mix[k % 2][k / 2] * kFull);
      if (x > kFull - 1.0 || x < -kFull) ++m.clamped;
      pcm[k] = static_cast<int>(std::clamp(x, -kFull, kFull - 1.0)) * 256;  // libsndfile's ints are top-aligned
    }
    file.write(pcm.data(), n);
  }
  file.close();
  m.peak_dbfs = peak > 0.0 ? 20.0 * std::log10(peak) : -std::numeric_limits<double>::infinity();
  if (m.low_windows > 0) m.low_corr_mean = corr_sum / m.low_windows;
  return m;
}

std::vector<RuleResult> vinyl_rules(const std::string& file, const SideMeasures& m,
                                    const analysis::TrackReport& report) {
  std::vector<RuleResult> out;
  const auto add = [&](const char* rule, bool pass, bool warning, std::string detail) {
    out.push_back({file, rule, pass, false, std::move(detail), warning});
  };
  add("clipping", m.clamped == 0, false,
      printed("peak %.2f dBFS from the chain, before the 24-bit file", m.peak_dbfs) +
          (m.clamped > 0 ? ": " + std::to_string(m.clamped) + " samples clamped at full scale; lower the chain's output gain"
                         : ""));
  if (m.low_windows == 0) {
    add("low_band_phase", true, false, "no signal below 300 Hz");
  } else {
    std::string detail = printed("correlation below 300 Hz: mean %.2f, lowest %.2f", m.low_corr_mean, m.low_corr_min) +
                         " at " + clock_ms(m.low_corr_min_at_s);
    if (m.negative_windows > 0) {
      detail += "; negative in " + std::to_string(m.negative_windows) + " of " + std::to_string(m.low_windows) +
                " windows of 400 ms: vertical groove excursion, the bass cancels in mono";
    }
    add("low_band_phase", true, m.negative_windows > 0, detail);
  }
  // Sibilance (4-10 kHz) and the air above (10 kHz up) as shares of the whole spectrum: loud
  // there, the cutter head overheats and the playback stylus mistracks.
  constexpr double kSibilanceShareDb = -12.0, kHfShareDb = -15.0;
  const double sib = band_share_db(report.spectrum, 4000.0, 10000.0);
  const double hf = band_share_db(report.spectrum, 10000.0, 1e9);
  add("sibilance", true, sib > kSibilanceShareDb,
      printed("%.1f dB of the energy between 4 and 10 kHz (warning above %.0f dB): de-ess for the cut", sib,
              kSibilanceShareDb));
  add("hf_energy", true, hf > kHfShareDb,
      printed("%.1f dB of the energy above 10 kHz (warning above %.0f dB)", hf, kHfShareDb));
  // The analysis' own vinyl warnings that the lines above do not already cover.
  for (const auto& w : report.warnings) {
    if (w.format == "vinyl" && w.rule != "low_end_phase" && w.rule != "high_frequency_energy") {
      out.push_back({file, w.rule, true, false, w.message, true});
    }
  }
  return out;
}

}  // namespace lacquer::daemon::deliver
