// SHA-256 against the FIPS 180-2 appendix examples and NIST's long-message vectors.
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "lacquer/session/sha256.hpp"
#include "temp_dir.hpp"

namespace ls = lacquer::session;

TEST(Sha256, FipsExamples) {
  EXPECT_EQ(ls::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ls::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ls::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(ls::sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {
  // 55 bytes fit the length in one block, 56 need a second: both from NIST SHAVS.
  EXPECT_EQ(ls::sha256_hex(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(ls::sha256_hex(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(ls::sha256_hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  ls::Sha256 h;
  const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (char c : text) h.update(std::string_view(&c, 1));
  const auto d = h.finish();
  EXPECT_EQ(d[0], 0x24);
  EXPECT_EQ(d[31], 0xc1);
}

TEST(Sha256, File) {
  ls::testing::TempDir dir;
  const auto file = dir / "abc.bin";
  std::ofstream(file, std::ios::binary) << "abc";
  auto h = ls::sha256_file(file);
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(*h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto missing = ls::sha256_file(dir / "missing.wav");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ls::ErrorCode::not_found);
  EXPECT_NE(missing.error().message.find("missing.wav"), std::string::npos);
}

TEST(Token, LengthAlphabetAndUniqueness) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto t = ls::generate_token();
    ASSERT_EQ(t.size(), 43u);  // ceil(256 / 6)
    for (char c : t) {
      ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << t;
    }
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 1000u);
}
