#pragma once
// TLS on the HTTP port. Each connection's first byte tells a TLS ClientHello from plain
// HTTP: plain requests are redirected to https (308), TLS connections are decrypted and
// their bytes relayed to the HTTP server listening on a loopback port of its own, so the
// HTTP, WebSocket and /listen code serves both alike. Certificate and key are PEM files;
// reload() reads them again (SIGHUP) and new connections get the new certificate.
//
// Behind the front every connection reaches the HTTP server from 127.0.0.1: its limits
// per address then count all TLS clients together (the total cap and the eviction of
// unauthenticated connections still hold).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace lacquer::control {

class TlsFront {
 public:
  struct Options {
    std::string address = "0.0.0.0";
    std::uint16_t port = 8443;  ///< 0 picks a free port
    std::string cert_file;      ///< PEM certificate (chain)
    std::string key_file;       ///< PEM private key
    std::uint16_t backend_port = 0;  ///< the HTTP server on 127.0.0.1
    std::size_t max_connections = 4096;
    std::chrono::seconds handshake_timeout{10};
  };

  /// Loads the certificate and binds; throws std::runtime_error saying which file or
  /// address failed.
  TlsFront(boost::asio::io_context& io, Options options);
  ~TlsFront();
  TlsFront(const TlsFront&) = delete;
  TlsFront& operator=(const TlsFront&) = delete;

  /// The HTTP server's port, once it is known (it may be created after the front).
  void set_backend_port(std::uint16_t port);
  void start();
  void stop();

  /// Loads the files again; an error message (the old certificate stays) or "".
  std::string reload();

  std::uint16_t port() const noexcept;
  /// The DNS names and IP addresses of the certificate's subjectAltName.
  std::vector<std::string> names() const;
  /// "AB:CD:…", the SHA-256 of the certificate in use.
  std::string fingerprint() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// The certificate's SHA-256 fingerprint and subjectAltName entries, read from a PEM file;
/// throws std::runtime_error when it cannot be read.
struct CertificateInfo {
  std::string fingerprint;
  std::vector<std::string> names;
};
CertificateInfo read_certificate(const std::string& pem_file);

}  // namespace lacquer::control
