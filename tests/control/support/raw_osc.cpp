#include "raw_osc.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace lacquer::control::testing {

namespace {

void pad_string(std::vector<std::uint8_t>& out, const std::string& s) {
  out.insert(out.end(), s.begin(), s.end());
  out.push_back(0);
  while (out.size() % 4 != 0) out.push_back(0);
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24U) | (std::uint32_t{p[1]} << 16U) | (std::uint32_t{p[2]} << 8U) |
         std::uint32_t{p[3]};
}

std::optional<std::string> read_string(const std::vector<std::uint8_t>& d, std::size_t& at,
                                       std::size_t end) {
  const std::size_t start = at;
  while (at < end && d[at] != 0) ++at;
  if (at >= end) return std::nullopt;
  std::string s(d.begin() + static_cast<std::ptrdiff_t>(start),
                d.begin() + static_cast<std::ptrdiff_t>(at));
  at = (at + 4) & ~std::size_t{3};
  if (at > end) return std::nullopt;
  return s;
}

bool decode_into(const std::vector<std::uint8_t>& d, std::size_t at, std::size_t end,
                 std::vector<RawMessage>& out) {
  if (end - at >= 16 && std::memcmp(d.data() + at, "#bundle", 8) == 0) {
    at += 16;
    while (at < end) {
      if (end - at < 4) return false;
      const std::uint32_t n = get32(d.data() + at);
      at += 4;
      if (n > end - at || !decode_into(d, at, at + n, out)) return false;
      at += n;
    }
    return true;
  }
  RawMessage m;
  auto path = read_string(d, at, end);
  auto types = read_string(d, at, end);
  if (!path || !types || types->empty() || (*types)[0] != ',') return false;
  m.path = *path;
  m.types = types->substr(1);
  for (char t : m.types) {
    if (t == 'i' || t == 'f') {
      if (end - at < 4) return false;
      const std::uint32_t bits = get32(d.data() + at);
      at += 4;
      if (t == 'i') {
        m.args.emplace_back(static_cast<std::int32_t>(bits));
      } else {
        float f = 0.0F;
        std::memcpy(&f, &bits, 4);
        m.args.emplace_back(f);
      }
    } else if (t == 's') {
      auto s = read_string(d, at, end);
      if (!s) return false;
      m.args.emplace_back(*s);
    } else {
      return false;
    }
  }
  out.push_back(std::move(m));
  return true;
}

}  // namespace

std::vector<std::uint8_t> raw_message(const std::string& path, const std::string& types,
                                      const std::vector<RawArg>& args) {
  std::vector<std::uint8_t> out;
  pad_string(out, path);
  pad_string(out, "," + types);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const char t = i < types.size() ? types[i] : '?';
    if (const auto* v = std::get_if<std::int32_t>(&args[i])) {
      put32(out, static_cast<std::uint32_t>(*v));
    } else if (const auto* f = std::get_if<float>(&args[i])) {
      std::uint32_t bits = 0;
      std::memcpy(&bits, f, 4);
      put32(out, bits);
    } else {
      const auto& s = std::get<std::string>(args[i]);
      if (t == 's') {
        pad_string(out, s);
      } else {
        out.insert(out.end(), s.begin(), s.end());  // raw bytes for odd tags
      }
    }
  }
  return out;
}

std::vector<std::uint8_t> raw_bundle(const std::vector<std::vector<std::uint8_t>>& elements) {
  std::vector<std::uint8_t> out;
  pad_string(out, "#bundle");
  put32(out, 0);
  put32(out, 1);  // time tag 1: "immediately"
  for (const auto& e : elements) {
    put32(out, static_cast<std::uint32_t>(e.size()));
    out.insert(out.end(), e.begin(), e.end());
  }
  return out;
}

std::optional<std::vector<RawMessage>> raw_decode(const std::vector<std::uint8_t>& packet) {
  std::vector<RawMessage> out;
  if (!decode_into(packet, 0, packet.size(), out)) return std::nullopt;
  return out;
}

RawOscPeer::RawOscPeer(std::uint16_t server_port, bool tcp) : tcp_(tcp), server_port_(server_port) {
  fd_ = ::socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (tcp) {
    addr.sin_port = htons(server_port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("connect");
    }
  } else {
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("bind");
    }
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  local_port_ = ntohs(addr.sin_port);
}

RawOscPeer::~RawOscPeer() { ::close(fd_); }

void RawOscPeer::send(const std::vector<std::uint8_t>& packet) {
  if (tcp_) {
    std::vector<std::uint8_t> framed;
    put32(framed, static_cast<std::uint32_t>(packet.size()));
    framed.insert(framed.end(), packet.begin(), packet.end());
    (void)::send(fd_, framed.data(), framed.size(), MSG_NOSIGNAL);
    return;
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(server_port_);
  (void)::sendto(fd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
}

std::optional<std::vector<std::uint8_t>> RawOscPeer::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto wait = [&]() {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    return left.count() > 0 && ::poll(&p, 1, static_cast<int>(left.count())) == 1;
  };
  auto read_exact = [&](std::uint8_t* buf, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      if (!wait()) return false;
      const auto r = ::recv(fd_, buf + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return true;
  };
  if (tcp_) {
    std::uint8_t header[4];
    if (!read_exact(header, 4)) return std::nullopt;
    std::vector<std::uint8_t> body(get32(header));
    if (!read_exact(body.data(), body.size())) return std::nullopt;
    return body;
  }
  if (!wait()) return std::nullopt;
  std::vector<std::uint8_t> buf(65536);
  const auto n = ::recv(fd_, buf.data(), buf.size(), 0);
  if (n < 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

std::optional<RawMessage> RawOscPeer::wait_for(const std::string& path,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    while (!pending_.empty()) {
      RawMessage m = std::move(pending_.front());
      pending_.pop_front();
      if (m.path == path) return m;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto packet = receive(left);
    if (!packet) return std::nullopt;
    if (auto messages = raw_decode(*packet)) {
      pending_.insert(pending_.end(), messages->begin(), messages->end());
    }
  }
}

}  // namespace lacquer::control::testing
