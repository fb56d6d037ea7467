// `lacquer analyze` and the render's input check through the real executable, on files
// written here: every kind of bad file beside good ones.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "music.hpp"

namespace lacquer::analysis {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out;
};

/// Runs a shell command; stdout captured, stderr to `err_file` when given.
Outcome run(const std::string& cmd) {
  Outcome r;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0) r.out.append(buf, n);
  const int status = pclose(pipe.release());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class AnalyzeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lacquer_analyze_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(AnalyzeCli, BadFilesGetTheirOwnErrorAndTheOthersGoOn) {
  const test::Audio music = test::music(4.0);
  ASSERT_TRUE(test::write_wav(path("good.wav"), music));
  std::ofstream(path("empty.wav")).close();
  std::ofstream(path("text.wav")) << "not audio at all, just text\n";
  // Truncated: the header of a longer file, cut in the data.
  const std::string whole = slurp(path("good.wav"));
  std::ofstream(path("truncated.wav"), std::ios::binary) << whole.substr(0, whole.size() / 2);
  test::Audio mono = test::tone({{3.0, -20.0}}, 997.0, 1);
  ASSERT_TRUE(test::write_wav(path("eight.wav"), mono, SF_FORMAT_WAV | SF_FORMAT_PCM_U8));
  ASSERT_TRUE(test::write_wav(path("mono.wav"), mono));
  ASSERT_TRUE(test::write_wav(path("surround.wav"), test::tone({{3.0, -20.0}}, 997.0, 6)));
  ASSERT_TRUE(test::write_wav(path("hi.wav"), test::tone({{3.0, -20.0}}, 997.0, 2, 192000.0)));

  const char* names[] = {"empty.wav", "good.wav", "text.wav", "truncated.wav", "eight.wav",
                         "mono.wav",  "surround.wav", "hi.wav"};
  std::string cmd = std::string(LACQUER_BINARY) + " analyze --json --jobs 2";
  for (const char* n : names) cmd += " " + path(n);
  const Outcome r = run(cmd + " 2>" + path("stderr.txt"));
  EXPECT_EQ(r.exit_code, 1);
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["tracks"].size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(doc["tracks"][i]["file"], path(names[i]));
  const nlohmann::json& t = doc["tracks"];
  EXPECT_EQ(t[0]["error"], "empty file (0 bytes)");
  EXPECT_FALSE(t[0].contains("loudness"));
  EXPECT_TRUE(t[2]["error"].get<std::string>().starts_with("not a readable sound file"));
  for (const std::size_t i : {1u, 3u, 4u, 5u, 6u, 7u}) {
    EXPECT_FALSE(t[i].contains("error")) << names[i];
  }
  // A stereo 997 Hz sine at -20 dBFS reads -20 LUFS; mono BS.1770 reads 3 dB less (one
  // channel); 5.1 counts L, R, C at 1, the LFE not, the surrounds at 1.41.
  EXPECT_NEAR(t[5]["loudness"]["integrated_lufs"].get<double>(), -23.0, 0.1);
  EXPECT_NEAR(t[4]["loudness"]["integrated_lufs"].get<double>(), -23.0, 0.3);  // 8-bit
  EXPECT_NEAR(t[6]["loudness"]["integrated_lufs"].get<double>(),
              -23.0 + 10.0 * std::log10(3.0 + 2.0 * 1.41), 0.1);
  EXPECT_NEAR(t[7]["loudness"]["integrated_lufs"].get<double>(), -20.0, 0.1);  // 192 kHz
  EXPECT_TRUE(t[5]["correlation"].is_null());
  EXPECT_EQ(t[3]["warnings"][0]["rule"], "truncated");
  EXPECT_LT(t[3]["duration_s"].get<double>(), 3.0);
  EXPECT_EQ(t[4]["warnings"].back()["rule"], "word_length");
  // Six analysed files make an album.
  EXPECT_TRUE(doc.contains("album"));
  const std::string err = slurp(path("stderr.txt"));
  EXPECT_NE(err.find("empty.wav: empty file"), std::string::npos) << err;
  EXPECT_NE(err.find("text.wav: not a readable sound file"), std::string::npos) << err;
  EXPECT_EQ(err.find("\r"), std::string::npos) << "no progress bar when stderr is not a terminal";
}

TEST_F(AnalyzeCli, TableReferenceAndHtml) {
  test::Audio a = test::music(5.0);
  test::Audio b = a;
  for (float& v : b.x) v *= 0.5f;
  ASSERT_TRUE(test::write_wav(path("a.wav"), a));
  ASSERT_TRUE(test::write_wav(path("ref.wav"), b));
  const Outcome r = run(std::string(LACQUER_BINARY) + " analyze " + path("a.wav") + " --reference " +
                    path("ref.wav") + " --html " + path("report.html") + " 2>/dev/null");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("integrated -"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("matched by +6.0 dB"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("opus 128 kb/s round trip"), std::string::npos) << r.out;
  const std::string html = slurp(path("report.html"));
  EXPECT_NE(html.find("<svg"), std::string::npos);
}

// The new user: a clipped mix through `render --target vinyl` is now told so.
TEST_F(AnalyzeCli, RenderWarnsAboutAClippedInput) {
  test::Audio a = test::music(4.0);
  for (float& v : a.x) v = std::clamp(v * 6.0f, -1.0f, 1.0f);
  ASSERT_TRUE(test::write_wav(path("clipped.wav"), a, SF_FORMAT_WAV | SF_FORMAT_FLOAT));
  const Outcome r = run(std::string(LACQUER_BINARY) + " render " + path("clipped.wav") + " " +
                    path("out.wav") + " --target vinyl 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("warning: the input is clipped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("warning: the input's true peak is +"), std::string::npos) << r.out;

  ASSERT_TRUE(test::write_wav(path("clean.wav"), test::music(4.0)));
  const Outcome clean = run(std::string(LACQUER_BINARY) + " render " + path("clean.wav") + " " +
                        path("out2.wav") + " --target vinyl 2>&1");
  EXPECT_EQ(clean.exit_code, 0);
  EXPECT_EQ(clean.out.find("warning"), std::string::npos) << clean.out;
}

}  // namespace
}  // namespace lacquer::analysis
