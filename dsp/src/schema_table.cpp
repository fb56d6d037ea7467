// The parameter table of this build: every path of the chain and the monitor path, with its
// unit, range, default and smoothing time. Defaults make the chain transparent (every stage
// neutral) and the monitor path flat at unity.
#include <array>
#include <cmath>
#include <string>

#include "lacquer/dsp/param_schema.hpp"

namespace lacquer::dsp {

namespace {

// Glide times. Gains ramp fast enough to feel immediate and slow enough not to click;
// filter frequencies glide a little longer because their coefficients move non-linearly.
constexpr double kGainSmoothMs = 20.0;
constexpr double kFilterSmoothMs = 30.0;
constexpr double kTimeSmoothMs = 0.0;  // time constants change the envelope, not the signal
constexpr double kSwitchSmoothMs = 10.0;  // switches and choices crossfade

class TableBuilder {
 public:
  std::vector<ParamSpec> take() { return std::move(table_); }

  void real(std::string path, std::string unit, double lo, double hi, double def,
            double smoothing_ms, std::string description, Taper taper = Taper::linear) {
    table_.push_back({.path = std::move(path),
                      .type = ParamType::real,
                      .unit = std::move(unit),
                      .min_value = lo,
                      .max_value = hi,
                      .default_value = def,
                      .smoothing_ms = smoothing_ms,
                      .taper = taper,
                      .choices = {},
                      .description = std::move(description)});
  }

  void hz(std::string path, double lo, double hi, double def, std::string description) {
    real(std::move(path), "Hz", lo, hi, def, kFilterSmoothMs, std::move(description),
         Taper::logarithmic);
  }

  void db(std::string path, double lo, double hi, double def, std::string description) {
    real(std::move(path), "dB", lo, hi, def, kGainSmoothMs, std::move(description));
  }

  void ms(std::string path, double lo, double hi, double def, std::string description) {
    real(std::move(path), "ms", lo, hi, def, kTimeSmoothMs, std::move(description),
         Taper::logarithmic);
  }

  void integer(std::string path, double lo, double hi, double def,
                           std::string description) {
    table_.push_back({.path = std::move(path),
                      .type = ParamType::integer,
                      .unit = "",
                      .min_value = lo,
                      .max_value = hi,
                      .default_value = def,
                      .smoothing_ms = kSwitchSmoothMs,
                      .choices = {},
                      .description = std::move(description)});
  }

  void boolean(std::string path, bool def, std::string description) {
    table_.push_back({.path = std::move(path),
                      .type = ParamType::boolean,
                      .unit = "",
                      .min_value = 0.0,
                      .max_value = 1.0,
                      .default_value = def ? 1.0 : 0.0,
                      .smoothing_ms = kSwitchSmoothMs,
                      .choices = {},
                      .description = std::move(description)});
  }

  void choice(std::string path, std::vector<std::string> choices, std::size_t def,
              std::string description) {
    const double last = static_cast<double>(choices.size() - 1);
    table_.push_back({.path = std::move(path),
                      .type = ParamType::choice,
                      .unit = "",
                      .min_value = 0.0,
                      .max_value = last,
                      .default_value = static_cast<double>(def),
                      .smoothing_ms = kSwitchSmoothMs,
                      .choices = std::move(choices),
                      .description = std::move(description)});
  }

  void bypass(const std::string& stage) {
    boolean(stage + "/bypass", false, "Bypass the stage (crossfaded, latency kept)");
  }

