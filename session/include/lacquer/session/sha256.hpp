#pragma once
// SHA-256 for source-file digests and token hashes (OpenSSL's, which uses the CPU's SHA
// instructions where it has them), and token generation.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "lacquer/session/result.hpp"

struct evp_md_ctx_st;

namespace lacquer::session {

/// Incremental SHA-256.
class Sha256 {
 public:
  /// Throws std::bad_alloc when OpenSSL cannot make a digest context.
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::span<const std::byte> data) noexcept;
  void update(std::string_view data) noexcept;
  /// The digest; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> finish() noexcept;

 private:
  evp_md_ctx_st* context_;
};

/// Lower-case hex of the SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Lower-case hex of the SHA-256 of a file's bytes; io_error/not_found when unreadable.
Result<std::string> sha256_file(const std::filesystem::path& path);

/// A new random token (32 bytes from getrandom(2), URL-safe base64, 43 characters).
/// Throws std::runtime_error only on a kernel without getrandom.
std::string generate_token();

}  // namespace lacquer::session
