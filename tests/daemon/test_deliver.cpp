// `lacquer deliver` end to end on a generated album (tracks of different loudness, a pregap of
// silence, a crossfade, a mono 44.1 kHz track), every output read back by tools that are not
// ours: cuebreakpoints / shnsplit / cueprint (cuetools, shntool), metaflac and flac, sox,
// sha256sum, libsndfile for headers and bext, libebur128 for loudness and true peak.
#include <gtest/gtest.h>

#include <ebur128.h>
#include <sndfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lacquer/session/store.hpp"
#include "music.hpp"

namespace {

namespace fs = std::filesystem;
using lacquer::analysis::test::Audio;

struct Outcome {
  int exit_code;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs a shell command; stdout and stderr captured.
Outcome run(const std::string& cmd, const fs::path& scratch) {
  const fs::path out = scratch / "cmd.out", err = scratch / "cmd.err";
  const int status = std::system((cmd + " > '" + out.string() + "' 2> '" + err.string() + "'").c_str());
  Outcome o{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  fs::remove(out);
  fs::remove(err);
  return o;
}

struct Pcm {
  int rate = 0, channels = 0, format = 0;
  std::vector<int> samples;  // interleaved, as libsndfile gives integers (top-aligned)
  std::size_t frames() const { return samples.size() / static_cast<std::size_t>(channels); }
};

Pcm read_pcm(const fs::path& p) {
  SF_INFO info{};
  SNDFILE* f = sf_open(p.c_str(), SFM_READ, &info);
  if (f == nullptr) throw std::runtime_error("cannot read " + p.string());
  Pcm a{info.samplerate, info.channels, info.format, {}};
  a.samples.resize(static_cast<std::size_t>(info.frames * info.channels));
  sf_readf_int(f, a.samples.data(), info.frames);
  sf_close(f);
  return a;
}

struct Level {
  double lufs, tp_dbtp;
};

Level measure(const std::vector<fs::path>& files) {
  std::vector<ebur128_state*> states;
  double peak = 0.0;
  for (const auto& p : files) {
    SF_INFO info{};
    SNDFILE* f = sf_open(p.c_str(), SFM_READ, &info);
    EXPECT_NE(f, nullptr) << p;
    auto* st = ebur128_init(static_cast<unsigned>(info.channels), static_cast<unsigned long>(info.samplerate),
                            EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    std::vector<double> buf(static_cast<std::size_t>(info.frames * info.channels));
    sf_readf_double(f, buf.data(), info.frames);
    sf_close(f);
    ebur128_add_frames_double(st, buf.data(), static_cast<std::size_t>(info.frames));
    for (unsigned c = 0; c < static_cast<unsigned>(info.channels); ++c) {
      double tp = 0.0;
      ebur128_true_peak(st, c, &tp);
      peak = std::max(peak, tp);
    }
    states.push_back(st);
  }
  double lufs = 0.0;
  ebur128_loudness_global_multiple(states.data(), states.size(), &lufs);
  for (auto* st : states) ebur128_destroy(&st);
  return {lufs, 20.0 * std::log10(peak)};
}

/// Audio scaled by a gain in dB, as another mix of different loudness.
Audio louder(Audio a, double db) {
  for (auto& x : a.x) x = static_cast<float>(static_cast<double>(x) * lacquer::analysis::test::gain(db));
  return a;
}

Audio to_mono(const Audio& a) {
  Audio m;
  m.channels = 1;
  m.rate = a.rate;
  for (std::size_t i = 0; i < a.frames(); ++i) m.x.push_back(0.5f * a.x[2 * i] + 0.5f * a.x[2 * i + 1]);
  return m;
}

class Deliver : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lacquer-deliver-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "src");
    using lacquer::analysis::test::music;
    using lacquer::analysis::test::write_wav;
    // Four mixes: loud, quiet, middling, and a mono 44.1 kHz one.
    ASSERT_TRUE(write_wav((dir_ / "src/one.wav").string(), louder(music(7.0, 1), 4.0)));
    ASSERT_TRUE(write_wav((dir_ / "src/two.wav").string(), louder(music(6.0, 2), -6.0)));
    ASSERT_TRUE(write_wav((dir_ / "src/three.wav").string(), music(8.0, 3)));
    ASSERT_TRUE(write_wav((dir_ / "src/four.wav").string(), louder(to_mono(music(5.0, 4, 44100.0)), 2.0)));
    album_ = {
        {"title", "Night Drive"}, {"artist", "The Band"}, {"year", 2026}, {"label", "Quiet Records"},
        {"catalogue", "5012345678900"},
        {"tracks",
         {{{"title", "Intro"}, {"performer", "The Band"}, {"songwriter", "A. Writer"}, {"isrc", "GBAYE2600001"},
           {"file", "src/one.wav"}},
          {{"title", "Slow \"One\""}, {"songwriter", "B. Writer"}, {"isrc", "GBAYE2600002"},
           {"file", "src/two.wav"}, {"pregap_s", 2.0}},
          {{"title", "Into the Night"}, {"isrc", "GBAYE2600003"}, {"file", "src/three.wav"},
           {"pregap_s", 1.0}, {"crossfade_s", 1.5}},
          {{"title", "Coda"}, {"isrc", "GBAYE2600004"}, {"file", "src/four.wav"}, {"pregap_s", 0.5}}}}};
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome deliver(const std::string& args, const std::string& setup = "") {
    std::ofstream(dir_ / "album.json") << album_.dump(1);
    return run(setup + std::string(LACQUER_BINARY) + " deliver --album '" + (dir_ / "album.json").string() +
                   "' --out '" + (dir_ / "out").string() + "' " + args,
               dir_);
  }

  /// Only the sources and album.json beside the output: no output, no temporary folder.
  void expect_nothing_delivered() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"album.json", "src"}));
  }

  fs::path dir_;
  nlohmann::json album_;
};

