#pragma once
// SHA-256 (FIPS 180-4) for source-file digests and token hashes, and token generation.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "lacquer/session/result.hpp"

namespace lacquer::session {

/// Incremental SHA-256.
class Sha256 {
 public:
  Sha256() noexcept;
  void update(std::span<const std::byte> data) noexcept;
  void update(std::string_view data) noexcept;
  /// The digest; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> finish() noexcept;

 private:
  void compress(const std::uint8_t* block) noexcept;
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> block_{};
  std::size_t block_bytes_ = 0;
  std::uint64_t total_bytes_ = 0;
};

/// Lower-case hex of the SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Lower-case hex of the SHA-256 of a file's bytes; io_error/not_found when unreadable.
Result<std::string> sha256_file(const std::filesystem::path& path);

/// A new random token (32 bytes from getrandom(2), URL-safe base64, 43 characters).
/// Throws std::runtime_error only on a kernel without getrandom.
std::string generate_token();

}  // namespace lacquer::session
