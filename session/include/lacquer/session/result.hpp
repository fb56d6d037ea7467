#pragma once
// Expected failures of the store travel as values; exceptions are kept for opening.

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lacquer::session {

/// What kind of expected failure happened; transports map these to protocol errors.
enum class ErrorCode {
  not_found,         ///< no row with that id or name
  invalid_argument,  ///< a value the store refuses before touching the database
  constraint,        ///< the database refused the row (foreign key, unique, check)
  unauthorized,      ///< unknown, revoked or expired token
  busy,              ///< another connection held the lock past the busy timeout
  disk_full,         ///< the file system (or a file size limit) refused the write
  io_error,          ///< any other read or write error of the file system
  corrupt,           ///< the file is damaged or not a database
  internal,          ///< anything else SQLite reports
};

/// A short stable name for the code ("not_found", "disk_full", ...).
std::string_view to_string(ErrorCode code) noexcept;

/// An expected failure with a message a person can act on.
struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message{};
};

/// Thrown only while opening a store: the file cannot be used at all.
class OpenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Either a value or an Error. Constructed implicitly from either.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The value; throws std::logic_error carrying the message when there is none.
  T& value() & {
    check();
    return std::get<0>(state_);
  }
  const T& value() const& {
    check();
    return std::get<0>(state_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The failure; only valid when !ok().
  const Error& error() const { return std::get<1>(state_); }

 private:
  void check() const {
    if (!ok()) throw std::logic_error("Result has no value: " + error().message);
  }
  std::variant<T, Error> state_;
};

/// Success without a value, or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  /// The failure; only valid when !ok().
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace lacquer::session