std::vector<fs::path> with_extension(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ext && e.path().filename().string()[0] != 'a') files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST_F(Deliver, CdImageCueAndTracksReadByCdTools) {

  const Outcome r = deliver("--formats cd");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path cd = dir_ / "out/cd";

  // The image: plain PCM WAV (format tag 1 at byte 20 of a canonical header), 44.1 kHz 16-bit.
  const std::string image = slurp(cd / "album.wav");
  ASSERT_GT(image.size(), 44u);
  EXPECT_EQ(image.substr(12, 4), "fmt ");
  EXPECT_EQ(static_cast<unsigned char>(image[20]) | static_cast<unsigned char>(image[21]) << 8, 1);
  const auto sox = [&](const char* flag) { return run(std::string("sox --i ") + flag + " '" + (cd / "album.wav").string() + "'", dir_).out; };
  EXPECT_EQ(sox("-r"), "44100\n");
  EXPECT_EQ(sox("-b"), "16\n");
  EXPECT_EQ(sox("-c"), "2\n");

  // Split at the CUE's breakpoints by shntool: each piece is the delivered track file, bit for bit.
  fs::create_directories(dir_ / "split");
  const Outcome split = run("cuebreakpoints '" + (cd / "album.cue").string() + "' | shnsplit -q -O always -d '" +
                                (dir_ / "split").string() + "' -o wav '" + (cd / "album.wav").string() + "'",
                            dir_);
  ASSERT_EQ(split.exit_code, 0) << split.err;
  const auto pieces = with_extension(dir_ / "split", ".wav");
  const auto tracks = with_extension(cd, ".wav");
  ASSERT_EQ(pieces.size(), 4u);
  ASSERT_EQ(tracks.size(), 4u);
  std::size_t total = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(tracks[i].string());
    const Pcm a = read_pcm(pieces[i]), b = read_pcm(tracks[i]);
    EXPECT_EQ(b.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    EXPECT_EQ(a.frames(), b.frames());
    EXPECT_TRUE(a.samples == b.samples);
    EXPECT_EQ(b.frames() % 588, i + 1 < 4 ? 0u : b.frames() % 588);  // cut on CD frames
    total += b.frames();
  }
  const Pcm whole = read_pcm(cd / "album.wav");
  EXPECT_EQ(total, whole.frames());
  EXPECT_EQ(whole.frames() % 588, 0u);

  // cueprint reads the ISRCs, titles and performers.
  const Outcome printed = run("cueprint -d '%N|%P|%T\\n' -t '%n|%i|%t|%p\\n' '" + (cd / "album.cue").string() + "'", dir_);
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_NE(printed.out.find("4|The Band|Night Drive"), std::string::npos) << printed.out;
  EXPECT_NE(printed.out.find("1|GBAYE2600001|Intro|The Band"), std::string::npos) << printed.out;
  EXPECT_NE(printed.out.find("2|GBAYE2600002|Slow 'One'|The Band"), std::string::npos) << printed.out;
  EXPECT_NE(printed.out.find("4|GBAYE2600004|Coda|The Band"), std::string::npos) << printed.out;

  // metaflac takes the CUE sheet into a FLAC of the image (it refuses a bad CATALOG, ISRC or
  // an index off a CD frame) and gives back CATALOG, ISRCs and the index points.
  const fs::path flac = dir_ / "image.flac";
  ASSERT_EQ(run("flac -s -o '" + flac.string() + "' '" + (cd / "album.wav").string() + "'", dir_).exit_code, 0);
  const Outcome imported = run("metaflac --import-cuesheet-from='" + (cd / "album.cue").string() + "' '" + flac.string() + "'", dir_);
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const Outcome sheet = run("metaflac --export-cuesheet-to=- '" + flac.string() + "'", dir_);
  EXPECT_NE(sheet.out.find("CATALOG 5012345678900"), std::string::npos) << sheet.out;
  EXPECT_NE(sheet.out.find("ISRC GBAYE2600003"), std::string::npos) << sheet.out;

  // The layout in the audio: track 2's pregap (INDEX 00 to 01) is 2 s of silence (dither
  // only), track 3's pregap is the tail of track 2 (crossfade), and each index is on a frame.
  std::vector<std::vector<long>> indices(5);  // [track] -> {index00 or -1, index01} in samples
  {
    std::istringstream cue(slurp(cd / "album.cue"));
    int track = 0;
    for (std::string line; std::getline(cue, line);) {
      std::istringstream words(line);
      std::string cmd;
      words >> cmd;
      if (cmd == "TRACK") words >> track;
      if (cmd == "INDEX") {
        int n = 0, mm = 0, ss = 0, ff = 0;
        char c1 = 0, c2 = 0;
        words >> n >> mm >> c1 >> ss >> c2 >> ff;
        indices[static_cast<std::size_t>(track)].push_back((static_cast<long>(mm) * 60 * 75 + ss * 75 + ff) * 588);
      }
    }
  }
  ASSERT_EQ(indices[2].size(), 2u);
  ASSERT_EQ(indices[3].size(), 2u);
  EXPECT_EQ(indices[2][1] - indices[2][0], 2 * 44100);
  EXPECT_EQ(indices[3][1] - indices[3][0], 44100);
  const auto peak = [&](long from, long to) {
    int p = 0;
    for (long i = from; i < to; ++i) {
      for (int c = 0; c < 2; ++c) p = std::max(p, std::abs(whole.samples[static_cast<std::size_t>(2 * i + c)] >> 16));
    }
    return p;
  };
  EXPECT_LE(peak(indices[2][0] + 588, indices[2][1]), 2);    // silence: dither, a LSB or two
  EXPECT_GT(peak(indices[2][1], indices[2][1] + 44100), 1000);  // the track starts at INDEX 01
  EXPECT_GT(peak(indices[3][0], indices[3][1]), 1000);         // track 2's tail in track 3's pregap

  // Compliance report and manifest.
  const auto report = nlohmann::json::parse(slurp(cd / "compliance.json"));
  EXPECT_TRUE(report["passed"].get<bool>()) << report["rules"].dump(1);
  EXPECT_GE(report["rules"].size(), 5u * 5u);
  EXPECT_NE(slurp(cd / "compliance.html").find("Compliance: cd"), std::string::npos);
  const Outcome sums = run("cd '" + (dir_ / "out").string() + "' && sha256sum -c --quiet SHA256SUMS", dir_);
  EXPECT_EQ(sums.exit_code, 0) << sums.out << sums.err;
  EXPECT_NE(slurp(dir_ / "out/SHA256SUMS").find("  cd/album.cue\n"), std::string::npos);
}

