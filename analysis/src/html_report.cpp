// The QC report page. Everything is drawn here, as inline CSS and SVG: the page needs no
// script, font or stylesheet from anywhere, so it opens the same from a mail attachment, a
// file share or a printout. Charts are HTML labels around a stretched SVG (see "charts"), so
// their text keeps its size from a phone to a printed page.

#include "lacquer/analysis/html_report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace lacquer::analysis {
namespace {

using nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Points per curve: two curves share the loudness plot, so each plot stays near 2000.
constexpr std::size_t kCurvePoints = 1000;
constexpr std::size_t kPeakPoints = 2000;
constexpr std::size_t kWaveColumns = 1000;
// Longer event lists are summarised: the JSON holds them all.
constexpr std::size_t kMaxEventRows = 300;

template <typename... Parts>
void put(std::string& out, const Parts&... parts) {
  (out.append(parts), ...);
}

// ---- reading the analysis: missing fields and unexpected types leave a value out ----

const json* member(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(std::string(key));
  return it == obj.end() ? nullptr : &*it;
}

/// A level in dB: null is -infinity (silence), absent or not a number is nothing.
std::optional<double> level(const json& obj, std::string_view key) {
  const json* v = member(obj, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_null()) return -kInf;
  if (v->is_number()) return v->get<double>();
  return std::nullopt;
}

std::optional<double> number(const json& obj, std::string_view key) {
  const json* v = member(obj, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::string text(const json& obj, std::string_view key) {
  const json* v = member(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string{};
}

/// The name of a file without its folders: the heading; the path as given is shown under it.
std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos || slash + 1 == path.size() ? path : path.substr(slash + 1);
}

const json& list(const json& obj, std::string_view key) {
  static const json empty = json::array();
  const json* v = member(obj, key);
  return v != nullptr && v->is_array() ? *v : empty;
}

const json& object(const json& obj, std::string_view key) {
  static const json empty = json::object();
  const json* v = member(obj, key);
  return v != nullptr && v->is_object() ? *v : empty;
}

/// Values of a curve; null (silence) and anything else that is not a number become NaN, a gap.
std::vector<double> series(const json& arr) {
  std::vector<double> v;
  if (!arr.is_array()) return v;
  v.reserve(arr.size());
  for (const json& e : arr) v.push_back(e.is_number() ? e.get<double>() : kNaN);
  return v;
}

// ---- formatting ----

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// Plain ASCII for attributes and coordinates.
std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string fx(double v) {
  return fixed(v, 1);
}

/// Whether a positive value shows its "+" (gains, differences, levels that can exceed 0 dB).
enum class Sign { plain, plus };

/// A value to read: typographic minus, "−∞" for silence, "—" when unknown.
std::string show(std::optional<double> v, int decimals, Sign sign = Sign::plain) {
  if (!v || std::isnan(*v)) return "—";
  if (std::isinf(*v)) return *v < 0 ? "−∞" : "+∞";
  const std::string digits = fixed(std::abs(*v), decimals);
  const bool zero = digits.find_first_not_of("0.") == std::string::npos;
  if (*v < 0 && !zero) return "−" + digits;
  if (sign == Sign::plus && !zero) return "+" + digits;
  return digits;
}

// Levels against full scale show "+" above it: +0.4 dBTP is an over, 0.4 could be misread.
Sign full_scale_sign(std::string_view unit, Sign sign) {
  return unit == "dBTP" || unit == "dBFS" ? Sign::plus : sign;
}

std::string measure(std::optional<double> v, int decimals, std::string_view unit,
                    Sign sign = Sign::plain) {
  std::string s = show(v, decimals, full_scale_sign(unit, sign));
  if (s != "—") put(s, "\u00a0", unit);
  return s;
}

/// m:ss (h:mm:ss past an hour), with milliseconds when asked.
std::string clock(double s, bool millis) {
  if (!std::isfinite(s) || s < 0) s = 0;
  const long long ms = std::llround(s * 1000.0);
  const long long sec = millis ? ms / 1000 : std::llround(s);
  char buf[48];
  if (sec >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", sec / 3600, sec / 60 % 60, sec % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", sec / 60, sec % 60);
  }
  std::string out = buf;
  if (millis) {
    std::snprintf(buf, sizeof buf, ".%03lld", ms % 1000);
    out += buf;
  }
  return out;
}

std::string span_length(double s) {
  if (!(s > 0.0)) return "—";
  if (s < 0.001) return measure(s * 1e6, 0, "µs");
  if (s < 1.0) return measure(s * 1000.0, s < 0.01 ? 1 : 0, "ms");
  return measure(s, 2, "s");
}

std::string channel_name(const json& ch, int channels) {
  if (!ch.is_number_integer()) return "all";
  const int c = ch.get<int>();
  if (c < 0) return "all";
  if (channels == 2 && (c == 0 || c == 1)) return c == 0 ? "L" : "R";
  return "ch " + std::to_string(c + 1);
}

// ---- severity and pass/warn colouring ----

enum class Tone { none, good, warn, bad };

std::string_view tone_class(Tone t) {
  switch (t) {
    case Tone::good:
      return "tone-good";
    case Tone::warn:
      return "tone-warn";
    case Tone::bad:
      return "tone-bad";
    case Tone::none:
      break;
  }
  return "tone-none";
}

// Streaming services ask for at most -1 dBTP (AES TD1008); over 0 dBTP a DAC or codec clips.
Tone true_peak_tone(std::optional<double> v) {
  if (!v || std::isnan(*v)) return Tone::none;
  return *v > 0.0 ? Tone::bad : *v > -1.0 ? Tone::warn : Tone::good;
}

Tone sample_peak_tone(std::optional<double> v) {
  if (!v || std::isnan(*v)) return Tone::none;
  return *v >= -0.001 ? Tone::bad : *v > -1.0 ? Tone::warn : Tone::good;
}

// Under 7 dB between true peak and integrated loudness the master is heavily limited.
Tone plr_tone(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return Tone::none;
  return *v < 7.0 ? Tone::warn : Tone::good;
}

// Louder than -9 LUFS every service turns it down by 5 dB or more; silence has no loudness.
Tone integrated_tone(std::optional<double> v) {
  if (!v) return Tone::none;
  return *v > -9.0 || std::isinf(*v) ? Tone::warn : Tone::good;
}

int severity_rank(std::string_view s) {
  return s == "error" ? 2 : s == "warning" ? 1 : 0;
}

std::string_view severity_name(int rank) {
  return rank == 2 ? "error" : rank == 1 ? "warning" : "info";
}

Tone severity_tone(int rank) {
  return rank == 2 ? Tone::bad : rank == 1 ? Tone::warn : Tone::none;
}

struct EventKind {
  std::string_view type;
  std::string_view label;
};

// Timeline lanes in this order; types the engine adds later get lanes after these.
constexpr EventKind kEventKinds[] = {
    {"clip", "Clipping"},
    {"inter_sample_peak", "Inter-sample peak"},
    {"click", "Click"},
    {"dropout", "Dropout"},
    {"dc_offset", "DC offset"},
    {"phase", "Phase"},
    {"abrupt_start", "Abrupt start"},
    {"abrupt_end", "Abrupt end"},
};

std::string event_label(const std::string& type) {
  for (const EventKind& k : kEventKinds) {
    if (k.type == type) return std::string(k.label);
  }
  return type.empty() ? "Event" : type;
}

/// Errors and warnings of one track: events by severity, format warnings and codec warnings.
struct IssueCount {
  int errors = 0;
  int warnings = 0;
};

IssueCount count_issues(const json& track) {
  IssueCount n;
  for (const json& e : list(track, "events")) {
    const int rank = severity_rank(text(e, "severity"));
    n.errors += rank == 2 ? 1 : 0;
    n.warnings += rank == 1 ? 1 : 0;
  }
  n.warnings += static_cast<int>(list(track, "warnings").size());
  for (const json& c : list(track, "codec")) {
    const json* w = member(c, "warning");
    n.warnings += w != nullptr && w->is_boolean() && w->get<bool>() ? 1 : 0;
  }
  return n;
}

std::string plural(int n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

void put_verdict(std::string& out, IssueCount n) {
  const Tone tone = n.errors > 0 ? Tone::bad : n.warnings > 0 ? Tone::warn : Tone::good;
  std::string what = "No issues found";
  if (n.errors > 0 || n.warnings > 0) {
    what = n.errors > 0 ? plural(n.errors, "error", "errors") : "";
    if (n.warnings > 0)
      put(what, what.empty() ? "" : " · ", plural(n.warnings, "warning", "warnings"));
  }
  put(out, "<span class=\"verdict ", tone_class(tone), "\">", what, "</span>");
}

// ---- charts ----
// A chart is HTML around an SVG: tick labels, unit and legend are HTML text, so they keep
// their size at any width, while the SVG holds only the data and the grid in a 1000 × 100
// viewBox stretched to the box (preserveAspectRatio="none"); strokes do not scale.

constexpr double kPlotW = 1000.0;
constexpr double kPlotH = 100.0;

struct Range {
  double lo = 0.0;
  double hi = 1.0;
};

struct Point {
  double x = 0.0;
  double y = 0.0;  ///< NaN: a gap in the line
};

/// The scales of a chart onto its viewBox; values outside a range are drawn at its edge.
struct Plot {
  Range xr{};
  Range yr{};
  bool log_x = false;

  double x(double v) const {
    const double a =
        log_x ? std::log(v / xr.lo) / std::log(xr.hi / xr.lo) : (v - xr.lo) / (xr.hi - xr.lo);
    return std::clamp(a, 0.0, 1.0) * kPlotW;
  }
  double y(double v) const {
    const double a = (v - yr.lo) / (yr.hi - yr.lo);
    return (1.0 - std::clamp(a, 0.0, 1.0)) * kPlotH;
  }
};

std::string fy(double v) {
  return fixed(v, 2);
}

struct Tick {
  double at = 0.0;
  std::string label{};
};

struct Key {
  std::string_view cls;
  std::string label;
};

/// What surrounds a chart's data: its ticks, unit, legend, height and accessible name.
struct Frame {
  std::string_view cls;
  std::string_view label;
  std::string_view unit;
  std::vector<Key> keys{};
  std::vector<Tick> x_ticks{};
  std::vector<Tick> y_ticks{};
  int height_px = 200;
};

std::string percent(double fraction) {
  return fixed(fraction * 100.0, 2) + "%";
}

/// A horizontal line across the plot at `y` viewBox units from the top.
void rule(std::string& out, double y, std::string_view cls) {
  put(out, "<line class=\"", cls, "\" x1=\"0\" x2=\"", fx(kPlotW), "\" y1=\"", fy(y), "\" y2=\"",
      fy(y), "\"/>");
}

void hline(std::string& out, const Plot& p, double v, std::string_view cls) {
  rule(out, p.y(v), cls);
}

void open_chart(std::string& out, const Plot& p, const Frame& f) {
  put(out, "<figure class=\"chart ", f.cls, "\" style=\"--h:", std::to_string(f.height_px),
      "px\"><div class=\"unit\">", f.unit, "</div><div class=\"legend\">");
  for (const Key& k : f.keys)
    put(out, "<span><i class=\"key ", k.cls, "\"></i>", k.label, "</span>");
  out += "</div><div class=\"y-axis\">";
  for (const Tick& t : f.y_ticks) {
    put(out, "<span style=\"top:", percent(p.y(t.at) / kPlotH), "\">", t.label, "</span>");
  }
  put(out, "</div><div class=\"plot-box\"><svg class=\"plot\" viewBox=\"0 0 ", fx(kPlotW), " ",
      fx(kPlotH), "\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"", escape(f.label),
      "\">");
  for (const Tick& t : f.x_ticks) {
    const std::string x = fx(p.x(t.at));
    put(out, "<line class=\"grid\" x1=\"", x, "\" x2=\"", x, "\" y1=\"0\" y2=\"", fx(kPlotH),
        "\"/>");
  }
  for (const Tick& t : f.y_ticks) rule(out, p.y(t.at), "grid");
}

/// Ends the SVG, adds HTML laid over it (lane labels) and the x labels under it. Every other
/// x label gets class "odd", which the narrow layout hides.
void close_chart(std::string& out, const Plot& p, const Frame& f, std::string_view overlay = {}) {
  put(out, "</svg>", overlay, "</div><div class=\"x-axis\">");
  for (std::size_t i = 0; i < f.x_ticks.size(); ++i) {
    const double at = p.x(f.x_ticks[i].at) / kPlotW;
    put(out, "<span class=\"", i % 2 == 1 ? "odd" : "", at > 0.97 ? " end" : "",
        "\" style=\"left:", percent(at), "\">", f.x_ticks[i].label, "</span>");
  }
  out += "</div></figure>";
}

std::vector<Tick> time_ticks(double duration_s) {
  constexpr double kSteps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200};
  double step = kSteps[std::size(kSteps) - 1];
  for (const double s : kSteps) {
    if (duration_s / s <= 8.0) {
      step = s;
      break;
    }
  }
  std::vector<Tick> ticks;
  for (double t = 0.0; t <= duration_s + 1e-9; t += step) ticks.push_back({t, clock(t, false)});
  return ticks;
}

std::vector<Tick> level_ticks(Range r) {
  constexpr double kSteps[] = {1, 2, 3, 5, 6, 10, 12, 20, 30, 60};
  double step = 60.0;
  for (const double s : kSteps) {
    if ((r.hi - r.lo) / s <= 6.0) {
      step = s;
      break;
    }
  }
  std::vector<Tick> ticks;
  for (double v = std::ceil(r.lo / step) * step; v <= r.hi + 1e-9; v += step) {
    ticks.push_back({v, show(v, 0, Sign::plain)});
  }
  return ticks;
}

std::vector<Tick> frequency_ticks(Range r) {
  constexpr std::pair<double, std::string_view> kMarks[] = {
      {20, "20"},   {50, "50"},   {100, "100"}, {200, "200"},   {500, "500"},
      {1000, "1k"}, {2000, "2k"}, {5000, "5k"}, {10000, "10k"}, {20000, "20k"}};
  std::vector<Tick> ticks;
  for (const auto& [hz, label] : kMarks) {
    if (hz >= r.lo && hz <= r.hi) ticks.push_back({hz, std::string(label)});
  }
  return ticks;
}

/// A line through the points; a NaN breaks it.
std::string line_path(const Plot& p, const std::vector<Point>& pts) {
  std::string d;
  bool pen = false;
  for (const Point& pt : pts) {
    if (std::isnan(pt.y)) {
      pen = false;
      continue;
    }
    put(d, pen ? "L" : "M", fx(p.x(pt.x)), ",", fy(p.y(pt.y)));
    pen = true;
  }
  return d;
}

/// The area between the points and the bottom of the plot, one closed shape per unbroken run.
std::string area_path(const Plot& p, const std::vector<Point>& pts) {
  std::string d;
  const std::string base = fx(kPlotH);
  bool open = false;
  double last_x = 0.0;
  const auto close = [&] {
    if (open) put(d, "L", fx(p.x(last_x)), ",", base, "Z");
    open = false;
  };
  for (const Point& pt : pts) {
    if (std::isnan(pt.y)) {
      close();
      continue;
    }
    if (!open) put(d, "M", fx(p.x(pt.x)), ",", base);
    put(d, "L", fx(p.x(pt.x)), ",", fy(p.y(pt.y)));
    open = true;
    last_x = pt.x;
  }
  close();
  return d;
}

/// A per-hop curve (hop i drawn at its centre) reduced to at most `max_points`. Each bucket of
/// hops keeps its lowest and highest value in time order, or only the highest with
/// `peaks_only`, so a short peak or dip stays visible; a bucket with no value is a gap.
std::vector<Point> decimate(const std::vector<double>& v, double hop_s, std::size_t max_points,
                            bool peaks_only) {
  const auto at = [&](std::size_t i) { return (static_cast<double>(i) + 0.5) * hop_s; };
  std::vector<Point> pts;
  if (v.size() <= max_points) {
    for (std::size_t i = 0; i < v.size(); ++i) pts.push_back({at(i), v[i]});
    return pts;
  }
  const std::size_t buckets = peaks_only ? max_points : max_points / 2;
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t i0 = b * v.size() / buckets;
    const std::size_t i1 = (b + 1) * v.size() / buckets;
    std::optional<std::size_t> lo, hi;
    for (std::size_t i = i0; i < i1; ++i) {
      if (std::isnan(v[i])) continue;
      if (!lo || v[i] < v[*lo]) lo = i;
      if (!hi || v[i] > v[*hi]) hi = i;
    }
    if (!hi) {
      pts.push_back({at(i0), kNaN});
    } else if (peaks_only) {
      pts.push_back({at(*hi), v[*hi]});
    } else {
      const std::size_t first = std::min(*lo, *hi);
      const std::size_t second = std::max(*lo, *hi);
      pts.push_back({at(first), v[first]});
      if (second != first) pts.push_back({at(second), v[second]});
    }
  }
  return pts;
}

Range finite_range(const std::vector<double>& v) {
  Range r{kInf, -kInf};
  for (const double x : v) {
    if (!std::isfinite(x)) continue;
    r.lo = std::min(r.lo, x);
    r.hi = std::max(r.hi, x);
  }
  return r;
}

// ---- track sections ----

double track_duration(const json& track) {
  if (const auto d = number(track, "duration_s"); d && *d > 0.0) return *d;
  double d = 0.0;
  const json& curve = object(track, "loudness_curve");
  const double hop = number(curve, "hop_s").value_or(0.0);
  for (const char* key : {"momentary", "short_term", "true_peak"}) {
    d = std::max(d, hop * static_cast<double>(list(curve, key).size()));
  }
  const json& wave = object(track, "waveform");
  d = std::max(d,
               number(wave, "hop_s").value_or(0.0) * static_cast<double>(list(wave, "max").size()));
  return d;
}

void metric(std::string& out, std::string_view label, std::optional<double> v, int decimals,
            std::string_view unit, Tone tone, std::string_view hint) {
  put(out, "<div class=\"metric ", tone_class(tone), "\"><div class=\"label\">", label,
      "</div><div class=\"value\">", show(v, decimals, full_scale_sign(unit, Sign::plain)),
      "<span class=\"unit\">", unit, "</span></div><div class=\"hint\">", hint, "</div></div>");
}

void loudness_card(std::string& out, const json& track) {
  const json* loud = member(track, "loudness");
  if (loud == nullptr || !loud->is_object()) return;
  out += "<section class=\"card\"><h3>Loudness and peaks</h3><div class=\"metrics track-metrics\">";
  const auto integrated = level(*loud, "integrated_lufs");
  const auto tp = level(*loud, "true_peak_dbtp");
  const auto sp = level(*loud, "sample_peak_dbfs");
  const auto plr = number(*loud, "plr_db");
  metric(out, "Integrated", integrated, 1, "LUFS", integrated_tone(integrated),
         "whole programme, gated");
  metric(out, "Loudness range", number(*loud, "lra_lu"), 1, "LU", Tone::none, "LRA, EBU Tech 3342");
  metric(out, "Momentary max", level(*loud, "momentary_max_lufs"), 1, "LUFS", Tone::none,
         "400 ms window");
  metric(out, "Short-term max", level(*loud, "short_term_max_lufs"), 1, "LUFS", Tone::none,
         "3 s window");
  metric(out, "True peak", tp, 1, "dBTP", true_peak_tone(tp), "−1 dBTP or lower advised");
  metric(out, "Sample peak", sp, 2, "dBFS", sample_peak_tone(sp), "0 dBFS is full scale");
  metric(out, "PLR", plr, 1, "dB", plr_tone(plr), "true peak − integrated");
  out += "</div></section>";
}

void loudness_plots(std::string& out, const json& track, double duration) {
  const json& curve = object(track, "loudness_curve");
  const double hop = number(curve, "hop_s").value_or(0.0);
  const std::vector<double> momentary = series(list(curve, "momentary"));
  const std::vector<double> short_term = series(list(curve, "short_term"));
  const std::vector<double> true_peak = series(list(curve, "true_peak"));
  if (hop <= 0.0 || (momentary.empty() && short_term.empty() && true_peak.empty())) return;

  out += "<section class=\"card\"><h3>Loudness over time</h3>";
  if (!momentary.empty() || !short_term.empty()) {
    // From 0 LUFS (or the loudest moment) to a little under the quietest short-term reading,
    // never below -60: fades and silence sit at the bottom edge.
    const Range seen = finite_range(short_term.empty() ? momentary : short_term);
    const Range m = finite_range(momentary);
    const double hi = std::max(0.0, std::ceil(std::max(seen.hi, m.hi) / 3.0) * 3.0);
    const double lo = std::isfinite(seen.lo)
                          ? std::clamp(std::floor(seen.lo / 6.0) * 6.0 - 6.0, -60.0, hi - 24.0)
                          : -60.0;
    const Plot p{{0.0, duration}, {lo, hi}};
    const Frame f{"chart-loudness",
                  "Momentary and short-term loudness over time, in LUFS",
                  "LUFS",
                  {{"key-momentary", "Momentary (400 ms)"},
                   {"key-short", "Short-term (3 s)"},
                   {"key-integrated", "Integrated"}},
                  time_ticks(duration),
                  level_ticks(p.yr),
                  230};
    open_chart(out, p, f);
    put(out, "<path class=\"curve momentary\" d=\"",
        line_path(p, decimate(momentary, hop, kCurvePoints, false)), "\"/>");
    put(out, "<path class=\"curve short-term\" d=\"",
        line_path(p, decimate(short_term, hop, kCurvePoints, false)), "\"/>");
    if (const auto i = level(object(track, "loudness"), "integrated_lufs");
        i && std::isfinite(*i)) {
      hline(out, p, *i, "integrated");
    }
    close_chart(out, p, f);
  }
  if (!true_peak.empty()) {
    const Range seen = finite_range(true_peak);
    const double hi = std::max(3.0, std::isfinite(seen.hi) ? std::ceil(seen.hi) + 1.0 : 0.0);
    const Plot p{{0.0, duration}, {hi - 27.0, hi}};
    const Frame f{"chart-true-peak",
                  "True peak over time, in dBTP",
                  "dBTP",
                  {{"key-tp", "True peak per " + show(hop * 1000.0, 0) + " ms"},
                   {"key-ceiling", "−1 dBTP"},
                   {"key-full", "0 dBTP"}},
                  time_ticks(duration),
                  level_ticks(p.yr),
                  150};
    open_chart(out, p, f);
    put(out, "<path class=\"area true-peak\" d=\"",
        area_path(p, decimate(true_peak, hop, kPeakPoints, true)), "\"/>");
    hline(out, p, -1.0, "ceiling");
    hline(out, p, 0.0, "full-scale");
    close_chart(out, p, f);
  }
  out += "</section>";
}

void waveform_plot(std::string& out, const json& track, double duration) {
  const json& wave = object(track, "waveform");
  const double hop = number(wave, "hop_s").value_or(0.0);
  const std::vector<double> mins = series(list(wave, "min"));
  const std::vector<double> maxs = series(list(wave, "max"));
  const std::size_t n = std::min(mins.size(), maxs.size());
  if (hop <= 0.0 || n == 0) return;

  const Plot p{{0.0, duration}, {-1.0, 1.0}};
  // Amplitude ticks labelled in dBFS: half of full scale is -6 dB.
  const Frame f{"chart-waveform",
                "Waveform, mono sum, lowest and highest sample per column",
                "dBFS",
                {},
                time_ticks(duration),
                {{1.0, "0"}, {0.5, "−6"}, {0.0, "−∞"}, {-0.5, "−6"}, {-1.0, "0"}},
                130};
  out += "<section class=\"card\"><h3>Waveform</h3>";
  open_chart(out, p, f);
  const std::size_t columns = std::min(n, kWaveColumns);
  std::vector<Point> top, bottom;
  for (std::size_t c = 0; c < columns; ++c) {
    const std::size_t i0 = c * n / columns;
    const std::size_t i1 = std::max(i0 + 1, (c + 1) * n / columns);
    double lo = 0.0, hi = 0.0;
    for (std::size_t i = i0; i < i1; ++i) {
      if (std::isfinite(mins[i])) lo = std::min(lo, mins[i]);
      if (std::isfinite(maxs[i])) hi = std::max(hi, maxs[i]);
    }
    const double t = (static_cast<double>(i0 + i1) / 2.0) * hop;
    top.push_back({t, hi});
    bottom.push_back({t, lo});
  }
  std::reverse(bottom.begin(), bottom.end());
  top.insert(top.end(), bottom.begin(), bottom.end());
  put(out, "<path class=\"wave\" d=\"", line_path(p, top), "Z\"/>");
  close_chart(out, p, f);
  out += "</section>";
}

struct Lane {
  std::string type{};
  std::vector<const json*> events{};
};

/// The events of one track as lanes by type, in the order of kEventKinds.
std::vector<Lane> event_lanes(const json& events) {
  std::vector<Lane> lanes;
  for (const EventKind& k : kEventKinds) lanes.push_back({std::string(k.type), {}});
  for (const json& e : events) {
    const std::string type = text(e, "type");
    auto lane =
        std::find_if(lanes.begin(), lanes.end(), [&](const Lane& l) { return l.type == type; });
    if (lane == lanes.end()) lane = lanes.insert(lanes.end(), Lane{type, {}});
    lane->events.push_back(&e);
  }
  std::erase_if(lanes, [](const Lane& l) { return l.events.empty(); });
  return lanes;
}

void event_timeline(std::string& out, const std::vector<Lane>& lanes, double duration) {
  const double lane_h = kPlotH / static_cast<double>(lanes.size());
  const Plot p{{0.0, duration}, {0.0, 1.0}};
  const Frame f{"chart-events",
                "Events on the timeline, one row per type",
                "",
                {},
                time_ticks(duration),
                {},
                static_cast<int>(26 * lanes.size()) + 4};
  open_chart(out, p, f);
  std::string labels;
  for (std::size_t li = 0; li < lanes.size(); ++li) {
    const double y0 = lane_h * static_cast<double>(li);
    if (li > 0) rule(out, y0, "lane-line");
    put(labels, "<span class=\"lane-label\" style=\"top:", percent(y0 / kPlotH), "\">",
        escape(event_label(lanes[li].type)), "</span>");
    // One mark per lane and half unit of x keeps the SVG small for thousands of events; the
    // worst severity at that spot is the one drawn.
    std::map<long long, std::pair<int, const json*>> spots;
    for (const json* e : lanes[li].events) {
      const long long key = std::llround(p.x(number(*e, "time_s").value_or(0.0)) * 2.0);
      const int rank = severity_rank(text(*e, "severity"));
      const auto [it, fresh] = spots.try_emplace(key, rank, e);
      if (!fresh && rank > it->second.first) it->second = {rank, e};
    }
    for (const auto& [key, spot] : spots) {
      const json& e = *spot.second;
      const double t = number(e, "time_s").value_or(0.0);
      const double x = p.x(t);
      const double w = p.x(t + std::max(0.0, number(e, "duration_s").value_or(0.0))) - x;
      put(out, "<g class=\"mark sev-", severity_name(spot.first), "\" data-type=\"",
          escape(text(e, "type")), "\" data-time=\"", fixed(t, 3), "\"><title>", clock(t, true),
          " ", escape(event_label(text(e, "type"))), ": ", escape(text(e, "detail")), "</title>");
      if (w >= 1.0) {
        put(out, "<rect x=\"", fx(x), "\" y=\"", fy(y0 + lane_h * 0.4), "\" width=\"", fx(w),
            "\" height=\"", fy(lane_h * 0.5), "\"/>");
      }
      put(out, "<line x1=\"", fx(x), "\" x2=\"", fx(x), "\" y1=\"", fy(y0 + lane_h * 0.35),
          "\" y2=\"", fy(y0 + lane_h * 0.95), "\"/></g>");
    }
  }
  close_chart(out, p, f, labels);
}

void events_section(std::string& out, const json& track, double duration, int channels) {
  const json& events = list(track, "events");
  out += "<section class=\"card\"><h3>Events</h3>";
  if (events.empty()) {
    out +=
        "<p class=\"clean\">No clipping, clicks, dropouts, DC offset, phase problems or abrupt "
        "edges were found.</p></section>";
    return;
  }
  const std::vector<Lane> lanes = event_lanes(events);
  out += "<div class=\"chips\">";
  for (const Lane& l : lanes) {
    int worst = 0;
    for (const json* e : l.events) worst = std::max(worst, severity_rank(text(*e, "severity")));
    put(out, "<span class=\"chip ", tone_class(severity_tone(worst)), "\">",
        escape(event_label(l.type)), " <b>", std::to_string(l.events.size()), "</b></span>");
  }
  out += "</div>";
  event_timeline(out, lanes, duration);

  std::vector<const json*> sorted;
  for (const json& e : events) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const json* a, const json* b) {
    return number(*a, "time_s").value_or(0.0) < number(*b, "time_s").value_or(0.0);
  });
  out +=
      "<div class=\"table-wrap\"><table class=\"events\"><thead><tr><th>Time</th><th>Event</th>"
      "<th>Ch</th><th class=\"wide-only num\">Length</th><th>Detail</th></tr></thead><tbody>";
  for (std::size_t i = 0; i < sorted.size() && i < kMaxEventRows; ++i) {
    const json& e = *sorted[i];
    const int rank = severity_rank(text(e, "severity"));
    const json* ch = member(e, "channel");
    put(out, "<tr class=\"sev-", severity_name(rank), "\"><td class=\"num\">",
        clock(number(e, "time_s").value_or(0.0), true), "</td><td><span class=\"dot ",
        tone_class(severity_tone(rank)), "\" title=\"", severity_name(rank), "\"></span>",
        escape(event_label(text(e, "type"))), "</td><td>",
        channel_name(ch != nullptr ? *ch : json(), channels), "</td><td class=\"wide-only num\">",
        span_length(std::max(0.0, number(e, "duration_s").value_or(0.0))),
        "</td><td class=\"detail\">", escape(text(e, "detail")), "</td></tr>");
  }
  out += "</tbody></table></div>";
  if (sorted.size() > kMaxEventRows) {
    put(out, "<p class=\"hint\">", std::to_string(sorted.size() - kMaxEventRows),
        " more events are on the timeline above and in the JSON report (<code>--json</code>).</p>");
  }
  out += "</section>";
}