 private:
  std::vector<ParamSpec> table_;
};

void add_input(TableBuilder& t) {
  t.db("/chain/input/trim", -24.0, 24.0, 0.0, "Gain before the chain");
  t.boolean("/chain/input/polarity_left", false, "Invert the polarity of the left channel");
  t.boolean("/chain/input/polarity_right", false, "Invert the polarity of the right channel");
  t.real("/chain/input/balance", "%", -100.0, 100.0, 0.0, kGainSmoothMs,
         "Balance: -100 attenuates the right channel fully, +100 the left (constant gain at 0)");
  t.boolean("/chain/input/dc_block", false, "DC-blocking high-pass filter");
  t.bypass("/chain/input");
}

void add_eq(TableBuilder& t) {
  // Band frequencies start spread over the spectrum so enabling a band lands somewhere useful.
  constexpr std::array<double, 8> kDefaultFreqHz = {30.0,   80.0,   200.0,  500.0,
                                                    1200.0, 3000.0, 7000.0, 14000.0};
  for (int band = 1; band <= 8; ++band) {
    const std::string p = "/chain/eq/" + std::to_string(band);
    t.boolean(p + "/enabled", false, "Band switched in");
    t.choice(p + "/type", {"bell", "low_shelf", "high_shelf", "high_pass", "low_pass", "notch"},
             0, "Filter type");
    t.choice(p + "/mode", {"stereo", "mid", "side", "left", "right"}, 0,
             "Channels the band acts on");
    t.hz(p + "/freq", 10.0, 22000.0, kDefaultFreqHz[static_cast<std::size_t>(band - 1)],
         "Centre, corner or shelf mid-point frequency");
    t.db(p + "/gain", -18.0, 18.0, 0.0, "Gain of bell and shelf bands");
    t.real(p + "/q", "", 0.1, 18.0, 0.707, kFilterSmoothMs,
           "Quality factor (bell, notch: bandwidth; shelf: slope; pass: resonance)",
           Taper::logarithmic);
    t.choice(p + "/slope", {"12", "24", "36", "48"}, 0, "High/low pass slope in dB/oct");
  }
  t.bypass("/chain/eq");
}

// The static curve and time constants shared by the broadband and the multiband compressor.
// Defaults (threshold 0 dBFS, ratio 1) leave the signal untouched.
void add_compressor(TableBuilder& t, const std::string& p, double release_ms) {
  t.db(p + "/threshold", -60.0, 0.0, 0.0, "Level above which the signal is compressed");
  t.real(p + "/ratio", "ratio", 1.0, 20.0, 1.0, kTimeSmoothMs, "Compression ratio (1 = none)",
         Taper::logarithmic);
  t.ms(p + "/attack", 0.1, 300.0, 10.0, "Attack time constant");
  t.ms(p + "/release", 5.0, 3000.0, release_ms, "Release time constant");
  t.real(p + "/knee", "dB", 0.0, 24.0, 6.0, kTimeSmoothMs, "Soft-knee width");
  t.db(p + "/makeup", -12.0, 24.0, 0.0, "Gain after compression");
}

void add_multiband(TableBuilder& t) {
  constexpr std::array<double, 3> kCrossoverHz = {120.0, 1000.0, 6000.0};
  for (int x = 1; x <= 3; ++x) {
    t.hz("/chain/multiband/crossover/" + std::to_string(x) + "/freq", 20.0, 20000.0,
         kCrossoverHz[static_cast<std::size_t>(x - 1)],
         "Linkwitz-Riley 24 dB/oct crossover between band " + std::to_string(x) + " and " +
             std::to_string(x + 1));
  }
  for (int band = 1; band <= 4; ++band) {
    const std::string p = "/chain/multiband/" + std::to_string(band);
    add_compressor(t, p, 150.0);
    t.boolean(p + "/bypass", false, "Pass the band unprocessed");
    t.boolean(p + "/solo", false, "Hear only the soloed bands");
  }
  t.integer("/chain/multiband/bands", 2.0, 4.0, 4.0, "Number of bands");
  t.choice("/chain/multiband/detector", {"peak", "rms"}, 0, "Level detector of every band");
  t.real("/chain/multiband/link", "%", 0.0, 100.0, 100.0, kTimeSmoothMs,
         "Stereo link of the detectors (100 = one gain for both channels)");
  t.choice("/chain/multiband/mode", {"stereo", "mid_side"}, 0,
           "Process left/right or mid/side");
  t.bypass("/chain/multiband");
}

void add_comp(TableBuilder& t) {
  add_compressor(t, "/chain/comp", 200.0);
  t.choice("/chain/comp/detector", {"peak", "rms"}, 0, "Level detector");
  t.real("/chain/comp/link", "%", 0.0, 100.0, 100.0, kTimeSmoothMs,
         "Stereo link of the detectors (100 = one gain for both channels)");
  t.hz("/chain/comp/sidechain_hpf", 10.0, 500.0, 10.0,
       "High-pass corner of the side chain, so bass does not pump the mix");
  t.real("/chain/comp/mix", "%", 0.0, 100.0, 100.0, kGainSmoothMs,
         "Wet share (parallel compression below 100)");
  t.boolean("/chain/comp/auto_makeup", false, "Compensate the static gain loss");
  t.bypass("/chain/comp");
}

void add_stereo(TableBuilder& t) {
  t.real("/chain/stereo/width", "%", 0.0, 200.0, 100.0, kGainSmoothMs,
         "Side level relative to mid (0 = mono, 100 = unchanged)");
  t.real("/chain/stereo/mono_below", "Hz", 0.0, 300.0, 0.0, kFilterSmoothMs,
         "Sum to mono below this frequency (0 = off), e.g. for vinyl");
  t.bypass("/chain/stereo");
}

void add_deesser(TableBuilder& t) {
  t.hz("/chain/deesser/freq", 2000.0, 12000.0, 6000.0,
       "Split frequency: the band above it is detected and reduced");
  t.db("/chain/deesser/threshold", -60.0, 0.0, -30.0,
       "RMS level of the high band where reduction starts");
  t.real("/chain/deesser/ratio", "ratio", 1.0, 20.0, 4.0, kTimeSmoothMs,
         "Compression ratio of the high band above the threshold");
  t.real("/chain/deesser/range", "dB", 0.0, 24.0, 12.0, kTimeSmoothMs,
         "Most reduction of the high band");
  t.ms("/chain/deesser/attack", 0.1, 50.0, 1.0, "Attack time constant");
  t.ms("/chain/deesser/release", 5.0, 500.0, 60.0, "Release time constant");
  t.boolean("/chain/deesser/bypass", true, "Pass the stage unprocessed (bypassed until used)");
}

void add_limiter(TableBuilder& t) {
  t.db("/chain/limiter/drive", -48.0, 24.0, 0.0,
       "Gain into the limiter: raises loudness while the ceiling holds the peaks");
  t.real("/chain/limiter/ceiling", "dBTP", -12.0, 0.0, 0.0, kGainSmoothMs,
         "Highest true peak of the output");
  t.ms("/chain/limiter/release", 1.0, 1000.0, 100.0, "Release time constant");
  t.real("/chain/limiter/lookahead", "ms", 0.5, 5.0, 2.0, kTimeSmoothMs,
         "Attack ramp before a peak (the latency stays at its 5 ms maximum)");
  t.real("/chain/limiter/hold", "ms", 0.0, 50.0, 10.0, kTimeSmoothMs,
         "Time the gain stays down after a peak before releasing");
  t.bypass("/chain/limiter");
}

void add_output(TableBuilder& t) {
  t.db("/chain/output/gain", -24.0, 12.0, 0.0,
       "Gain at the end of the chain, before word-length reduction");
  t.choice("/chain/output/bits", {"off", "16", "24"}, 0, "Word length of the print");
  t.choice("/chain/output/dither", {"off", "tpdf", "lipshitz", "fweighted", "shibata"}, 1,
           "Dither at word-length reduction: plain TPDF, or TPDF with noise shaping");
  t.bypass("/chain/output");
}

void add_monitor(TableBuilder& t) {
  t.db("/monitor/level", -80.0, 12.0, 0.0, "Monitor level (on top of the calibration)");
  t.boolean("/monitor/dim", false, "Dim the monitors by the dim level");
  t.db("/monitor/dim_level", -40.0, 0.0, -20.0, "Attenuation while dimmed");
  t.boolean("/monitor/mute", false, "Mute the monitors");
  t.boolean("/monitor/mono", false, "Listen to the mid (L+R)/2 on both speakers");
  t.boolean("/monitor/side_solo", false, "Listen to the side (L-R)/2 on both speakers");
  t.choice("/monitor/solo", {"off", "left", "right"}, 0,
           "Listen to one channel on both speakers");
  t.choice("/monitor/speakers", {"main", "alt", "mini"}, 0, "Speaker set");
  t.choice("/monitor/preview",
           {"flat", "phone", "earbuds", "laptop", "car", "spotify", "apple", "youtube", "tidal",
            "deezer", "amazon"},
           0, "Translation curve or the playback gain a streaming service would apply");
  t.choice("/monitor/compare", {"chain", "bypass", "A", "B", "reference"}, 0,
           "What the monitors play: the chain, its input, snapshot A or B, or the reference "
           "track");
  t.boolean("/monitor/match", false, "Match the loudness of the compared signals");
  t.choice("/monitor/match_on", {"integrated", "short_term"}, 0,
           "Loudness the compare match uses");
  t.choice("/monitor/noise", {"off", "mid", "full"}, 0,
           "SPL reference: pink noise 500 Hz-2 kHz (mid) or full band in place of the program");
  t.choice("/monitor/noise_speaker", {"left", "right"}, 0, "Speaker the reference noise plays on");
  t.db("/monitor/noise_level", -40.0, -6.0, -20.0, "RMS level of the reference noise (dBFS RMS)");

  for (const char* set : {"main", "alt", "mini"}) {
    const std::string s = std::string("/monitor/speakers/") + set;
    t.db(s + "/calibration", -40.0, 20.0, 0.0,
         "Gain that puts this set at the room's reference level");
    t.real(s + "/reference_spl", "dB SPL", 0.0, 130.0, 0.0, kSwitchSmoothMs,
           "SPL the -20 dBFS RMS reference noise reads at monitor level 0 dB (0: not entered)");
    for (const char* side : {"left", "right"}) {
      const std::string p = s + "/" + side;
      t.db(p + "/trim", -20.0, 20.0, 0.0, "Level trim of this speaker");
      t.real(p + "/delay", "ms", 0.0, 20.0, 0.0, kSwitchSmoothMs,
             "Delay of this speaker (time alignment)");
      for (int band = 1; band <= 4; ++band) {
        const std::string b = p + "/eq/" + std::to_string(band);
        t.hz(b + "/freq", 20.0, 20000.0, 100.0 * std::pow(4.0, band - 1),
             "Correction band centre frequency");
        t.db(b + "/gain", -18.0, 12.0, 0.0, "Correction band gain (0 = off)");
        t.real(b + "/q", "", 0.3, 12.0, 1.0, kFilterSmoothMs, "Correction band quality factor",
               Taper::logarithmic);
      }
    }
  }
}

std::vector<ParamSpec> build_table() {
  TableBuilder t;
  add_input(t);
  add_eq(t);
  add_multiband(t);
  add_comp(t);
  add_stereo(t);
  add_deesser(t);
  add_limiter(t);
  add_output(t);
  add_monitor(t);
  return t.take();
}

}  // namespace

const Schema& Schema::instance() {
  static const Schema schema(build_table());
  return schema;
}

}  // namespace lacquer::dsp