TEST_F(Deliver, CdRefusesTooShortTrackNamingIt) {
  using lacquer::analysis::test::music;
  ASSERT_TRUE(lacquer::analysis::test::write_wav((dir_ / "src/short.wav").string(), music(2.5, 9)));
  album_["tracks"][3]["file"] = "src/short.wav";
  album_["tracks"][3]["pregap_s"] = 0.0;
  const Outcome r = deliver("--formats cd");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("track 4 (Coda)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("at least 4 s"), std::string::npos) << r.err;
  expect_nothing_delivered();
}

TEST_F(Deliver, CdRefusesMoreThan99TracksAndMoreThan79Minutes57) {
  nlohmann::json many = nlohmann::json::array();
  for (int i = 0; i < 100; ++i) many.push_back({{"title", "T" + std::to_string(i + 1)}, {"file", "src/one.wav"}});
  album_["tracks"] = many;
  Outcome r = deliver("--formats cd");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cd: 100 tracks; a CD holds at most 99"), std::string::npos) << r.err;
  expect_nothing_delivered();

  // 20 tracks of 250 s (83:20), as 8 kHz mono to keep the file small.
  using lacquer::analysis::test::music;
  ASSERT_TRUE(lacquer::analysis::test::write_wav((dir_ / "src/long.wav").string(), to_mono(music(250.0, 5, 8000.0)),
                                                 SF_FORMAT_WAV | SF_FORMAT_PCM_16));
  nlohmann::json long_tracks = nlohmann::json::array();
  for (int i = 0; i < 20; ++i) long_tracks.push_back({{"title", "L" + std::to_string(i + 1)}, {"file", "src/long.wav"}});
  album_["tracks"] = long_tracks;
  r = deliver("--formats cd");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cd: the album lasts 83:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("a CD holds at most 79:57"), std::string::npos) << r.err;
  expect_nothing_delivered();
}

