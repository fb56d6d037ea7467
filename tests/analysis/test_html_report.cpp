// The HTML report from hand-built analysis JSON: escaping, event positions, nulls, failed
// tracks, the album section, curve decimation and a page that fetches nothing.

#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "lacquer/analysis/html_report.hpp"

namespace {

using lacquer::analysis::render_html_report;
using nlohmann::json;

json series(std::size_t n, double value) {
  return json(std::vector<double>(n, value));
}

/// A complete, plausible track of `duration_s` seconds.
json full_track(const std::string& file, double duration_s) {
  const auto hops = static_cast<std::size_t>(duration_s / 0.1);
  json momentary = json::array();
  for (std::size_t i = 0; i < hops; ++i)
    momentary.push_back(-14.0 + 3.0 * std::sin(0.01 * static_cast<double>(i)));
  return {
      {"file", file},
      {"sample_rate", 48000},
      {"channels", 2},
      {"duration_s", duration_s},
      {"frames", static_cast<long long>(duration_s * 48000)},
      {"loudness",
       {{"integrated_lufs", -14.2},
        {"lra_lu", 5.1},
        {"momentary_max_lufs", -8.0},
        {"short_term_max_lufs", -10.5},
        {"true_peak_dbtp", -1.3},
        {"sample_peak_dbfs", -1.6},
        {"plr_db", 12.9}}},
      {"loudness_curve",
       {{"hop_s", 0.1},
        {"momentary", momentary},
        {"short_term", series(hops, -14.5)},
        {"true_peak", series(hops, -3.0)}}},
      {"waveform",
       {{"hop_s", 0.05}, {"min", series(hops * 2, -0.4)}, {"max", series(hops * 2, 0.4)}}},
      {"silence", {{"head_s", 0.0}, {"tail_s", 0.5}}},
      {"channel_stats", json::array({{{"channel", 0},
                                      {"dc_offset", 0.0001},
                                      {"rms_dbfs", -17.0},
                                      {"crest_db", 15.0},
                                      {"sample_peak_dbfs", -1.6},
                                      {"true_peak_dbtp", -1.3}},
                                     {{"channel", 1},
                                      {"dc_offset", 0.0},
                                      {"rms_dbfs", -17.2},
                                      {"crest_db", 15.2},
                                      {"sample_peak_dbfs", -1.8},
                                      {"true_peak_dbtp", -1.5}}})},
      {"correlation", {{"mean", 0.7}, {"min", 0.1}, {"low_band_mean", 0.95}}},
      {"stereo_width", 0.3},
      {"spectrum",
       {{"bands_hz", {31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000}},
        {"level_db", {-30, -22, -20, -21, -24, -27, -30, -34, -40, -52}}}},
      {"events", json::array()},
      {"platforms", json::array({{{"name", "spotify"},
                                  {"label", "Spotify"},
                                  {"target_lufs", -14},
                                  {"gain_db", 0.2},
                                  {"true_peak_after_dbtp", -1.1}}})},
      {"codec", json::array({{{"codec", "opus"},
                              {"bitrate_kbps", 128},
                              {"true_peak_dbtp", -0.9},
                              {"overs_on_sample", 0},
                              {"overs_inter_sample", 0},
                              {"warning", false}}})},
      {"warnings", json::array()},
  };
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

/// The SVG of the chart with class `chart` (a <figure class="chart CHART">…</figure>).
std::string chart(const std::string& html, const std::string& cls) {
  const auto start = html.find("<figure class=\"chart " + cls + "\"");
  if (start == std::string::npos) return {};
  return html.substr(start, html.find("</figure>", start) - start);
}

double attribute(const std::string& element, const std::string& name) {
  std::smatch m;
  const std::regex re(" " + name + "=\"([-0-9.]+)\"");
  if (!std::regex_search(element, m, re)) throw std::runtime_error("no " + name + " in " + element);
  return std::stod(m[1]);
}

TEST(HtmlReport, EscapesEveryStringFromTheAnalysis) {
  const std::string hostile = "<script>alert(1)</script>.wav";
  json track = full_track(hostile, 30.0);
  track["events"] = json::array({{{"type", "click"},
                                  {"time_s", 3.0},
                                  {"duration_s", 0.0},
                                  {"channel", 0},
                                  {"severity", "warning"},
                                  {"detail", "spike \"<b>loud</b>\" & 'sharp'"}}});
  track["warnings"] = json::array(
      {{{"format", "<vinyl>"}, {"rule", "<rule>"}, {"message", "<img src=x onerror=alert(2)>"}}});
  track["reference"] = {
      {"file", "<ref>.wav"}, {"gain_db", -1.0}, {"band_diff_db", series(10, 1.0)}};
  const json failed = {{"file", "<i>bad</i>.wav"}, {"error", "<b>truncated</b>"}};
  const std::string html = render_html_report({{"tracks", {track, failed}}});

  for (const char* raw :
       {"<script", "<img", "<b>loud", "<i>bad", "<b>truncated", "<vinyl>", "<rule>", "<ref>"}) {
    EXPECT_EQ(html.find(raw), std::string::npos) << raw;
  }
  for (const char* escaped : {"&lt;script&gt;alert(1)&lt;/script&gt;.wav",
                              "spike &quot;&lt;b&gt;loud&lt;/b&gt;&quot; &amp; &#39;sharp&#39;",
                              "&lt;img src=x onerror=alert(2)&gt;", "&lt;ref&gt;.wav",
                              "&lt;b&gt;truncated&lt;/b&gt;", "&lt;i&gt;bad&lt;/i&gt;.wav"}) {
    EXPECT_NE(html.find(escaped), std::string::npos) << escaped;
  }
}

TEST(HtmlReport, EventMarksSitAtTheirTimeOnTheTimeline) {
  json track = full_track("marks.wav", 200.0);
  track["events"] = json::array({
      {{"type", "clip"},
       {"time_s", 50.0},
       {"duration_s", 0.001},
       {"channel", 0},
       {"severity", "error"},
       {"detail", "a"}},
      {{"type", "dropout"},
       {"time_s", 150.25},
       {"duration_s", 0.2},
       {"channel", nullptr},
       {"severity", "warning"},
       {"detail", "b"}},
      {{"type", "phase"},
       {"time_s", 20.0},
       {"duration_s", 40.0},
       {"channel", nullptr},
       {"severity", "info"},
       {"detail", "c"}},
  });
  const std::string html = render_html_report({{"tracks", {track}}});
  const std::string svg = chart(html, "chart-events");
  ASSERT_FALSE(svg.empty());
  const double width = [&] {
    std::smatch m;
    std::regex_search(svg, m, std::regex("viewBox=\"0 0 ([0-9.]+) "));
    return std::stod(m[1]);
  }();
  for (const auto& [time, type, severity] :
       {std::tuple{50.0, "clip", "error"}, std::tuple{150.25, "dropout", "warning"},
        std::tuple{20.0, "phase", "info"}}) {
    std::smatch m;
    const std::regex mark("<g class=\"mark sev-" + std::string(severity) + "\" data-type=\"" +
                          type + "\" data-time=\"([0-9.]+)\">.*?<line ([^>]*)/>");
    ASSERT_TRUE(std::regex_search(svg, m, mark)) << type;
    EXPECT_DOUBLE_EQ(std::stod(m[1]), time);
    EXPECT_NEAR(attribute(" " + m[2].str(), "x1"), width * time / 200.0, 0.06) << type;
  }
  // A 40 s event also shows its length: a bar from 20 s to 60 s.
  std::smatch bar;
  ASSERT_TRUE(
      std::regex_search(svg, bar, std::regex("data-type=\"phase\"[^>]*>.*?(<rect [^>]*>)")));
  EXPECT_NEAR(attribute(bar[1], "width"), width * 40.0 / 200.0, 0.06);
  // The table lists them in time order with m:ss.mmm.
  const std::string table = html.substr(html.find("<table class=\"events\""));
  const auto phase = table.find("0:20.000"), clip = table.find("0:50.000"),
             dropout = table.find("2:30.250");
  ASSERT_NE(phase, std::string::npos);
  ASSERT_NE(clip, std::string::npos);
  ASSERT_NE(dropout, std::string::npos);
  EXPECT_LT(phase, clip);
  EXPECT_LT(clip, dropout);
}

TEST(HtmlReport, NullLevelsReadMinusInfinityAndBreakTheCurves) {
  json track = full_track("silent.wav", 10.0);
  track["loudness"]["integrated_lufs"] = nullptr;
  track["loudness"]["true_peak_dbtp"] = nullptr;
  track["loudness"]["plr_db"] = nullptr;
  // Two loud runs with silence between: the short-term line has two pieces.
  json st = json::array();
  for (int i = 0; i < 100; ++i) st.push_back(i >= 40 && i < 60 ? json(nullptr) : json(-18.0));
  track["loudness_curve"]["short_term"] = st;
  track["loudness_curve"]["momentary"] = st;
  track["loudness_curve"]["true_peak"] = st;
  track["platforms"][0]["true_peak_after_dbtp"] = nullptr;
  const std::string html = render_html_report({{"tracks", {track}}});

  EXPECT_NE(html.find("−∞<span class=\"unit\">LUFS"), std::string::npos);
  EXPECT_NE(html.find("−∞<span class=\"unit\">dBTP"), std::string::npos);
  const std::string platforms = html.substr(html.find("<table class=\"platforms\""));
  EXPECT_NE(platforms.find(">−∞</td>"), std::string::npos) << "true peak after";
  std::smatch m;
  const std::string loud = chart(html, "chart-loudness");
  ASSERT_TRUE(std::regex_search(loud, m, std::regex("class=\"curve short-term\" d=\"([^\"]*)\"")));
  EXPECT_EQ(count(m[1], "M"), 2u);
  const std::string peaks = chart(html, "chart-true-peak");
  ASSERT_TRUE(std::regex_search(peaks, m, std::regex("class=\"area true-peak\" d=\"([^\"]*)\"")));
  EXPECT_EQ(count(m[1], "Z"), 2u);
  // No number in the page is NaN or infinite.
  EXPECT_FALSE(std::regex_search(html, std::regex("\\b-?(nan|inf)\\b", std::regex::icase)));
}

TEST(HtmlReport, MissingOptionalFieldsLeaveTheirSectionsOut) {
  const json bare = {
      {"file", "bare.wav"}, {"sample_rate", 44100}, {"channels", 2}, {"duration_s", 12.5}};
  const std::string html = render_html_report({{"tracks", {bare}}});
  EXPECT_NE(html.find("bare.wav"), std::string::npos);
  EXPECT_NE(html.find("44.1\u00a0kHz"), std::string::npos);
  EXPECT_EQ(html.find("<figure"), std::string::npos);
  EXPECT_EQ(html.find("Streaming services"), std::string::npos);
  EXPECT_EQ(html.find("Codec headroom"), std::string::npos);
  // Values of the wrong type are ignored rather than thrown over.
  const json odd = {
      {"file", 7}, {"loudness", "loud"}, {"events", {{"time_s", "soon"}}}, {"channels", "two"}};
  EXPECT_NO_THROW(render_html_report({{"tracks", {odd}}}));
  EXPECT_NO_THROW(render_html_report(json::array()));
  EXPECT_NE(render_html_report(json::object()).find("no tracks"), std::string::npos);
}

TEST(HtmlReport, FailedTracksShowTheirErrorAndNothingElse) {
  const json failed = {{"file", "truncated.wav"},
                       {"error", "truncated: 1200 of 96000 frames readable"}};
  const std::string html = render_html_report({{"tracks", {full_track("good.wav", 20.0), failed}}});
  const auto at = html.find("id=\"track-2\"");
  ASSERT_NE(at, std::string::npos);
  const std::string second = html.substr(at, html.find("</article>", at) - at);
  EXPECT_NE(second.find("role=\"alert\""), std::string::npos);
  EXPECT_NE(second.find("truncated: 1200 of 96000 frames readable"), std::string::npos);
  EXPECT_NE(second.find("Not analysed"), std::string::npos);
  EXPECT_EQ(second.find("Loudness and peaks"), std::string::npos);
  EXPECT_EQ(second.find("<svg"), std::string::npos);
  // The good track is reported in full.
  EXPECT_EQ(count(html, "Loudness and peaks"), 1u);
}

TEST(HtmlReport, AlbumSectionOnlyWithAnAlbum) {
  json two = {full_track("a.wav", 20.0), full_track("b.wav", 30.0)};
  two[1]["loudness"]["integrated_lufs"] = -15.5;
  EXPECT_EQ(render_html_report({{"tracks", two}}).find("id=\"album\""), std::string::npos);

  const json album = {
      {"integrated_lufs", -14.0},
      {"loudness_spread_lu", 2.5},
      {"loudest", {{"file", "a.wav"}, {"integrated_lufs", -13.0}}},
      {"quietest", {{"file", "b.wav"}, {"integrated_lufs", -15.5}}},
      {"warnings", {{{"rule", "spread"}, {"message", "b.wav is 2.5 LU quieter"}}}},
      {"platforms", {{{"name", "tidal"}, {"label", "Tidal"}, {"album_gain_db", 0.0}}}}};
  const std::string html = render_html_report({{"tracks", two}, {"album", album}});
  const auto at = html.find("id=\"album\"");
  ASSERT_NE(at, std::string::npos);
  EXPECT_LT(at, html.find("id=\"track-1\""));
  EXPECT_NE(html.find("b.wav is 2.5 LU quieter"), std::string::npos);
  EXPECT_NE(html.find("href=\"#track-2\""), std::string::npos);
  // Each track against the album's loudness.
  EXPECT_NE(html.find("<td class=\"num wide-only\">−1.5</td>"), std::string::npos);
}

TEST(HtmlReport, CurvesAreDecimatedForLongFiles) {
  // Two hours at 10 ms hops: 720 000 values per curve.
  json track = full_track("long.wav", 10.0);
  track["duration_s"] = 7200.0;
  json values = json::array();
  for (int i = 0; i < 720000; ++i) values.push_back(-20.0 + (i == 360000 ? 15.0 : 0.0));
  track["loudness_curve"] = {
      {"hop_s", 0.01}, {"momentary", values}, {"short_term", values}, {"true_peak", values}};
  track["waveform"] = {
      {"hop_s", 0.01}, {"min", series(720000, -0.5)}, {"max", series(720000, 0.5)}};
  const std::string html = render_html_report({{"tracks", {track}}});
  for (const char* cls : {"chart-loudness", "chart-true-peak", "chart-waveform"}) {
    const std::string svg = chart(html, cls);
    const std::size_t points = count(svg, "L") + count(svg, "M");
    EXPECT_GT(points, 500u) << cls;
    EXPECT_LE(points, 2100u) << cls;
  }
  EXPECT_LT(html.size(), 400'000u);
  // The single loud hop survives decimation: the curve reaches -5 LUFS.
  std::smatch m;
  const std::string loud = chart(html, "chart-loudness");
  ASSERT_TRUE(std::regex_search(loud, m, std::regex("class=\"curve short-term\" d=\"([^\"]*)\"")));
  double highest = 100.0;
  const std::string d = m[1];
  const std::regex y_of(",([0-9.]+)");
  for (std::sregex_iterator it(d.begin(), d.end(), y_of), end; it != end; ++it) {
    highest = std::min(highest, std::stod((*it)[1]));
  }
  // Range of this plot: 0 LUFS at the top down to -30 (quietest -20, floor -24 - 6); -5 LUFS
  // lies one sixth of the way down.
  EXPECT_NEAR(highest, 100.0 * 5.0 / 30.0, 0.01);
}

TEST(HtmlReport, ThousandsOfEventsStayBounded) {
  // 5000 clicks in 100 s: one mark per spot on the timeline, the first 300 in the table.
  json track = full_track("crackle.wav", 100.0);
  for (int i = 0; i < 5000; ++i) {
    track["events"].push_back({{"type", "click"},
                               {"time_s", i * 0.02},
                               {"duration_s", 0.0},
                               {"channel", i % 2},
                               {"severity", i == 2500 ? "error" : "warning"},
                               {"detail", "impulse"}});
  }
  const std::string html = render_html_report({{"tracks", {track}}});
  const std::string svg = chart(html, "chart-events");
  const std::size_t marks = count(svg, "<g class=\"mark ");
  EXPECT_GT(marks, 1000u);
  EXPECT_LE(marks, 2001u);
  // The one error among them is the mark drawn at its spot.
  EXPECT_EQ(count(svg, "<g class=\"mark sev-error\" data-type=\"click\" data-time=\"50.000\""), 1u);
  EXPECT_EQ(count(html, "<tr class=\"sev-"), 300u);
  EXPECT_NE(html.find("4700 more events"), std::string::npos);
}

TEST(HtmlReport, ThePageFetchesNothing) {
  json track = full_track("net.wav", 60.0);
  track["reference"] = {{"file", "ref.wav"}, {"gain_db", 1.5}, {"band_diff_db", series(10, -2.0)}};
  const std::string html = render_html_report({{"tracks", {track}}});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* fetch :
       {"http", "//", "<script", "<link", "<img", "<iframe", "@import", "url(", "src="}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }
  const std::regex href("href=\"([^\"]*)\"");
  for (std::sregex_iterator it(html.begin(), html.end(), href), end; it != end; ++it) {
    EXPECT_EQ((*it)[1].str().front(), '#') << (*it)[1];
  }
  // With a reference: both spectra and the difference.
  EXPECT_NE(chart(html, "chart-spectrum").find("class=\"curve reference\""), std::string::npos);
  EXPECT_NE(chart(html, "chart-spectrum").find("class=\"curve spectrum\""), std::string::npos);
  EXPECT_EQ(count(chart(html, "chart-difference"), "class=\"diff less\""), 10u);
}

}  // namespace
