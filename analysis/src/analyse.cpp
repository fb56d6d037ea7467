#include "lacquer/analysis/analysis.hpp"
#include "lacquer/analysis/text.hpp"

#include <sndfile.h>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdarg>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <utility>
#include <string>

#include "codec.hpp"
#include "lacquer/dsp/targets.hpp"
#include "signal_pass.hpp"

namespace lacquer::analysis {

using detail::SignalPass;

namespace {

constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
constexpr double kLoudnessOffsetDb = -0.691;     // BS.1770: L = -0.691 + 10 log10(z)
constexpr double kAbsoluteGateLufs = -70.0;
constexpr double kRelativeGateLu = -10.0;        // integrated (BS.1770-4)
constexpr double kLraRelativeGateLu = -20.0;     // EBU Tech 3342
constexpr double kDcOffsetDbfs = -60.0;
constexpr double kAbruptDbfs = -40.0;            // level of the first / last 5 ms
constexpr std::size_t kAbruptCells = 5;
constexpr double kDropoutMinS = 0.020;
constexpr double kClickRatio = 8.0;              // spike against the residual around it
constexpr double kClickOverSignal = 0.1;         // and against the signal's RMS around it
constexpr double kClickFloor = 1e-3;             // -60 dBFS
constexpr double kPhaseCorrelation = -0.5;
constexpr double kPhaseMinS = 0.3;
constexpr double kEventMergeS = 0.05;
constexpr std::size_t kMaxEventsPerType = 200;

double lufs(double mean_square) {
  return mean_square > 0.0 ? kLoudnessOffsetDb + 10.0 * std::log10(mean_square) : kMinusInf;
}
double db(double gain) { return gain > 0.0 ? 20.0 * std::log10(gain) : kMinusInf; }
double power_db(double p) { return p > 0.0 ? 10.0 * std::log10(p) : kMinusInf; }

std::string clock(double seconds) {
  const auto ms = static_cast<long long>(std::llround(seconds * 1000.0));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld.%03lld", ms / 60000, ms / 1000 % 60, ms % 1000);
  return buf;
}

/// Flush-to-zero for this thread while it lives: decaying filter states in silence would
/// otherwise run into denormals, a hundred times slower.
class DenormalsOff {
 public:
  DenormalsOff() {
#if defined(__SSE__)
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | 0x8040);
#endif
  }
  ~DenormalsOff() {
#if defined(__SSE__)
    _mm_setcsr(saved_);
#endif
  }
  DenormalsOff(const DenormalsOff&) = delete;
  DenormalsOff& operator=(const DenormalsOff&) = delete;