/// Third-octave bands as dots: a zero-length segment with round caps, round at any stretch.
std::string band_dots(const Plot& p, const std::vector<Point>& pts) {
  std::string d;
  for (const Point& pt : pts) {
    if (std::isfinite(pt.y)) put(d, "M", fx(p.x(pt.x)), ",", fy(p.y(pt.y)), "h0");
  }
  return d;
}

void spectrum_section(std::string& out, const json& track) {
  const json& spectrum = object(track, "spectrum");
  const std::vector<double> bands = series(list(spectrum, "bands_hz"));
  const std::vector<double> levels = series(list(spectrum, "level_db"));
  const std::size_t n = std::min(bands.size(), levels.size());
  if (n == 0 || !(bands[0] > 0.0)) return;
  const json& reference = object(track, "reference");
  const std::vector<double> diff = series(list(reference, "band_diff_db"));
  const bool with_ref = diff.size() >= n;

  // band_diff_db is this track minus the loudness-matched reference.
  std::vector<Point> track_pts, ref_pts, diff_pts;
  for (std::size_t i = 0; i < n; ++i) {
    track_pts.push_back({bands[i], levels[i]});
    if (with_ref) {
      ref_pts.push_back({bands[i], levels[i] - diff[i]});
      diff_pts.push_back({bands[i], diff[i]});
    }
  }
  Range seen = finite_range(levels);
  if (with_ref) {
    const Range r = finite_range(series(list(reference, "band_diff_db")));
    if (std::isfinite(r.lo)) seen.hi = std::max(seen.hi, seen.hi - r.lo);
  }
  if (!std::isfinite(seen.hi)) seen = {-60.0, 0.0};
  const double hi = std::ceil(seen.hi / 10.0) * 10.0;
  Plot p{{std::min(20.0, bands[0] / 1.12), std::max(20000.0, bands[n - 1] * 1.12)},
         {std::clamp(std::floor(seen.lo / 10.0) * 10.0, hi - 90.0, hi - 40.0), hi},
         true};

  out += "<section class=\"card\"><h3>Spectrum</h3>";
  Frame f{"chart-spectrum",
          "Long-term third-octave spectrum, in dB relative to full scale",
          "dB",
          {{"key-track", with_ref ? "This track" : "Long-term level per third octave"}},
          frequency_ticks(p.xr),
          level_ticks(p.yr),
          230};
  if (with_ref) {
    put(out, "<p class=\"hint\">Against <b>", escape(text(reference, "file")),
        "</b>, loudness-matched (", measure(level(reference, "gain_db"), 1, "dB", Sign::plus),
        " applied to the reference).</p>");
    f.keys.push_back({"key-reference", "Reference"});
  }
  open_chart(out, p, f);
  if (with_ref) put(out, "<path class=\"curve reference\" d=\"", line_path(p, ref_pts), "\"/>");
  put(out, "<path class=\"curve spectrum\" d=\"", line_path(p, track_pts), "\"/>");
  put(out, "<path class=\"bands\" d=\"", band_dots(p, track_pts), "\"/>");
  close_chart(out, p, f);

  if (with_ref) {
    double widest = 0.0;
    for (const Point& d : diff_pts) {
      if (std::isfinite(d.y)) widest = std::max(widest, std::abs(d.y));
    }
    const double r = std::clamp(std::ceil(widest / 3.0) * 3.0, 6.0, 24.0);
    const Plot dp{p.xr, {-r, r}, true};
    const Frame df{
        "chart-difference",
        "Difference against the reference per third octave, in dB",
        "dB",
        {{"key-more", "More than the reference"}, {"key-less", "Less than the reference"}},
        frequency_ticks(dp.xr),
        level_ticks(dp.yr),
        150};
    open_chart(out, dp, df);
    const double half_band = std::pow(2.0, 1.0 / 8.0);  // a bar a little narrower than 1/3 oct
    for (const Point& d : diff_pts) {
      if (!std::isfinite(d.y)) continue;
      const double x0 = dp.x(d.x / half_band);
      const double y0 = dp.y(std::max(d.y, 0.0));
      put(out, "<rect class=\"diff ", d.y >= 0.0 ? "more" : "less", "\" x=\"", fx(x0), "\" y=\"",
          fy(y0), "\" width=\"", fx(dp.x(d.x * half_band) - x0), "\" height=\"",
          fy(std::max(0.3, dp.y(std::min(d.y, 0.0)) - y0)), "\"><title>",
          show(d.x, d.x < 100.0 ? 1 : 0), " Hz: ", measure(d.y, 1, "dB", Sign::plus),
          "</title></rect>");
    }
    hline(out, dp, 0.0, "zero");
    close_chart(out, dp, df);
  }
  out += "</section>";
}

