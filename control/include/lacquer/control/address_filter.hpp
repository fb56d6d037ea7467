#pragma once
// An allow-list of source networks (CIDRs) for OSC, which is trusted by network position.

#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "lacquer/control/command.hpp"

namespace lacquer::control {

class AddressFilter {
 public:
  /// Parses "127.0.0.0/8", "::1/128", "192.168.1.20" (a single host); invalid_value naming
  /// the first bad entry.
  static Expected<AddressFilter> parse(const std::vector<std::string>& cidrs);

  /// Whether `address` is in one of the networks. IPv4-mapped IPv6 addresses
  /// (::ffff:a.b.c.d) are checked as IPv4.
  bool allows(const boost::asio::ip::address& address) const;

 private:
  struct Network {
    bool v6 = false;
    boost::asio::ip::address_v6::bytes_type bytes{};  // IPv4 in the first 4 bytes
    unsigned prefix = 0;
  };
  std::vector<Network> networks_;
};

}  // namespace lacquer::control