 private:
  unsigned saved_ = 0;
};

void check_format(int channels, double sample_rate) {
  if (channels < 1 || channels > 8) {
    throw AnalysisError(std::to_string(channels) + " channels; analyze takes 1 to 8");
  }
  if (!(sample_rate >= 8000.0 && sample_rate <= 768000.0) || sample_rate != std::round(sample_rate)) {
    throw AnalysisError(printed("unsupported sample rate %g Hz", sample_rate));
  }
}

// ---- loudness ------------------------------------------------------------------------------

void loudness(const SignalPass& pass, double rate, TrackReport& r) {
  const std::size_t k_count = pass.sub_blocks();
  std::vector<double> e(k_count + 1, 0.0);  // prefix sums of sub-block energies
  for (std::size_t k = 0; k < k_count; ++k) e[k + 1] = e[k] + pass.k_energy[k];
  const auto window = [&](std::size_t last, std::size_t blocks) {
    // Mean square of the `blocks` sub-blocks ending with `last`; silence before the start.
    const std::size_t first = last + 1 >= blocks ? last + 1 - blocks : 0;
    const double frames = last + 1 >= blocks
                              ? static_cast<double>(pass.start(last + 1) - pass.start(first))
                              : rate * static_cast<double>(blocks) / 100.0;
    return (e[last + 1] - e[first]) / frames;
  };
  Loudness& l = r.loudness;
  for (std::size_t k = 0; k < k_count; ++k) {
    l.momentary_max_lufs = std::max(l.momentary_max_lufs, lufs(window(k, 40)));
    l.short_term_max_lufs = std::max(l.short_term_max_lufs, lufs(window(k, 300)));
  }
  LoudnessCurve& curve = r.loudness_curve;
  for (std::size_t h = 0; h * 10 < k_count; ++h) {
    const std::size_t last = std::min(h * 10 + 9, k_count - 1);
    curve.momentary.push_back(lufs(window(last, 40)));
    curve.short_term.push_back(lufs(window(last, 300)));
    float tp = 0.0f;
    for (std::size_t k = h * 10; k <= last; ++k) tp = std::max(tp, pass.true_peak[k]);
    curve.true_peak.push_back(db(tp));
  }

  // Sub-blocks that are whole 10 ms (the last may be short).
  const auto whole = static_cast<std::size_t>(static_cast<double>(r.frames) * 100.0 / rate);
  // Integrated: 400 ms gating blocks every 100 ms, absolute then relative gate.
  for (std::size_t j = 0; 10 * j + 40 <= whole; ++j) r.gating_blocks.push_back(window(10 * j + 39, 40));
  const auto gated_mean = [](const std::vector<double>& blocks, double gate_lu) {
    double sum = 0.0;
    std::size_t n = 0;
    for (const double z : blocks) {
      if (lufs(z) > kAbsoluteGateLufs) sum += z, ++n;
    }
    if (n == 0) return kMinusInf;
    const double gate = lufs(sum / static_cast<double>(n)) + gate_lu;
    sum = 0.0;
    n = 0;
    for (const double z : blocks) {
      if (lufs(z) > kAbsoluteGateLufs && lufs(z) > gate) sum += z, ++n;
    }
    return n > 0 ? lufs(sum / static_cast<double>(n)) : kMinusInf;
  };
  l.integrated_lufs = gated_mean(r.gating_blocks, kRelativeGateLu);

  // LRA (Tech 3342): short-term values every 100 ms with whole 3 s windows.
  std::vector<double> st;
  for (std::size_t k = 299; k < whole; k += 10) {
    const double v = lufs(window(k, 300));
    if (v > kAbsoluteGateLufs) st.push_back(v);
  }
  if (!st.empty()) {
    double sum = 0.0;
    for (const double v : st) sum += std::pow(10.0, (v - kLoudnessOffsetDb) / 10.0);
    const double gate = lufs(sum / static_cast<double>(st.size())) + kLraRelativeGateLu;
    std::erase_if(st, [&](double v) { return v < gate; });
    std::sort(st.begin(), st.end());
    const auto at = [&](double p) {
      return st[static_cast<std::size_t>(std::lround(static_cast<double>(st.size() - 1) * p))];
    };
    l.lra_lu = st.empty() ? 0.0 : at(0.95) - at(0.10);
  }

  float sp = 0.0f, tp = 0.0f;
  for (std::size_t c = 0; c < pass.sample_peak.size(); ++c) {
    sp = std::max(sp, pass.sample_peak[c]);
    tp = std::max(tp, pass.channel_true_peak[c]);
  }
  l.sample_peak_dbfs = db(sp);
  l.true_peak_dbtp = db(tp);
  l.plr_db = std::isfinite(l.integrated_lufs) ? l.true_peak_dbtp - l.integrated_lufs : kMinusInf;
}

// ---- channels and stereo ---------------------------------------------------------------------

void channels_and_stereo(const SignalPass& pass, TrackReport& r) {
  const double n = static_cast<double>(std::max<std::uint64_t>(r.frames, 1));
  for (int c = 0; c < r.channels; ++c) {
    const auto ci = static_cast<std::size_t>(c);
    ChannelStats s;
    s.channel = c;
    s.dc_offset = pass.sum[ci] / n;
    s.rms_dbfs = power_db(pass.sum_sq[ci] / n);
    s.sample_peak_dbfs = db(pass.sample_peak[ci]);
    s.true_peak_dbtp = db(pass.channel_true_peak[ci]);
    s.crest_db = std::isfinite(s.rms_dbfs) ? s.sample_peak_dbfs - s.rms_dbfs : 0.0;
    r.channel_stats.push_back(s);
  }
  if (r.channels != 2) return;
  const auto total = [](const std::vector<double>& v) {
    double s = 0.0;
    for (const double x : v) s += x;
    return s;
  };
  const auto corr = [](double lr, double ll, double rr) {
    return ll > 0.0 && rr > 0.0 ? lr / std::sqrt(ll * rr) : 0.0;
  };
  const double lr = total(pass.lr), ll = total(pass.ll), rr = total(pass.rr);
  Correlation cor;
  cor.mean = corr(lr, ll, rr);
  cor.low_band_mean = corr(total(pass.lr_low), total(pass.ll_low), total(pass.rr_low));
  // Lowest over 400 ms windows every 100 ms that carry signal (above -50 dBFS RMS).
  cor.min = cor.mean;
  const std::size_t k_count = pass.sub_blocks();
  for (std::size_t k = 0; k + 40 <= k_count; k += 10) {
    double a = 0.0, b = 0.0, c = 0.0;
    for (std::size_t i = k; i < k + 40; ++i) a += pass.lr[i], b += pass.ll[i], c += pass.rr[i];
    const double frames = static_cast<double>(pass.start(k + 40) - pass.start(k));
    if ((b + c) / (2.0 * frames) < 1e-5) continue;
    cor.min = std::min(cor.min, corr(a, b, c));
  }
  r.correlation = cor;
  r.stereo_width = ll + rr > 0.0 ? (ll + rr - 2.0 * lr) / (2.0 * (ll + rr)) : 0.0;
}

// ---- events ----------------------------------------------------------------------------------

/// Adds events of one type, merging those of a channel closer than kEventMergeS, then those
/// at the same time on different channels; at most kMaxEventsPerType are kept.
void add_events(std::vector<Event> found, TrackReport& r) {
  if (found.empty()) return;
  std::sort(found.begin(), found.end(), [](const Event& a, const Event& b) {
    return a.channel != b.channel ? a.channel < b.channel : a.time_s < b.time_s;
  });
  std::vector<Event> merged;
  for (Event& e : found) {
    if (!merged.empty() && merged.back().channel == e.channel &&
        e.time_s <= merged.back().time_s + merged.back().duration_s + kEventMergeS) {
      Event& m = merged.back();
      m.duration_s = std::max(m.duration_s, e.time_s + e.duration_s - m.time_s);
      if (e.severity > m.severity) m.severity = e.severity;
      continue;
    }
    merged.push_back(std::move(e));
  }
  std::sort(merged.begin(), merged.end(),
            [](const Event& a, const Event& b) { return a.time_s < b.time_s; });
  std::vector<Event> out;
  for (Event& e : merged) {
    if (!out.empty() && out.back().channel != e.channel && out.back().channel != -1 &&
        std::fabs(out.back().time_s - e.time_s) < 0.001) {
      out.back().channel = -1;
      continue;
    }
    out.push_back(std::move(e));
  }
  if (out.size() > kMaxEventsPerType) {
    r.warnings.push_back({"general", "events_truncated",
                          std::to_string(out.size() - kMaxEventsPerType) + " more " +
                              out.front().type + " events not listed"});
    out.resize(kMaxEventsPerType);
  }
  r.events.insert(r.events.end(), out.begin(), out.end());
}

void clip_events(const SignalPass& pass, double rate, TrackReport& r) {
  std::vector<Event> found;
  for (const auto& run : pass.clip_runs) {
    Event e;
    e.type = "clip";
    e.time_s = static_cast<double>(run.start) / rate;
    e.duration_s = static_cast<double>(run.length) / rate;
    e.channel = run.channel;
    e.severity = run.full_scale ? Severity::error : Severity::warning;
    e.detail = std::to_string(run.length) +
               (run.full_scale ? " consecutive samples at full scale"
                               : " consecutive identical samples (flat top)");
    found.push_back(std::move(e));
  }
  add_events(std::move(found), r);
}

void inter_sample_events(const SignalPass& pass, double rate, TrackReport& r) {
  std::vector<Event> found;
  for (const auto& [frame, channel] : pass.inter_sample_overs) {
    found.push_back({"inter_sample_peak", static_cast<double>(frame) / rate, 0.0, channel,
                     Severity::warning, "over 0 dBTP between samples that are not"});
  }
  add_events(std::move(found), r);
}

void click_events(const SignalPass& pass, double rate, int channels, TrackReport& r) {
  std::vector<Event> found;
  for (int c = 0; c < channels; ++c) {
    const auto& cells = pass.click_cells[static_cast<std::size_t>(c)];
    for (std::size_t j = 1; j + 1 < cells.size(); ++j) {
      const auto& cell = cells[j];
      const auto h_max = static_cast<double>(cell.h_max);
      const double h2 = h_max * h_max;
      const double noise = std::max(cells[j - 1].h_energy, cells[j + 1].h_energy);
      const double signal = std::max({cells[j - 1].x_energy, cell.x_energy, cells[j + 1].x_energy});
      if (h_max < kClickFloor || h2 <= kClickRatio * kClickRatio * noise ||
          h2 <= kClickOverSignal * kClickOverSignal * signal) {
        continue;
      }
      const double ratio_db = 10.0 * std::log10(h2 / std::max(noise, 1e-30));
      found.push_back({"click", static_cast<double>(cell.at) / rate, 0.0, c, Severity::warning,
                       printed("impulse of %.1f dBFS, %.0f dB above the residual around it", db(h_max),
                           ratio_db)});
    }
  }
  add_events(std::move(found), r);
}

void silence_and_dropouts(const SignalPass& pass, double rate, TrackReport& r) {
  using Cell = SignalPass::Cell;
  const auto& cells = pass.cells;
  const auto loud = [](const Cell& c) { return c.first_loud != SignalPass::kNone; };
  std::size_t first = 0;
  while (first < cells.size() && !loud(cells[first])) ++first;
  if (first == cells.size()) {
    r.head_silence_s = r.tail_silence_s = r.duration_s;
    return;
  }
  std::size_t last = cells.size() - 1;
  while (!loud(cells[last])) --last;
  const std::size_t begin = pass.cell_start(first) + cells[first].first_loud;
  const std::size_t end = pass.cell_start(last) + cells[last].last_loud + 1;
  r.head_silence_s = static_cast<double>(begin) / rate;
  r.tail_silence_s = static_cast<double>(r.frames - end) / rate;

  // Gaps inside the programme: runs of 1 ms cells under the silence level that begin
  // suddenly (the 5 ms before were 30 dB louder) and last 20 ms or more.
  std::vector<Event> found;
  for (std::size_t j = first + 1; j < last; ++j) {
    if (loud(cells[j])) continue;
    std::size_t k = j;
    float gap_peak = 0.0f;
    while (!loud(cells[k])) gap_peak = std::max(gap_peak, cells[k].peak), ++k;
    const std::size_t gap_b = pass.cell_start(j - 1) + cells[j - 1].last_loud + 1;
    const std::size_t gap_e = pass.cell_start(k) + cells[k].first_loud;
    float before = 0.0f;
    for (std::size_t i = j >= 5 ? j - 5 : 0; i < j; ++i) before = std::max(before, cells[i].peak);
    const double seconds = static_cast<double>(gap_e - gap_b) / rate;
    if (seconds >= kDropoutMinS && db(before) - db(std::max(gap_peak, 1e-9f)) >= 30.0) {
      const bool digital = gap_peak == 0.0f;
      found.push_back({"dropout", static_cast<double>(gap_b) / rate, seconds, -1,
                       digital ? Severity::error : Severity::warning,
                       digital ? "digital silence inside the programme"
                               : printed("sudden gap to %.0f dBFS inside the programme", db(gap_peak))});
    }
    j = k;
  }
  add_events(std::move(found), r);

  const auto abrupt = static_cast<float>(std::pow(10.0, kAbruptDbfs / 20.0));
  const std::size_t edge = std::min(kAbruptCells, cells.size());
  float first_peak = 0.0f, last_peak = 0.0f;
  for (std::size_t i = 0; i < edge; ++i) {
    first_peak = std::max(first_peak, cells[i].peak);
    last_peak = std::max(last_peak, cells[cells.size() - 1 - i].peak);
  }
  if (first_peak > abrupt) {
    r.events.push_back({"abrupt_start", 0.0, static_cast<double>(pass.cell_start(edge)) / rate,
                        -1, Severity::warning,
                        printed("starts at %.1f dBFS within 5 ms, without a fade-in or silence",
                            db(first_peak))});
  }
  if (last_peak > abrupt) {
    const double t = static_cast<double>(pass.cell_start(cells.size() - edge)) / rate;
    r.events.push_back({"abrupt_end", t, r.duration_s - t, -1, Severity::warning,
                        printed("ends at %.1f dBFS in its last 5 ms, without a fade-out or silence",
                            db(last_peak))});
  }
}

void dc_events(TrackReport& r) {
  const double level = std::pow(10.0, kDcOffsetDbfs / 20.0);
  for (const auto& c : r.channel_stats) {
    if (std::fabs(c.dc_offset) > level) {
      r.events.push_back({"dc_offset", 0.0, r.duration_s, c.channel, Severity::warning,
                          printed("mean of %+.4f (%.1f dBFS) over the whole file", c.dc_offset,
                              db(std::fabs(c.dc_offset)))});
    }
  }
}

/// Sections of negative correlation, from 10 ms sub-blocks: runs below the threshold
/// (interruptions up to 30 ms bridged) lasting kPhaseMinS or more.
void phase_events(const SignalPass& pass, double rate, TrackReport& r) {
  if (r.channels != 2) return;
  const auto series = [&](const std::vector<double>& lr, const std::vector<double>& ll,
                          const std::vector<double>& rr, double min_s, const char* what) {
    std::vector<Event> found;
    const std::size_t n = pass.sub_blocks();
    const auto negative = [&](std::size_t k) {
      const double frames = static_cast<double>(pass.start(k + 1) - pass.start(k));
      if ((ll[k] + rr[k]) / (2.0 * std::max(frames, 1.0)) < 1e-6) return false;  // -60 dBFS
      return lr[k] / std::sqrt(ll[k] * rr[k]) < kPhaseCorrelation;
    };
    for (std::size_t k = 0; k < n; ++k) {
      if (!negative(k)) continue;
      std::size_t last = k, i = k + 1;
      while (i < n && i <= last + 3) {
        if (negative(i)) last = i;
        ++i;
      }
      const double t0 = static_cast<double>(pass.start(k)) / rate;
      const double t1 = static_cast<double>(pass.start(last + 1)) / rate;
      if (t1 - t0 >= min_s) {
        double a = 0.0, b = 0.0, c = 0.0;
        for (std::size_t q = k; q <= last; ++q) a += lr[q], b += ll[q], c += rr[q];
        found.push_back({"phase", t0, t1 - t0, -1, Severity::warning,
                         printed("correlation %.2f", a / std::sqrt(b * c)) + what});
      }
      k = last;
    }
    add_events(std::move(found), r);
  };
  series(pass.lr, pass.ll, pass.rr, kPhaseMinS, " (antiphase: cancels in mono)");
  series(pass.lr_low, pass.ll_low, pass.rr_low, 1.0, " below 150 Hz (the low end cancels in mono)");
}

// ---- platforms and warnings -------------------------------------------------------------------

void platforms(TrackReport& r) {
  const double i = r.loudness.integrated_lufs;
  const double tp = r.loudness.true_peak_dbtp;
  const auto add = [&](const dsp::LoudnessTarget& t, std::string_view name, std::string_view label,
                       double target, bool limiter) {
    PlatformGain p;
    p.name = name;
    p.label = label;
    p.target_lufs = target;
    dsp::LoudnessTarget rule = t;
    rule.target_lufs = target;
    const double wanted = std::isfinite(i) ? target - i : 0.0;
    if (limiter && wanted > 0.0) {
      p.gain_db = wanted;
      p.true_peak_after_dbtp = std::min(tp + wanted, t.ceiling_dbtp);
      if (tp + wanted > t.ceiling_dbtp) {
        p.note = printed("peaks up to %.1f dB into the service's limiter", tp + wanted - t.ceiling_dbtp);
      }
    } else {
      p.gain_db = dsp::playback_gain_db(rule, i, tp);
      p.true_peak_after_dbtp = tp + p.gain_db;
      if (wanted > 0.0 && p.gain_db < wanted - 0.05) {
        p.note = t.turns_up ? printed("turned up %.1f dB, not %.1f: held by %.0f dBTP headroom",
                                  p.gain_db, wanted, t.ceiling_dbtp)
                            : printed("plays %.1f dB under the target: never turned up", wanted - p.gain_db);
      }
    }
    r.platforms.push_back(std::move(p));
  };
  for (const auto& t : dsp::kTargets) {
    if (!t.streaming) continue;
    add(t, t.name, t.label, t.target_lufs, false);
    for (const auto& m : dsp::kPlaybackModes) {
      if (m.service == t.name) add(t, m.name, m.label, m.target_lufs, m.limiter);
    }
  }
}

void warnings(const SignalPass& pass, TrackReport& r) {
  const Loudness& l = r.loudness;
  std::size_t full = 0, flat = 0, samples = 0;
  double first = -1.0;
  for (const auto& run : pass.clip_runs) {
    (run.full_scale ? full : flat) += 1;
    samples += run.length;
    if (first < 0.0) first = static_cast<double>(run.start) / r.sample_rate;
  }
  if (full + flat > 0) {
    r.warnings.push_back({"general", "clipping",
                          std::to_string(full + flat) + " clipped runs (" + std::to_string(samples) +
                              " samples" + (flat > 0 ? ", " + std::to_string(flat) + " flat-topped below full scale" : "") +
                              "), the first at " + clock(first)});
  }
  if (l.true_peak_dbtp > -1.0) {
    r.warnings.push_back({"streaming", "true_peak",
                          printed("true peak %.2f dBTP: the services advise -1 dBTP or lower "
                              "(lossy encoding adds overs)", l.true_peak_dbtp)});
  }
  for (const auto& c : r.codec) {
    if (c.warning) {
      r.warnings.push_back({"streaming", "codec_headroom",
                            c.codec + printed(" at %.0f kb/s decodes to %.2f dBTP (above -0.5 dBTP): "
                                          "leave more headroom before the encoder",
                                          static_cast<double>(c.bitrate_kbps), c.true_peak_dbtp)});
    }
  }
  if (l.true_peak_dbtp > -0.1) {
    r.warnings.push_back({"cd", "true_peak",
                          printed("true peak %.2f dBTP: over -0.1 dBTP, the 16-bit CD master keeps "
                              "these overs (they clip in the player's converter)", l.true_peak_dbtp)});
  }
  if (r.channels == 2) {
    const auto total = [](const std::vector<double>& v) {
      double s = 0.0;
      for (const double x : v) s += x;
      return s;
    };
    const double ll = total(pass.ll_low), rr = total(pass.rr_low), lr = total(pass.lr_low);
    const double side = ll + rr - 2.0 * lr, mid = ll + rr + 2.0 * lr;
    const double side_db = mid > 0.0 ? power_db(side / mid) : kMinusInf;
    if (side_db > -20.0) {
      r.warnings.push_back({"vinyl", "low_end_stereo",
                            printed("stereo content below 150 Hz (side %.1f dB under mid): the low "
                                "end should be mono for the cutting lathe", -side_db)});
    }
    if (r.correlation && r.correlation->low_band_mean < 0.0) {
      r.warnings.push_back({"vinyl", "low_end_phase",
                            printed("negative correlation below 150 Hz (%.2f): vertical groove "
                                "excursion, the low end cancels in mono", r.correlation->low_band_mean)});
    }
    if (r.stereo_width && *r.stereo_width > 0.4) {
      r.warnings.push_back({"vinyl", "side_level",
                            printed("side signal strong against mid (width %.2f): vertical "
                                "modulation shortens the playing time a side can hold at this "
                                "level", *r.stereo_width)});
    }
  }
  // Energy above 10 kHz against the whole spectrum (sibilance, cymbals: the cutter head's
  // limit and distortion on playback).
  double hf = 0.0, all = 0.0;
  for (std::size_t b = 0; b < r.spectrum.bands_hz.size(); ++b) {
    const double p = std::pow(10.0, r.spectrum.level_db[b] / 10.0);
    all += p;
    if (r.spectrum.bands_hz[b] >= 10000.0) hf += p;
  }
  if (all > 0.0 && power_db(hf / all) > -15.0) {
    r.warnings.push_back({"vinyl", "high_frequency_energy",
                          printed("%.1f dB of the energy is above 10 kHz: sibilance and cymbals "
                              "need de-essing for the cut", power_db(hf / all))});
  }
  if (std::isfinite(l.plr_db) && l.plr_db < 9.0 && l.true_peak_dbtp > -1.5) {
    r.warnings.push_back({"vinyl", "brick_wall",
                          printed("peak to loudness ratio %.1f dB with peaks at %.1f dBTP: a "
                              "brick-wall limited master; a vinyl premaster wants none",
                              l.plr_db, l.true_peak_dbtp)});
  }
}

}  // namespace

