#include <array>
#include <chrono>
#include <utility>

#include "lacquer/session/records.hpp"
#include "lacquer/session/result.hpp"

namespace lacquer::session {

namespace {

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E v) {
  for (const auto& [value, name] : table) {
    if (value == v) return name;
  }
  return "?";
}

template <class E, std::size_t N>
std::optional<E> parse(const std::array<std::pair<E, std::string_view>, N>& table,
                       std::string_view s) {
  for (const auto& [value, name] : table) {
    if (name == s) return value;
  }
  return std::nullopt;
}

constexpr std::array<std::pair<SessionStatus, std::string_view>, 4> kSessionStatus{{
    {SessionStatus::open, "open"},
    {SessionStatus::attended, "attended"},
    {SessionStatus::approved, "approved"},
    {SessionStatus::delivered, "delivered"},
}};
constexpr std::array<std::pair<Role, std::string_view>, 2> kRole{{
    {Role::engineer, "engineer"},
    {Role::client, "client"},
}};
// Upper-case A and B, as the command model spells them (/monitor/compare A).
constexpr std::array<std::pair<CompareState, std::string_view>, 5> kCompare{{
    {CompareState::chain, "chain"},
    {CompareState::bypass, "bypass"},
    {CompareState::a, "A"},
    {CompareState::b, "B"},
    {CompareState::reference, "reference"},
}};
constexpr std::array<std::pair<NoteStatus, std::string_view>, 2> kNoteStatus{{
    {NoteStatus::open, "open"},
    {NoteStatus::resolved, "resolved"},
}};
constexpr std::array<std::pair<ReportKind, std::string_view>, 3> kReportKind{{
    {ReportKind::source, "source"},
    {ReportKind::render, "render"},
    {ReportKind::deliverable, "deliverable"},
}};
constexpr std::array<std::pair<ErrorCode, std::string_view>, 9> kErrorCode{{
    {ErrorCode::not_found, "not_found"},
    {ErrorCode::invalid_argument, "invalid_argument"},
    {ErrorCode::constraint, "constraint"},
    {ErrorCode::unauthorized, "unauthorized"},
    {ErrorCode::busy, "busy"},
    {ErrorCode::disk_full, "disk_full"},
    {ErrorCode::io_error, "io_error"},
    {ErrorCode::corrupt, "corrupt"},
    {ErrorCode::internal, "internal"},
}};

}  // namespace

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view to_string(ErrorCode v) noexcept {
  return name_of(kErrorCode, v);
}
std::string_view to_string(SessionStatus v) noexcept {
  return name_of(kSessionStatus, v);
}
std::string_view to_string(Role v) noexcept {
  return name_of(kRole, v);
}
std::string_view to_string(CompareState v) noexcept {
  return name_of(kCompare, v);
}
std::string_view to_string(NoteStatus v) noexcept {
  return name_of(kNoteStatus, v);
}
std::string_view to_string(ReportKind v) noexcept {
  return name_of(kReportKind, v);
}

std::optional<SessionStatus> parse_session_status(std::string_view s) noexcept {
  return parse(kSessionStatus, s);
}
std::optional<Role> parse_role(std::string_view s) noexcept {
  return parse(kRole, s);
}
std::optional<CompareState> parse_compare_state(std::string_view s) noexcept {
  return parse(kCompare, s);
}
std::optional<NoteStatus> parse_note_status(std::string_view s) noexcept {
  return parse(kNoteStatus, s);
}
std::optional<ReportKind> parse_report_kind(std::string_view s) noexcept {
  return parse(kReportKind, s);
}

}  // namespace lacquer::session
