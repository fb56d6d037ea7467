#include "lacquer/control/address_filter.hpp"

#include <charconv>

namespace lacquer::control {

namespace {

bool prefix_matches(const std::uint8_t* a, const std::uint8_t* b, unsigned prefix) {
  const unsigned whole = prefix / 8U;
  for (unsigned i = 0; i < whole; ++i) {
    if (a[i] != b[i]) return false;
  }
  const unsigned rest = prefix % 8U;
  if (rest == 0U) return true;
  const auto mask = static_cast<std::uint8_t>(0xFFU << (8U - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

Expected<AddressFilter> AddressFilter::parse(const std::vector<std::string>& cidrs) {
  AddressFilter filter;
  for (const auto& text : cidrs) {
    const auto slash = text.find('/');
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(text.substr(0, slash), ec);
    if (ec) return make_error(ErrorCode::invalid_value, "bad address in allow-list: '" + text + "'");
    Network net;
    net.v6 = address.is_v6();
    const unsigned bits = net.v6 ? 128U : 32U;
    net.prefix = bits;
    if (slash != std::string::npos) {
      const char* first = text.data() + slash + 1;
      const char* last = text.data() + text.size();
      unsigned prefix = 0;
      const auto [end, err] = std::from_chars(first, last, prefix);
      if (err != std::errc() || end != last || prefix > bits || first == last) {
        return make_error(ErrorCode::invalid_value, "bad prefix in allow-list: '" + text + "'");
      }
      net.prefix = prefix;
    }
    if (net.v6) {
      net.bytes = address.to_v6().to_bytes();
    } else {
      const auto v4 = address.to_v4().to_bytes();
      std::copy(v4.begin(), v4.end(), net.bytes.begin());
    }
    filter.networks_.push_back(net);
  }
  return filter;
}

bool AddressFilter::allows(const boost::asio::ip::address& address) const {
  boost::asio::ip::address a = address;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  }
  boost::asio::ip::address_v6::bytes_type bytes{};
  if (a.is_v6()) {
    bytes = a.to_v6().to_bytes();
  } else {
    const auto v4 = a.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), bytes.begin());
  }
  for (const auto& net : networks_) {
    if (net.v6 == a.is_v6() && prefix_matches(bytes.data(), net.bytes.data(), net.prefix)) {
      return true;
    }
  }
  return false;
}

}  // namespace lacquer::control