namespace {

/// Fills `out` with up to `max` interleaved frames; 0 at the end.
using Reader = std::function<std::size_t(float* out, std::size_t max)>;

constexpr std::size_t kReadFrames = 1 << 14;

/// Analyses what `open()` reads (called once for the analysis and, on its own thread, once
/// more for the codec round trip).
TrackReport analyse_stream(const std::function<Reader()>& open, int channels, double sample_rate,
                           std::size_t frames_hint, const Options& options,
                           const ProgressFn& progress, const std::atomic<bool>* cancel) {
  check_format(channels, sample_rate);
  if (options.clip_run < 1) throw AnalysisError("the clip run length must be at least 1");
  const DenormalsOff denormals_off;
  std::atomic<bool> stop{false};  // the analysis failed: the codec thread ends too
  const auto cancelled = [&] {
    return stop.load(std::memory_order_relaxed) ||
           (cancel != nullptr && cancel->load(std::memory_order_relaxed));
  };

  const bool codec = options.codec && channels <= 2;
  std::atomic<double> codec_done{0.0};
  const auto round_trip = [&] {
    const DenormalsOff off;
    return detail::opus_round_trip(open(), channels, sample_rate, options.opus_bitrate_kbps,
                                   [&](std::size_t frames) {
                                     codec_done.store(static_cast<double>(frames) /
                                                          static_cast<double>(std::max<std::size_t>(frames_hint, 1)),
                                                      std::memory_order_relaxed);
                                     return !cancelled();
                                   });
  };
  std::future<CodecResult> codec_result;
  struct StopOnExit {
    std::atomic<bool>& stop;
    ~StopOnExit() { stop.store(true); }
  };
  if (codec && options.parallel_codec) codec_result = std::async(std::launch::async, round_trip);
  const StopOnExit stop_codec{stop};  // before the future waits for it in its destructor

  SignalPass pass(sample_rate, channels, frames_hint, options.clip_run);
  const auto report = [&](double pass_done) {
    if (progress) progress(std::min(1.0, codec ? (pass_done + codec_done.load()) / 2.0 : pass_done));
  };
  {
    const Reader read = open();
    std::vector<float> chunk(kReadFrames * static_cast<std::size_t>(channels));
    std::size_t since_report = 0;
    while (!cancelled()) {
      const std::size_t n = read(chunk.data(), kReadFrames);
      if (n == 0) break;
      pass.push(chunk.data(), n);
      if (const auto at = pass.non_finite()) {
        throw AnalysisError("non-finite sample at frame " + std::to_string(*at));
      }
      if ((since_report += n) >= static_cast<std::size_t>(sample_rate)) {
        since_report = 0;
        report(static_cast<double>(pass.frames()) / static_cast<double>(std::max<std::size_t>(frames_hint, 1)));
      }
    }
  }
  if (cancelled()) throw Cancelled();
  if (pass.frames() == 0) throw AnalysisError("no audio frames");
  pass.finish();

  TrackReport r;
  r.sample_rate = static_cast<int>(sample_rate);
  r.channels = channels;
  r.frames = pass.frames();
  r.duration_s = static_cast<double>(r.frames) / sample_rate;
  if (codec) {
    if (!options.parallel_codec) {
      codec_result = std::async(std::launch::deferred, round_trip);
    } else {
      while (codec_result.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
        report(1.0);
      }
    }
    try {
      r.codec.push_back(codec_result.get());
    } catch (const std::exception& e) {
      throw AnalysisError(std::string("Opus round trip failed: ") + e.what());
    }
  }
  if (cancelled()) throw Cancelled();

  loudness(pass, sample_rate, r);
  channels_and_stereo(pass, r);
  r.spectrum = pass.spectrum.result();
  for (std::size_t k = 0; k < pass.sub_blocks(); k += 5) {
    float lo = 0.0f, hi = 0.0f;
    for (std::size_t i = k; i < std::min(k + 5, pass.sub_blocks()); ++i) {
      lo = std::min(lo, pass.wave_min[i]);
      hi = std::max(hi, pass.wave_max[i]);
    }
    r.waveform.min.push_back(lo);
    r.waveform.max.push_back(hi);
  }
  clip_events(pass, sample_rate, r);
  inter_sample_events(pass, sample_rate, r);
  click_events(pass, sample_rate, channels, r);
  silence_and_dropouts(pass, sample_rate, r);
  dc_events(r);
  phase_events(pass, sample_rate, r);
  std::stable_sort(r.events.begin(), r.events.end(),
                   [](const Event& a, const Event& b) { return a.time_s < b.time_s; });
  platforms(r);
  warnings(pass, r);
  if (progress) progress(1.0);
  return r;
}

}  // namespace