TEST_F(Deliver, ChangedOrMissingSourceNamesTheTrack) {
  const Outcome sum = run("sha256sum '" + (dir_ / "src/two.wav").string() + "'", dir_);
  album_["tracks"][1]["file_sha256"] = sum.out.substr(0, 64);
  Outcome r = deliver("--formats cd");
  ASSERT_EQ(r.exit_code, 0) << r.err;  // the right digest passes
  fs::remove_all(dir_ / "out");
  { std::ofstream(dir_ / "src/two.wav", std::ios::app) << "x"; }
  r = deliver("--formats cd");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("track 2 (Slow \"One\")"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("SHA-256"), std::string::npos) << r.err;
  expect_nothing_delivered();
  fs::remove(dir_ / "src/three.wav");
  album_["tracks"][1].erase("file_sha256");
  r = deliver("--formats cd");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("track 3 (Into the Night): source"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r.err;
  expect_nothing_delivered();
}

std::string tags_of(const fs::path& flac, const fs::path& scratch) {
  return run("metaflac --export-tags-to=- '" + flac.string() + "'", scratch).out;
}

std::string metaflac_show(const char* what, const fs::path& flac, const fs::path& scratch) {
  return run(std::string("metaflac --show-") + what + " '" + flac.string() + "'", scratch).out;
}

TEST_F(Deliver, StreamingFlacTagsBextAndLoudness) {
  const Outcome r = deliver("--formats streaming --target spotify");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path dir = dir_ / "out/streaming";
  const auto flacs = with_extension(dir, ".flac");
  const auto wavs = with_extension(dir, ".wav");
  ASSERT_EQ(flacs.size(), 4u);
  ASSERT_EQ(wavs.size(), 4u);
  const std::vector<std::string> titles = {"Intro", "Slow \"One\"", "Into the Night", "Coda"};
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(flacs[i].string());
    const std::string n = std::to_string(i + 1);
    const std::string tags = tags_of(flacs[i], dir_);
    for (const std::string& want :
         {"TITLE=" + titles[i], std::string("ARTIST=The Band"), std::string("ALBUM=Night Drive"), "TRACKNUMBER=" + n,
          "ISRC=GBAYE260000" + n, std::string("DATE=2026"), std::string("LABEL=Quiet Records"),
          std::string("BARCODE=5012345678900")}) {
      EXPECT_NE(tags.find(want + "\n"), std::string::npos) << want << " in\n" << tags;
    }
    EXPECT_EQ(metaflac_show("bps", flacs[i], dir_), "24\n");
    EXPECT_EQ(metaflac_show("sample-rate", flacs[i], dir_), i == 3 ? "44100\n" : "48000\n");

    // The WAV: the FLAC's samples behind a bext chunk carrying the ISRC.
    SF_INFO info{};
    SNDFILE* f = sf_open(wavs[i].c_str(), SFM_READ, &info);
    ASSERT_NE(f, nullptr);
    SF_BROADCAST_INFO bext{};
    EXPECT_EQ(sf_command(f, SFC_GET_BROADCAST_INFO, &bext, sizeof bext), SF_TRUE);
    sf_close(f);
    EXPECT_EQ(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
    EXPECT_EQ(std::string(bext.description).rfind("ISRC:GBAYE260000" + n + "\r\n", 0), 0u) << bext.description;
    EXPECT_EQ(bext.version, 2);
    EXPECT_NE(std::string(bext.coding_history).find(",W=24,"), std::string::npos) << bext.coding_history;
    EXPECT_TRUE(read_pcm(wavs[i]).samples == read_pcm(flacs[i]).samples);

    // Loudness and true peak of what was written, by libebur128.
    const Level level = measure({flacs[i]});
    EXPECT_NEAR(level.lufs, -14.0, 0.5);
    EXPECT_LE(level.tp_dbtp, -1.0);
  }
  const auto report = nlohmann::json::parse(slurp(dir / "compliance.json"));
  EXPECT_TRUE(report["passed"].get<bool>()) << report["rules"].dump(1);
  std::size_t codec_lines = 0;
  for (const auto& rule : report["rules"]) codec_lines += rule["rule"] == "codec_headroom" ? 1 : 0;
  EXPECT_EQ(codec_lines, 4u);
}

TEST_F(Deliver, StreamingAlbumModeKeepsTheSpread) {
  // Amazon's ceiling of -2 dBTP: at -1 the loudest track's Opus round trip comes within
  // 0.5 dB of full scale (the codec headroom rule fails, as it should).
  const Outcome r = deliver("--formats streaming --loudness album --rate 44100 --target amazon");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto flacs = with_extension(dir_ / "out/streaming", ".flac");
  ASSERT_EQ(flacs.size(), 4u);
  EXPECT_NEAR(measure(flacs).lufs, -14.0, 0.5);
  std::vector<double> level;
  for (const auto& f : flacs) {
    EXPECT_EQ(metaflac_show("sample-rate", f, dir_), "44100\n");
    level.push_back(measure({f}).lufs);
    EXPECT_LE(measure({f}).tp_dbtp, -2.0);
  }
  // The sources differ by 10 dB between the first and the second: the album keeps most of it
  // (the limiter takes about 2 dB off the loud one); track mode would make them equal.
  const Level one = measure({dir_ / "src/one.wav"}), two = measure({dir_ / "src/two.wav"});
  EXPECT_GT(level[0] - level[1], 0.7 * (one.lufs - two.lufs));
  const auto report = nlohmann::json::parse(slurp(dir_ / "out/streaming/compliance.json"));
  bool album_line = false;
  for (const auto& rule : report["rules"]) album_line |= rule["file"] == "album" && rule["rule"] == "loudness" && rule["pass"] == true;
  EXPECT_TRUE(album_line) << report["rules"].dump(1);
}

TEST_F(Deliver, HiresAtTheSourceRateTagged) {
  const Outcome r = deliver("--formats hires");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto flacs = with_extension(dir_ / "out/hires", ".flac");
  ASSERT_EQ(flacs.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(metaflac_show("bps", flacs[i], dir_), "24\n");
    EXPECT_EQ(metaflac_show("sample-rate", flacs[i], dir_), i == 3 ? "44100\n" : "48000\n");
    EXPECT_NE(tags_of(flacs[i], dir_).find("ISRC=GBAYE260000" + std::to_string(i + 1)), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(dir_ / "out/cd"));
  EXPECT_TRUE(nlohmann::json::parse(slurp(dir_ / "out/hires/compliance.json"))["passed"].get<bool>());
}

TEST_F(Deliver, FailedRuleFailsTheDeliveryUnlessOverridden) {
  album_["tracks"][1]["isrc"] = "";
  Outcome r = deliver("--formats hires");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("hires/02 Slow _One_.flac: isrc: no ISRC"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 compliance rule failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--override RULE"), std::string::npos) << r.err;
  expect_nothing_delivered();
  r = deliver("--formats hires --override isrc");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("overridden: hires/02 Slow _One_.flac: isrc"), std::string::npos) << r.err;
  const auto report = nlohmann::json::parse(slurp(dir_ / "out/hires/compliance.json"));
  EXPECT_TRUE(report["passed"].get<bool>());
  bool overridden = false;
  for (const auto& rule : report["rules"]) overridden |= rule["rule"] == "isrc" && rule["overridden"] == true;
  EXPECT_TRUE(overridden);
}

// The same album from a session in the store (as the API writes it), whether or not a daemon
// runs: each track's applied snapshot is its chain, and the stored SHA-256 guards its source.
TEST_F(Deliver, FromASessionInTheStore) {
  const fs::path db = dir_ / "src/lacquer.db";
  std::int64_t session_id = 0;
  {
    auto store = lacquer::session::Store::open(db);
    auto session = store->create_session({"Night Drive", "The Band", "Client", ""});
    ASSERT_TRUE(session.ok()) << session.error().message;
    session_id = session->id;
    lacquer::session::ReleaseUpdate release;
    release.year = std::optional<int>(2026);
    release.label = "Quiet Records";
    release.catalogue = "5012345678900";
    ASSERT_TRUE(store->update_release(session_id, release).ok());
    const char* files[] = {"one.wav", "two.wav", "three.wav", "four.wav"};
    for (int i = 0; i < 4; ++i) {
      lacquer::session::NewTrack t;
      t.session_id = session_id;
      t.file_path = (dir_ / "src" / files[i]).string();
      t.title = album_["tracks"][static_cast<std::size_t>(i)]["title"];
      t.isrc = album_["tracks"][static_cast<std::size_t>(i)]["isrc"];
      t.gap_before_s = i == 0 ? 0.0 : 1.0;
      auto track = store->add_track(t);
      ASSERT_TRUE(track.ok()) << track.error().message;
      if (i == 1) {  // the quiet song mastered with 6 dB of trim down
        ASSERT_TRUE(store->store_snapshot(track->id, "master", {{"/chain/input/trim", -6.0}}).ok());
      }
    }
  }
  const std::string args = "--session " + std::to_string(session_id) + " --db '" + db.string() + "' --out '" +
                           (dir_ / "out").string() + "' --formats hires,cd";
  Outcome r = run(std::string(LACQUER_BINARY) + " deliver " + args, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto flacs = with_extension(dir_ / "out/hires", ".flac");
  ASSERT_EQ(flacs.size(), 4u);
  // Hi-res is the chain as mastered: transparent for track 1, 6 dB down for track 2.
  EXPECT_NEAR(measure({flacs[0]}).lufs, measure({dir_ / "src/one.wav"}).lufs, 0.05);
  EXPECT_NEAR(measure({flacs[1]}).lufs, measure({dir_ / "src/two.wav"}).lufs - 6.0, 0.05);
  EXPECT_NE(tags_of(flacs[2], dir_).find("LABEL=Quiet Records"), std::string::npos);
  EXPECT_NE(slurp(dir_ / "out/cd/album.cue").find("CATALOG 5012345678900"), std::string::npos);

  // The store holds each file's SHA-256: a source changed since is refused, naming the track.
  fs::remove_all(dir_ / "out");
  { std::ofstream(dir_ / "src/three.wav", std::ios::app) << "x"; }
  r = run(std::string(LACQUER_BINARY) + " deliver " + args, dir_);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("track 3 (Into the Night): source"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("SHA-256"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

/// sox's figure `name` ("Pk lev dB", "RMS lev dB") of the overall column, for `effects` on `file`.
double sox_stat(const fs::path& file, const std::string& effects, const std::string& name, const fs::path& scratch) {
  const Outcome o = run("sox '" + file.string() + "' -n " + effects + " stats 2>&1 | grep '^" + name + "'", scratch);
  std::istringstream words(o.out.substr(std::min(o.out.size(), name.size())));
  double v = NAN;
  words >> v;
  return v;
}

std::int64_t sox_samples(const fs::path& file, const fs::path& scratch) {
  return std::stoll(run("sox --i -s '" + file.string() + "'", scratch).out);
}

// Vinyl: one 24-bit file per side at its tracks' rate, the tracks with their gaps (a crossfade
// inside side A, a pregap inside side B, none at either side's start), read back by sox: the
// length, no limiter (a track whose chain drives its limiter into -3 dBTP keeps its source's
// peaks), the 20 Hz high-pass measured at 8 Hz against the hi-res render of the same chain
// (4th-order Butterworth: 31.8 dB down) with 1 kHz untouched, and the low-band phase warning
// for a side with one channel's polarity inverted.
TEST_F(Deliver, VinylSidesUnlimitedHighPassedWithTimingSheet) {
  using lacquer::analysis::test::music;
  using lacquer::analysis::test::tone;
  using lacquer::analysis::test::write_wav;
  ASSERT_TRUE(write_wav((dir_ / "src/loud.wav").string(), louder(music(7.0, 1), 2.0)));
  Audio rumble = tone({{6.0, -12.0}}, 8.0, 2, 44100.0);
  const Audio hum = tone({{6.0, -12.0}}, 1000.0, 2, 44100.0);
  for (std::size_t i = 0; i < rumble.x.size(); ++i) rumble.x[i] += hum.x[i];
  ASSERT_TRUE(write_wav((dir_ / "src/rumble.wav").string(), rumble));
  auto& tracks = album_["tracks"];
  tracks[0]["file"] = "src/loud.wav";
  tracks[0]["snapshot"] = {{"/chain/limiter/drive", 8.0}, {"/chain/limiter/ceiling", -3.0}};
  tracks[3]["snapshot"] = {{"/chain/input/polarity_right", true}};
  tracks.push_back({{"title", "Rumble"}, {"isrc", "GBAYE2600005"}, {"file", "src/rumble.wav"}, {"pregap_s", 1.0}});
  for (std::size_t i = 0; i < 5; ++i) tracks[i]["side"] = i < 3 ? "A" : "B";
  tracks[3]["pregap_s"] = 3.0;  // the first of side B: the side starts with it

  const Outcome r = deliver("--formats vinyl,hires");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path vinyl = dir_ / "out/vinyl";
  const fs::path a = vinyl / "Side A.wav", b = vinyl / "Side B.wav";
  for (const auto& side : {a, b}) {
    EXPECT_EQ(run("sox --i -b '" + side.string() + "'", dir_).out, "24\n");
    EXPECT_EQ(run("sox --i -c '" + side.string() + "'", dir_).out, "2\n");
  }
  EXPECT_EQ(run("sox --i -r '" + a.string() + "'", dir_).out, "48000\n");
  EXPECT_EQ(run("sox --i -r '" + b.string() + "'", dir_).out, "44100\n");
  const auto len = [&](const char* f) { return sox_samples(dir_ / "src" / f, dir_); };
  EXPECT_EQ(sox_samples(a, dir_), len("loud.wav") + 2 * 48000 + len("two.wav") + len("three.wav") - 72000);
  EXPECT_EQ(sox_samples(b, dir_), len("four.wav") + 44100 + len("rumble.wav"));

  // The timing sheet and the report's sides agree with those lengths.
  const std::string sheet = slurp(vinyl / "timing.txt");
  EXPECT_NE(sheet.find("A1  00:00.000"), std::string::npos) << sheet;
  EXPECT_NE(sheet.find("B2  00:06.000"), std::string::npos) << sheet;  // 5 s of Coda, 1 s of pregap
  const auto report = nlohmann::json::parse(slurp(vinyl / "compliance.json"));
  ASSERT_EQ(report["sides"].size(), 2u);
  const auto& a3 = report["sides"][0]["tracks"][2];
  EXPECT_EQ(a3["code"], "A3");
  EXPECT_NEAR(a3["start_s"].get<double>(),
              static_cast<double>(len("loud.wav") + 96000 + len("two.wav") - 72000) / 48000.0, 1e-6);

  // No limiter: track 1's part of side A is its source (the chain is transparent but for the
  // limiter, driven 8 dB into -3 dBTP in the hi-res master) through sox's own 4th-order
  // Butterworth high-pass at 20 Hz: the same peaks and loudness, 6 dB under the limited master.
  const std::string first = "trim 0 " + std::to_string(len("loud.wav")) + "s";
  const std::string butterworth = " highpass 20 0.5412q highpass 20 1.3066q";
  const fs::path loud = dir_ / "src/loud.wav", intro = dir_ / "out/hires/01 Intro.flac";
  EXPECT_NEAR(sox_stat(a, first, "Pk lev dB", dir_), sox_stat(loud, butterworth, "Pk lev dB", dir_), 0.02);
  EXPECT_NEAR(sox_stat(a, first, "RMS lev dB", dir_), sox_stat(loud, butterworth, "RMS lev dB", dir_), 0.02);
  EXPECT_GT(sox_stat(intro, "", "RMS lev dB", dir_) - sox_stat(a, first, "RMS lev dB", dir_), 5.0);
  EXPECT_NEAR(sox_stat(intro, "", "Pk lev dB", dir_), -3.0, 0.1);

  // Subsonic: 8 Hz (isolated by sox low-passes) down by the 4th-order Butterworth's 31.8 dB
  // against the hi-res render of the same track; 1 kHz (isolated by high-passes) unchanged.
  const std::string rumble_part = "trim 7 4";  // from 1 s into the track (6 s into side B)
  const fs::path hires = dir_ / "out/hires/05 Rumble.flac";
  const std::string low = " lowpass 100 lowpass 100", high = " highpass 200 highpass 200";
  const double low_drop = sox_stat(hires, "trim 1 4" + low, "RMS lev dB", dir_) -
                          sox_stat(b, rumble_part + low, "RMS lev dB", dir_);
  EXPECT_NEAR(low_drop, 10.0 * std::log10(1.0 + std::pow(20.0 / 8.0, 8.0)), 0.5);
  EXPECT_NEAR(sox_stat(b, rumble_part + high, "RMS lev dB", dir_),
              sox_stat(hires, "trim 1 4" + high, "RMS lev dB", dir_), 0.05);

  // Rules: the phase warning on side B only (Coda's right channel inverted), lengths pass.
  EXPECT_TRUE(report["passed"].get<bool>()) << report["rules"].dump(1);
  std::map<std::string, nlohmann::json> rule;
  for (const auto& x : report["rules"]) rule[x["file"].get<std::string>() + " " + x["rule"].get<std::string>()] = x;
  EXPECT_TRUE(rule["vinyl/Side B.wav low_band_phase"]["warning"].get<bool>()) << rule["vinyl/Side B.wav low_band_phase"];
  EXPECT_FALSE(rule["vinyl/Side A.wav low_band_phase"]["warning"].get<bool>()) << rule["vinyl/Side A.wav low_band_phase"];
  EXPECT_TRUE(rule["vinyl/Side A.wav side_length"]["pass"].get<bool>());
  EXPECT_FALSE(rule["vinyl/Side A.wav side_length"]["warning"].get<bool>());
  EXPECT_TRUE(rule["vinyl/Side A.wav clipping"]["pass"].get<bool>());
  EXPECT_EQ(rule["vinyl/Side A.wav word_length"]["pass"], true);
  EXPECT_NE(r.err.find("warning: vinyl/Side B.wav: low_band_phase"), std::string::npos) << r.err;
  EXPECT_NE(slurp(dir_ / "out/SHA256SUMS").find("  vinyl/timing.txt\n"), std::string::npos);
}

// Side lengths on a 12" at 33 1/3: over 23:00 refused before any work unless overridden, over
// 19:30 delivered with a warning giving the level it costs; a track without a side is named.
TEST_F(Deliver, VinylSideLengthRulesAndMissingSide) {
  using lacquer::analysis::test::music;
  ASSERT_TRUE(lacquer::analysis::test::write_wav((dir_ / "src/long.wav").string(), to_mono(music(250.0, 5, 8000.0)),
                                                 SF_FORMAT_WAV | SF_FORMAT_PCM_16));
  nlohmann::json long_tracks = nlohmann::json::array();
  for (int i = 0; i < 6; ++i) {
    long_tracks.push_back({{"title", "L" + std::to_string(i + 1)}, {"file", "src/long.wav"}, {"side", "A"}});
  }
  album_["tracks"] = long_tracks;  // 6 x 250 s: 25:00
  Outcome r = deliver("--formats vinyl");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("vinyl: side A: 25:00"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("at most 23:00"), std::string::npos) << r.err;
  expect_nothing_delivered();

  album_["tracks"].erase(5);  // 20:50
  r = deliver("--formats vinyl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(slurp(dir_ / "out/vinyl/compliance.json"));
  bool warned = false;
  for (const auto& x : report["rules"]) {
    if (x["rule"] == "side_length") {
      warned = x["pass"] == true && x["warning"] == true;
      // 18:00 at full level; the pitch, and the level, fall as 1 / length: 20 log10(18/20.83).
      EXPECT_NE(x["detail"].get<std::string>().find("about 1.3 dB below full level"), std::string::npos) << x;
    }
  }
  EXPECT_TRUE(warned) << report["rules"].dump(1);
  EXPECT_NEAR(report["sides"][0]["duration_s"].get<double>(), 1250.0, 1e-6);
  fs::remove_all(dir_ / "out");

  album_["tracks"][2].erase("side");
  r = deliver("--formats vinyl");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("track 3 (L3): side: no vinyl side"), std::string::npos) << r.err;
  expect_nothing_delivered();
}

// A full disk, as a file size limit (SIGXFSZ ignored, so writes fail with EFBIG).
TEST_F(Deliver, FullDiskLeavesNothing) {
  const Outcome r = deliver("--formats cd", "ulimit -f 2000; trap '' XFSZ; ");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot write"), std::string::npos) << r.err;
  expect_nothing_delivered();
}

// The CD image (over 5 MB) cannot be written while every render (under 3 MB) can; sh counts
// 512-byte blocks. The image is assembled beside the streaming renders, and its error still
// ends the delivery.
TEST_F(Deliver, FullDiskWhileTheCdImageIsAssembledLeavesNothing) {
  const Outcome r = deliver("--formats cd,streaming", "ulimit -f 8000; trap '' XFSZ; ");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot write cd/album.wav"), std::string::npos) << r.err;
  expect_nothing_delivered();
}

}  // namespace