// Correlation from -1 (antiphase) to +1 (mono), with the means and the minimum marked.
void correlation_gauge(std::string& out, const json& corr) {
  const auto at = [](double c) { return percent((std::clamp(c, -1.0, 1.0) + 1.0) / 2.0); };
  out +=
      "<div class=\"gauge\" role=\"img\" aria-label=\"Correlation on a scale from −1 to +1\">"
      "<div class=\"zones\"><i class=\"zone-bad\"></i><i class=\"zone-warn\"></i><i "
      "class=\"zone-good\">"
      "</i></div>";
  for (const auto& [key, cls] :
       {std::pair{"min", "marker-min"}, std::pair{"low_band_mean", "marker-low"},
        std::pair{"mean", "marker-mean"}}) {
    if (const auto v = number(corr, key))
      put(out, "<b class=\"", cls, "\" style=\"left:", at(*v), "\"></b>");
  }
  out +=
      "<span style=\"left:0\">−1</span><span style=\"left:50%\">0</span>"
      "<span class=\"end\" style=\"left:100%\">+1</span></div>";
}

void channels_section(std::string& out, const json& track, int channels) {
  const json& stats = list(track, "channel_stats");
  const json& corr = object(track, "correlation");
  const auto width = number(track, "stereo_width");
  if (stats.empty() && corr.empty() && !width) return;
  out += "<section class=\"card\"><h3>Channels and stereo</h3><div class=\"split\">";
  if (!stats.empty()) {
    out += "<div class=\"table-wrap\"><table class=\"channels\"><thead><tr><th></th>";
    for (const json& s : stats) {
      const json* ch = member(s, "channel");
      put(out, "<th class=\"num\">", channel_name(ch != nullptr ? *ch : json(), channels), "</th>");
    }
    out += "</tr></thead><tbody>";
    struct Row {
      const char* key;
      const char* label;
      const char* unit;
      int decimals;
      Tone (*tone)(std::optional<double>);
    };
    constexpr Row kRows[] = {
        {"rms_dbfs", "RMS", "dBFS", 1, nullptr},
        {"crest_db", "Crest factor", "dB", 1, nullptr},
        {"sample_peak_dbfs", "Sample peak", "dBFS", 2, sample_peak_tone},
        {"true_peak_dbtp", "True peak", "dBTP", 1, true_peak_tone},
    };
    for (const Row& row : kRows) {
      put(out, "<tr><th scope=\"row\">", row.label, "</th>");
      for (const json& s : stats) {
        const auto v = level(s, row.key);
        put(out, "<td class=\"num ", tone_class(row.tone != nullptr ? row.tone(v) : Tone::none),
            "\">", measure(v, row.decimals, row.unit), "</td>");
      }
      out += "</tr>";
    }
    out += "<tr><th scope=\"row\">DC offset</th>";
    for (const json& s : stats) {
      const auto dc = number(s, "dc_offset");
      put(out, "<td class=\"num\">",
          measure(dc ? std::optional<double>(*dc * 100.0) : std::nullopt, 3, "%"), "</td>");
    }
    out += "</tr></tbody></table></div>";
  }
  if (!corr.empty() || width) {
    out += "<div class=\"stereo\">";
    if (!corr.empty()) correlation_gauge(out, corr);
    out += "<dl class=\"pairs\">";
    const auto mean = number(corr, "mean");
    const auto low = number(corr, "low_band_mean");
    const Tone mean_tone = !mean ? Tone::none : *mean < 0.0 ? Tone::bad : Tone::good;
    // Vinyl wants the low end near mono: a lateral-vertical groove cuts badly otherwise.
    const Tone low_tone = !low         ? Tone::none
                          : *low < 0.0 ? Tone::bad
                          : *low < 0.5 ? Tone::warn
                                       : Tone::good;
    put(out, "<dt><i class=\"key key-mean\"></i>Correlation, mean</dt><dd class=\"",
        tone_class(mean_tone), "\">", show(mean, 2), "</dd>");
    // Brief negative readings are common in wide mixes; under -0.5 a section cancels in mono.
    const auto lowest = number(corr, "min");
    put(out, "<dt><i class=\"key key-min\"></i>Correlation, minimum</dt><dd class=\"",
        tone_class(lowest && *lowest < -0.5 ? Tone::warn : Tone::none), "\">", show(lowest, 2),
        "</dd>");
    put(out, "<dt><i class=\"key key-low\"></i>Below 150 Hz, mean</dt><dd class=\"",
        tone_class(low_tone), "\">", show(low, 2), "</dd>");
    if (width) put(out, "<dt>Stereo width, side share</dt><dd>", show(width, 2), "</dd>");
    out += "</dl></div>";
  }
  out += "</div></section>";
}