TrackReport analyse(const float* interleaved, std::size_t frames, int channels, double sample_rate,
                    const Options& options, const ProgressFn& progress,
                    const std::atomic<bool>* cancel) {
  check_format(channels, sample_rate);
  if (frames == 0) throw AnalysisError("no audio frames");
  const auto open = [=]() -> Reader {
    return [=, pos = std::size_t{0}](float* out, std::size_t max) mutable {
      const std::size_t n = std::min(max, frames - pos);
      const auto nch = static_cast<std::size_t>(channels);
      std::copy_n(interleaved + pos * nch, n * nch, out);
      pos += n;
      return n;
    };
  };
  return analyse_stream(open, channels, sample_rate, frames, options, progress, cancel);
}

// ---- files -----------------------------------------------------------------------------------

TrackReport analyse_file(const std::filesystem::path& path, const Options& options,
                         const ProgressFn& progress, const std::atomic<bool>* cancel) {
  struct Closer {
    void operator()(SNDFILE* f) const noexcept { sf_close(f); }
  };
  using File = std::shared_ptr<SNDFILE>;
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) == 0) {
    throw AnalysisError("empty file (0 bytes)");
  }
  SF_INFO info{};
  File first(sf_open(path.c_str(), SFM_READ, &info), Closer{});
  if (!first) throw AnalysisError(std::string("not a readable sound file: ") + sf_strerror(nullptr));
  if (info.frames <= 0) throw AnalysisError("holds no audio frames");
  check_format(info.channels, info.samplerate);
  // libsndfile notes a data chunk shorter than its header claims in its log.
  char log[4096] = {};
  sf_command(first.get(), SFC_GET_LOG_INFO, log, sizeof log);
  const bool truncated = std::string_view(log).find("should be") != std::string_view::npos;

  std::mutex first_mutex;
  const auto open = [&]() -> Reader {
    File f;
    {
      std::lock_guard lock(first_mutex);
      f = std::exchange(first, nullptr);
    }
    if (!f) {
      SF_INFO again{};
      f = File(sf_open(path.c_str(), SFM_READ, &again), Closer{});
      if (!f) throw AnalysisError("cannot read the file again: " + std::string(sf_strerror(nullptr)));
    }
    return [f](float* out, std::size_t max) {
      const sf_count_t n = sf_readf_float(f.get(), out, static_cast<sf_count_t>(max));
      return n > 0 ? static_cast<std::size_t>(n) : std::size_t{0};
    };
  };
  const auto frames = static_cast<std::size_t>(info.frames);
  TrackReport r = analyse_stream(open, info.channels, info.samplerate, frames, options, progress, cancel);
  r.file = path.string();
  if (truncated || r.frames < frames) {
    r.warnings.insert(r.warnings.begin(),
                      {"general", "truncated",
                       "the file is shorter than its header says (truncated): " +
                           std::to_string(r.frames) + " frames analysed"});
  }
  if ((info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_S8 ||
      (info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_U8) {
    r.warnings.push_back({"general", "word_length", "8-bit source: 48 dB of dynamic range"});
  }
  return r;
}

// ---- reference and album ---------------------------------------------------------------------

void compare_with_reference(TrackReport& track, const TrackReport& reference) {
  ReferenceDiff d;
  d.file = reference.file;
  const double a = track.loudness.integrated_lufs, b = reference.loudness.integrated_lufs;
  d.gain_db = std::isfinite(a) && std::isfinite(b) ? a - b : 0.0;
  for (std::size_t i = 0; i < track.spectrum.bands_hz.size(); ++i) {
    double diff = NAN;
    for (std::size_t j = 0; j < reference.spectrum.bands_hz.size(); ++j) {
      if (reference.spectrum.bands_hz[j] == track.spectrum.bands_hz[i]) {
        diff = track.spectrum.level_db[i] - (reference.spectrum.level_db[j] + d.gain_db);
      }
    }
    d.band_diff_db.push_back(diff);
  }
  track.reference = std::move(d);
}

AlbumReport analyse_album(std::vector<TrackReport>& tracks) {
  AlbumReport a;
  std::vector<double> blocks;
  bool first = true;
  std::vector<TrackReport*> ok;
  for (auto& t : tracks) {
    if (t.error) continue;
    ok.push_back(&t);
    blocks.insert(blocks.end(), t.gating_blocks.begin(), t.gating_blocks.end());
    a.true_peak_dbtp = std::max(a.true_peak_dbtp, t.loudness.true_peak_dbtp);
    const double i = t.loudness.integrated_lufs;
    if (first || i > a.loudest.integrated_lufs) a.loudest = {t.file, i};
    if (first || i < a.quietest.integrated_lufs) a.quietest = {t.file, i};
    first = false;
  }
  if (ok.empty()) return a;
  // BS.1770 gating over every track's blocks, as if the album were one programme.
  double sum = 0.0;
  std::size_t n = 0;
  for (const double z : blocks) {
    if (lufs(z) > kAbsoluteGateLufs) sum += z, ++n;
  }
  if (n > 0) {
    const double gate = lufs(sum / static_cast<double>(n)) + kRelativeGateLu;
    sum = 0.0;
    n = 0;
    for (const double z : blocks) {
      if (lufs(z) > kAbsoluteGateLufs && lufs(z) > gate) sum += z, ++n;
    }
    a.integrated_lufs = n > 0 ? lufs(sum / static_cast<double>(n)) : kMinusInf;
  }
  a.loudness_spread_lu = std::isfinite(a.loudest.integrated_lufs) && std::isfinite(a.quietest.integrated_lufs)
                             ? a.loudest.integrated_lufs - a.quietest.integrated_lufs
                             : 0.0;
  if (a.loudness_spread_lu > 4.0) {
    a.warnings.push_back({"loudness_spread",
                          printed("tracks span %.1f LU: check that the quiet ones are meant to be", a.loudness_spread_lu)});
  }
  for (const auto* t : ok) {
    if (t->sample_rate != ok.front()->sample_rate) {
      a.warnings.push_back({"sample_rate", t->file + " is at " + std::to_string(t->sample_rate) +
                                               " Hz, " + ok.front()->file + " at " +
                                               std::to_string(ok.front()->sample_rate) + " Hz"});
    }
    if (std::isfinite(a.integrated_lufs) &&
        std::fabs(t->loudness.integrated_lufs - a.integrated_lufs) > 3.0) {
      a.warnings.push_back({"outlier", t->file + printed(" is %+.1f LU from the album's loudness",
                                                    t->loudness.integrated_lufs - a.integrated_lufs)});
    }
  }
  for (const auto& t : dsp::kTargets) {
    if (!t.streaming) continue;
    if (std::find(dsp::kAlbumNormalising.begin(), dsp::kAlbumNormalising.end(), t.name) ==
        dsp::kAlbumNormalising.end()) {
      continue;
    }
    const double g = dsp::playback_gain_db(t, a.integrated_lufs, a.true_peak_dbtp);
    a.platforms.push_back({std::string(t.name), std::string(t.label), g});
    for (auto* tr : ok) {
      for (auto& p : tr->platforms) {
        if (p.name == t.name) p.album_gain_db = g;
      }
    }
  }
  return a;
}

std::string printed(const char* format, ...) {
  char buf[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

}  // namespace lacquer::analysis
