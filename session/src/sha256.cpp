#include "lacquer/session/sha256.hpp"

#include <openssl/evp.h>
#include <sys/random.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <stdexcept>
#include <vector>

namespace lacquer::session {

namespace {

std::string to_hex(const std::array<std::uint8_t, 32>& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (auto b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

}  // namespace

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr || EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(context_);
    throw std::bad_alloc();
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

void Sha256::update(std::span<const std::byte> data) noexcept {
  EVP_DigestUpdate(context_, data.data(), data.size());
}

void Sha256::update(std::string_view data) noexcept {
  EVP_DigestUpdate(context_, data.data(), data.size());
}

std::array<std::uint8_t, 32> Sha256::finish() noexcept {
  std::array<std::uint8_t, 32> out{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(context_, out.data(), &size);
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return to_hex(h.finish());
}

Result<std::string> sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int e = errno;
    return Error{e == ENOENT ? ErrorCode::not_found : ErrorCode::io_error,
                 "cannot read " + path.string() + ": " + std::strerror(e)};
  }
  Sha256 h;
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    h.update(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) return Error{ErrorCode::io_error, "read error in " + path.string()};
  return to_hex(h.finish());
}

std::string generate_token() {
  std::array<unsigned char, 32> raw{};
  std::size_t got = 0;
  while (got < raw.size()) {
    const ssize_t n = getrandom(raw.data() + got, raw.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("getrandom failed: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int acc_bits = 0;
  for (unsigned char b : raw) {
    acc = (acc << 8) | b;
    acc_bits += 8;
    while (acc_bits >= 6) {
      acc_bits -= 6;
      out += kAlphabet[(acc >> acc_bits) & 0x3f];
    }
  }
  if (acc_bits > 0) out += kAlphabet[(acc << (6 - acc_bits)) & 0x3f];
  return out;
}

}  // namespace lacquer::session