void platforms_section(std::string& out, const json& track) {
  const json& platforms = list(track, "platforms");
  if (platforms.empty()) return;
  const bool album = std::any_of(platforms.begin(), platforms.end(), [](const json& p) {
    return member(p, "album_gain_db") != nullptr;
  });
  out +=
      "<section class=\"card\"><h3>Streaming services</h3><p class=\"hint\">The gain each service "
      "applies when it plays this track, and the true peak that results.</p>"
      "<div class=\"table-wrap\"><table class=\"platforms\"><thead><tr><th>Service</th>"
      "<th class=\"num\">Target LUFS</th><th class=\"num\">Gain dB</th><th class=\"num\">True peak "
      "after, dBTP</th>";
  if (album) out += "<th class=\"num\">Album gain dB</th>";
  out += "</tr></thead><tbody>";
  for (const json& p : platforms) {
    std::string name = text(p, "label");
    if (name.empty()) name = text(p, "name");
    const auto gain = number(p, "gain_db");
    const auto after = level(p, "true_peak_after_dbtp");
    put(out, "<tr><td>", escape(name));
    if (const std::string note = text(p, "note"); !note.empty())
      put(out, "<div class=\"note\">", escape(note), "</div>");
    put(out, "</td><td class=\"num\">", show(number(p, "target_lufs"), 0),
        "</td><td class=\"num gain", gain && *gain > 0.05 ? " up" : "", "\">",
        show(gain, 1, Sign::plus), "</td><td class=\"num ", tone_class(true_peak_tone(after)),
        "\">", show(after, 1, Sign::plus), "</td>");
    if (album)
      put(out, "<td class=\"num\">", show(number(p, "album_gain_db"), 1, Sign::plus), "</td>");
    out += "</tr>";
  }
  out += "</tbody></table></div></section>";
}

void codec_section(std::string& out, const json& track) {
  const json& codecs = list(track, "codec");
  if (codecs.empty()) return;
  out +=
      "<section class=\"card\"><h3>Codec headroom</h3><p class=\"hint\">True peak after a lossy "
      "encode and decode, and the decoded samples over full scale (on-sample / between samples). "
      "Over −0.5 dBTP the encoder is likely to clip (AES TD1008).</p>"
      "<div class=\"table-wrap\"><table class=\"codecs\"><thead><tr><th>Codec</th>"
      "<th class=\"num\">True peak dBTP</th><th "
      "class=\"num\">Overs</th><th>Verdict</th></tr></thead><tbody>";
  for (const json& c : codecs) {
    const json* w = member(c, "warning");
    const bool warn = w != nullptr && w->is_boolean() && w->get<bool>();
    std::string name = escape(text(c, "codec"));
    if (!name.empty())
      name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
    if (const auto kbps = number(c, "bitrate_kbps")) put(name, " ", measure(kbps, 0, "kb/s"));
    const auto on = number(c, "overs_on_sample");
    const auto between = number(c, "overs_inter_sample");
    put(out, "<tr><td>", name, "</td><td class=\"num ", tone_class(warn ? Tone::warn : Tone::good),
        "\">", show(level(c, "true_peak_dbtp"), 1, Sign::plus), "</td><td class=\"num\">",
        show(on, 0), " / ", show(between, 0), "</td><td><span class=\"badge ",
        tone_class(warn ? Tone::warn : Tone::good), "\">", warn ? "Lower the ceiling" : "OK",
        "</span></td></tr>");
  }
  out += "</tbody></table></div></section>";
}

std::string format_label(const std::string& format) {
  if (format == "cd") return "CD";
  if (format == "vinyl") return "Vinyl";
  if (format == "streaming") return "Streaming";
  if (format == "general" || format.empty()) return "General";
  return escape(format);
}

void warnings_list(std::string& out, const json& warnings, bool with_format) {
  out += "<ul class=\"warnings\">";
  for (const json& w : warnings) {
    out += "<li>";
    if (with_format)
      put(out, "<span class=\"badge tone-warn\">", format_label(text(w, "format")), "</span> ");
    put(out, escape(text(w, "message")));
    if (const std::string rule = text(w, "rule"); !rule.empty())
      put(out, " <code>", escape(rule), "</code>");
    out += "</li>";
  }
  out += "</ul>";
}

void warnings_section(std::string& out, const json& track) {
  const json& warnings = list(track, "warnings");
  out += "<section class=\"card\"><h3>Format checks</h3>";
  if (warnings.empty()) {
    out += "<p class=\"clean\">Nothing to report for vinyl, CD, streaming or clipping.</p>";
  } else {
    warnings_list(out, warnings, true);
  }
  out += "</section>";
}

std::string path_line(const json& track) {
  const std::string file = text(track, "file");
  if (base_name(file) == file) return {};
  return "<p class=\"path\">" + escape(file) + "</p>";
}

std::string track_meta(const json& track) {
  std::vector<std::string> parts;
  if (const auto rate = number(track, "sample_rate")) {
    parts.push_back(measure(*rate / 1000.0, std::fmod(*rate, 1000.0) == 0.0 ? 0 : 1, "kHz"));
  }
  if (const auto ch = number(track, "channels")) {
    parts.push_back(*ch == 1 ? "mono" : *ch == 2 ? "stereo" : show(ch, 0) + " channels");
  }
  if (const auto d = number(track, "duration_s")) parts.push_back(clock(*d, false));
  const json& silence = object(track, "silence");
  if (const auto head = number(silence, "head_s"))
    parts.push_back("head silence " + measure(head, 2, "s"));
  if (const auto tail = number(silence, "tail_s"))
    parts.push_back("tail silence " + measure(tail, 2, "s"));
  std::string out;
  for (const std::string& p : parts) put(out, out.empty() ? "" : " · ", p);
  return out;
}

void track_section(std::string& out, const json& track, std::size_t index) {
  const std::string error = text(track, "error");
  const json* err = member(track, "error");
  const bool failed = err != nullptr && !err->is_null();
  put(out, "<article class=\"track", failed ? " failed" : "", "\" id=\"track-",
      std::to_string(index + 1),
      "\"><header class=\"track-head\"><div class=\"title\"><p class=\"eyebrow\">Track ",
      std::to_string(index + 1), "</p><h2 class=\"file\">", escape(base_name(text(track, "file"))),
      "</h2>", path_line(track), "<p class=\"meta\">", track_meta(track), "</p></div>");
  if (failed) {
    put(out,
        "<span class=\"verdict tone-bad\">Not analysed</span></header><div class=\"error-box\" "
        "role=\"alert\"><strong>This file could not be analysed.</strong><p class=\"error\">",
        escape(error.empty() ? err->dump() : error), "</p></div></article>");
    return;
  }
  put_verdict(out, count_issues(track));
  out += "</header>";
  const double duration = std::max(track_duration(track), 1e-3);
  const int channels = static_cast<int>(number(track, "channels").value_or(0.0));
  loudness_card(out, track);
  loudness_plots(out, track, duration);
  waveform_plot(out, track, duration);
  events_section(out, track, duration, channels);
  spectrum_section(out, track);
  channels_section(out, track, channels);
  platforms_section(out, track);
  codec_section(out, track);
  warnings_section(out, track);
  out += "</article>";
}

void album_section(std::string& out, const json& analysis, const json& tracks) {
  const json& album = object(analysis, "album");
  const auto album_i = level(album, "integrated_lufs");
  out +=
      "<section class=\"album\" id=\"album\"><h2>Album</h2><div class=\"card\"><div "
      "class=\"metrics\">";
  metric(out, "Album integrated", album_i, 1, "LUFS", Tone::none, "all tracks as one programme");
  metric(out, "Loudness spread", number(album, "loudness_spread_lu"), 1, "LU", Tone::none,
         "loudest − quietest track");
  const auto album_tp = level(album, "true_peak_dbtp");
  if (album_tp)
    metric(out, "Album true peak", album_tp, 1, "dBTP", true_peak_tone(album_tp),
           "highest of all tracks");
  for (const auto& [key, label] :
       {std::pair{"loudest", "Loudest"}, std::pair{"quietest", "Quietest"}}) {
    const json& t = object(album, key);
    metric(out, label, level(t, "integrated_lufs"), 1, "LUFS", Tone::none,
           escape(base_name(text(t, "file"))));
  }
  out += "</div></div>";

  out +=
      "<div class=\"card\"><h3>Tracks</h3><div class=\"table-wrap\"><table class=\"album-tracks\">"
      "<thead><tr><th class=\"num\">#</th><th>File</th><th class=\"num wide-only\">Length</th>"
      "<th class=\"num\">LUFS</th><th class=\"num wide-only\">vs album LU</th>"
      "<th class=\"num wide-only\">LRA LU</th><th "
      "class=\"num\">dBTP</th><th>Issues</th></tr></thead><tbody>";
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    const json& t = tracks[i];
    const json& loud = object(t, "loudness");
    const auto integrated = level(loud, "integrated_lufs");
    const auto tp = level(loud, "true_peak_dbtp");
    std::optional<double> delta;
    if (integrated && album_i && std::isfinite(*integrated) && std::isfinite(*album_i))
      delta = *integrated - *album_i;
    const auto d = number(t, "duration_s");
    put(out, "<tr><td class=\"num\">", std::to_string(i + 1),
        "</td><td class=\"file\"><a href=\"#track-", std::to_string(i + 1), "\">",
        escape(base_name(text(t, "file"))), "</a></td><td class=\"num wide-only\">",
        d ? clock(*d, false) : "—", "</td><td class=\"num\">", show(integrated, 1),
        "</td><td class=\"num wide-only\">", show(delta, 1, Sign::plus),
        "</td><td class=\"num wide-only\">", show(number(loud, "lra_lu"), 1),
        "</td><td class=\"num ", tone_class(true_peak_tone(tp)), "\">", show(tp, 1, Sign::plus),
        "</td><td>");
    const json* err = member(t, "error");
    if (err != nullptr && !err->is_null()) {
      out += "<span class=\"verdict tone-bad\">Not analysed</span>";
    } else {
      put_verdict(out, count_issues(t));
    }
    out += "</td></tr>";
  }
  out += "</tbody></table></div></div>";

  const json& platforms = list(album, "platforms");
  if (!platforms.empty()) {
    out +=
        "<div class=\"card\"><h3>Album play</h3><p class=\"hint\">Services that normalise an album "
        "as "
        "a whole apply one gain to every track, keeping the loudness steps between them.</p>"
        "<div class=\"table-wrap\"><table class=\"platforms\"><thead><tr><th>Service</th>"
        "<th class=\"num\">Album gain</th></tr></thead><tbody>";
    for (const json& p : platforms) {
      std::string name = text(p, "label");
      if (name.empty()) name = text(p, "name");
      put(out, "<tr><td>", escape(name), "</td><td class=\"num\">",
          measure(number(p, "album_gain_db"), 1, "dB", Sign::plus), "</td></tr>");
    }
    out += "</tbody></table></div></div>";
  }
  const json& warnings = list(album, "warnings");
  out += "<div class=\"card\"><h3>Album consistency</h3>";
  if (warnings.empty()) {
    out += "<p class=\"clean\">Loudness and peaks are consistent across the tracks.</p>";
  } else {
    warnings_list(out, warnings, false);
  }
  out += "</div></section>";
}

constexpr std::string_view kStyle = R"css(
:root{--paper:#f3f1ec;--card:#fff;--ink:#1b2027;--muted:#5d6875;--line:#dcdfe3;--grid:#eceef0;
--accent:#a8720f;--good:#2e7d32;--warn:#b26200;--bad:#c0262d;--info:#4d6b88;
--momentary:#9db4cc;--short:#a8720f;--tp:#c0262d;--reference:#3f6fa0}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--paper);color:var(--ink);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.page{max-width:1060px;margin:0 auto;padding:28px 20px 40px}
.report-head{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:flex-end;gap:8px 24px;
border-bottom:3px solid var(--ink);padding-bottom:12px;margin-bottom:8px}
.brand{font-size:12px;font-weight:700;letter-spacing:.2em;text-transform:uppercase;color:var(--accent)}
h1{font-size:28px;font-weight:650;margin:2px 0 0;letter-spacing:-.01em}
h2{font-size:22px;font-weight:650;margin:0}
.summary{color:var(--muted);margin:0}
.album>h2{margin:28px 0 4px}
.track{margin-top:34px}
.track-head{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:flex-end;gap:8px 16px;
padding-bottom:8px;border-bottom:1px solid var(--line)}
.track-head .title{min-width:0;flex:1 1 300px}
.eyebrow{margin:0;font-size:12px;font-weight:700;letter-spacing:.12em;text-transform:uppercase;color:var(--muted)}
.file{overflow-wrap:anywhere}
.path{margin:2px 0 0;font-size:13px;color:var(--muted);overflow-wrap:anywhere}
.meta{margin:2px 0 0;color:var(--muted);font-variant-numeric:tabular-nums}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:14px 0;
box-shadow:0 1px 2px #0000000a;break-inside:avoid}
.card h3{margin:0 0 10px;font-size:12.5px;font-weight:700;letter-spacing:.1em;text-transform:uppercase;color:var(--muted)}
.metrics{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.metrics.track-metrics{grid-template-columns:repeat(4,minmax(0,1fr))}
.metric{border:1px solid var(--line);border-left:4px solid var(--line);border-radius:8px;padding:8px 8px 8px 9px;min-width:0}
.metric.tone-good{border-left-color:var(--good)}.metric.tone-warn{border-left-color:var(--warn);background:#fff8ec}
.metric.tone-bad{border-left-color:var(--bad);background:#fdf0f0}
.metric .label{font-size:12.5px;color:var(--muted)}
.metric .value{display:flex;flex-wrap:wrap;align-items:baseline;column-gap:4px;font-size:25px;font-weight:650;
font-variant-numeric:tabular-nums;white-space:nowrap}
.metric .unit{font-size:13px;font-weight:500;color:var(--muted)}
.metric .hint{font-size:12px;color:var(--muted);overflow-wrap:anywhere}
.metric.tone-warn .value{color:var(--warn)}.metric.tone-bad .value{color:var(--bad)}
.hint{color:var(--muted);font-size:13px;margin:0 0 8px}
.clean{margin:0;color:var(--good)}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;color:var(--muted);margin:10px 0 4px}
.key{display:inline-block;width:16px;height:4px;border-radius:2px;margin-right:6px;vertical-align:middle;background:var(--muted)}
.key-momentary{background:var(--momentary)}.key-short,.key-track{background:var(--short)}
.key-integrated{background:repeating-linear-gradient(90deg,var(--ink) 0 4px,transparent 4px 7px)}
.key-tp{background:var(--tp);height:8px;opacity:.6}.key-ceiling{background:repeating-linear-gradient(90deg,var(--warn) 0 4px,transparent 4px 7px)}
.key-full{background:var(--bad)}.key-reference{background:var(--reference)}
.key-more{background:var(--accent);height:8px}.key-less{background:var(--reference);height:8px}
.key-mean{background:var(--ink)}.key-min{background:var(--bad)}.key-low{background:var(--accent)}
.chart{display:grid;grid-template-columns:46px minmax(0,1fr);grid-template-areas:"unit legend" "y plot" ". x";
margin:12px 0 6px}
.chart .unit{grid-area:unit}.chart .legend{grid-area:legend}.y-axis{grid-area:y}.plot-box{grid-area:plot}.x-axis{grid-area:x}
.chart .unit{align-self:end;text-align:right;padding:0 8px 8px 0;font-size:12px;font-weight:600;color:var(--muted)}
.chart .legend{margin:0 0 8px}
.y-axis{position:relative}
.y-axis span,.x-axis span{position:absolute;font-size:12px;line-height:1;color:var(--muted);white-space:nowrap;
font-variant-numeric:tabular-nums}
.y-axis span{right:8px;transform:translateY(-50%)}
.x-axis{position:relative;height:20px}
.x-axis span{top:6px;transform:translateX(-50%)}.x-axis span.end{transform:translateX(-100%)}
.plot-box{position:relative;min-width:0}
svg.plot{display:block;width:100%;height:var(--h);background:#fbfbfa;border:1px solid var(--line);overflow:hidden}
svg.plot *{vector-effect:non-scaling-stroke}
.lane-label{position:absolute;left:6px;margin-top:2px;font-size:11px;font-weight:600;color:var(--muted);line-height:1.1}
.curve{fill:none;stroke-width:1.5;stroke-linejoin:round}
.curve.momentary{stroke:var(--momentary);stroke-width:1}
.curve.short-term,.curve.spectrum{stroke:var(--short);stroke-width:2}
.curve.reference{stroke:var(--reference);stroke-dasharray:6 4}
.bands{fill:none;stroke:var(--short);stroke-width:6;stroke-linecap:round}
.integrated{stroke:var(--ink);stroke-dasharray:5 4}
.area.true-peak{fill:var(--tp);fill-opacity:.45;stroke:none}
.ceiling{stroke:var(--warn);stroke-dasharray:5 4}
.full-scale{stroke:var(--bad)}
.zero{stroke:var(--ink)}
.wave{fill:#6f7f91;stroke:#56657a;stroke-width:.5}
.diff.more{fill:var(--accent)}.diff.less{fill:var(--reference)}
.lane-line{stroke:var(--line)}
.mark{fill:var(--info);stroke:var(--info);stroke-width:2.5}.mark.sev-warning{fill:var(--warn);stroke:var(--warn)}
.mark.sev-error{fill:var(--bad);stroke:var(--bad)}.mark rect{stroke:none;fill-opacity:.4}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin-bottom:6px}
.chip{border:1px solid var(--line);border-radius:999px;padding:2px 10px;font-size:13px}
.chip.tone-warn{border-color:var(--warn);color:var(--warn)}.chip.tone-bad{border-color:var(--bad);color:var(--bad)}
.verdict,.badge{display:inline-block;border:1px solid currentColor;border-radius:999px;padding:2px 10px;
font-size:13px;font-weight:600;white-space:nowrap}
.badge{padding:0 8px;font-size:12px}
.tone-good{color:var(--good)}.tone-warn{color:var(--warn)}.tone-bad{color:var(--bad)}
.metric.tone-good,.metric.tone-none{color:inherit}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:7px;background:var(--info)}
.dot.tone-warn{background:var(--warn)}.dot.tone-bad{background:var(--bad)}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse;font-size:14px;margin-top:8px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
thead th,thead th.num{white-space:normal;font-size:11.5px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}
tbody th{font-weight:500;color:var(--muted)}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.detail,td.file{overflow-wrap:anywhere}
table .verdict,table .badge{white-space:normal;border-radius:10px}
.gain.up{color:var(--reference)}
.note{font-size:12.5px;color:var(--muted)}
table a{color:inherit}
.split{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:18px;align-items:start}
.gauge{position:relative;height:42px;max-width:480px;margin-top:6px}
.zones{position:absolute;left:0;right:0;top:8px;height:12px;display:flex;border-radius:3px;overflow:hidden}
.zones i{display:block}.zone-bad{flex:2;background:#f6d5d5}.zone-warn{flex:1;background:#f8e6c6}.zone-good{flex:1;background:#d6ead3}
.gauge b{position:absolute;top:2px;width:4px;height:24px;margin-left:-2px;border-radius:2px}
.gauge span{position:absolute;top:28px;font-size:12px;color:var(--muted);transform:translateX(-50%)}
.gauge span:first-of-type{transform:none}.gauge span.end{transform:translateX(-100%)}
.marker-mean{background:var(--ink)}.marker-min{background:var(--bad)}.marker-low{background:var(--accent)}
.pairs{display:grid;grid-template-columns:1fr auto;gap:4px 12px;margin:8px 0 0;font-size:14px}
.pairs dt{color:var(--muted)}.pairs dd{margin:0;text-align:right;font-weight:600;font-variant-numeric:tabular-nums}
.warnings{margin:0;padding-left:0;list-style:none}
.warnings li{padding:6px 0;border-bottom:1px solid var(--line)}.warnings li:last-child{border-bottom:0}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--muted);background:#f1f2f4;
padding:1px 5px;border-radius:4px}
.error-box{margin:14px 0;padding:14px 18px;border:1px solid var(--bad);border-left-width:5px;border-radius:10px;
background:#fdf0f0;color:var(--bad)}
.error-box .error{margin:6px 0 0;color:var(--ink);overflow-wrap:anywhere}
.notes{margin-top:36px;padding-top:12px;border-top:1px solid var(--line);font-size:12.5px;color:var(--muted)}
.notes p{margin:4px 0}
@media (max-width:720px){
.page{padding:16px 10px 28px}
h1{font-size:23px}h2{font-size:19px}
.card{padding:12px 12px}
.split{grid-template-columns:minmax(0,1fr)}
.metrics,.metrics.track-metrics{grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}
.metric .value{font-size:21px}
.x-axis .odd{display:none}
.chart{grid-template-columns:36px minmax(0,1fr)}
.chart{grid-template-areas:"legend legend" "unit ." "y plot" ". x"}
.chart .unit{padding-bottom:6px}
svg.plot{height:calc(var(--h) * .8)}
table{font-size:13px}
th,td{padding:5px 4px}
.wide-only{display:none}
}
@media print{
body{background:#fff;font-size:10.5pt}
.page{max-width:none;padding:0}
.card{box-shadow:none;border-color:#c9cdd2}
.track{break-before:page}
.report-head,.track-head{break-after:avoid}
a{color:inherit;text-decoration:none}
.table-wrap{overflow:visible}
.metric.tone-warn,.metric.tone-bad,.error-box{-webkit-print-color-adjust:exact;print-color-adjust:exact}
svg{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
)css";

}  // namespace

std::string render_html_report(const nlohmann::json& analysis) {
  const json& tracks = list(analysis, "tracks");
  std::string out;
  out.reserve(256 * 1024);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"color-scheme\" content=\"light\"><title>";
  std::string title = "Mastering QC report";
  if (tracks.size() == 1) put(title, " — ", base_name(text(tracks[0], "file")));
  put(out, escape(title), "</title><style>", kStyle, "</style></head><body><main class=\"page\">");

  double total = 0.0;
  for (const json& t : tracks) total += number(t, "duration_s").value_or(0.0);
  put(out,
      "<header class=\"report-head\"><div><div class=\"brand\">Lacquer</div><h1>Mastering QC "
      "report</h1>"
      "</div><p class=\"summary\">",
      plural(static_cast<int>(tracks.size()), "file", "files"),
      total > 0.0 ? " · " + clock(total, false) : "", "</p></header>");
  if (tracks.empty()) out += "<p class=\"error-box\">The analysis holds no tracks.</p>";
  if (member(analysis, "album") != nullptr && analysis["album"].is_object())
    album_section(out, analysis, tracks);
  for (std::size_t i = 0; i < tracks.size(); ++i) track_section(out, tracks[i], i);

  out +=
      "<footer class=\"notes\"><p>Loudness per ITU-R BS.1770-4 and EBU R 128 (LUFS, LU); loudness "
      "range per EBU Tech 3342; true peak in dBTP. −∞ is digital silence.</p><p>Colours: true peak "
      "above −1 dBTP is a warning and above 0 dBTP an error; a sample peak at full scale is an "
      "error; PLR under 7 dB (heavily limited) and integrated loudness above −9 LUFS (every "
      "service turns it down by 5 dB or more) are warnings; so are a correlation minimum under "
      "−0.5 and, for vinyl, a low-band correlation under 0.5.</p><p>Generated by <b>lacquer "
      "analyze</b>.</p></footer></main></body></html>\n";
  return out;
}

}  // namespace lacquer::analysis
