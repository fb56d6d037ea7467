#include "lacquer/control/tls_front.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>

namespace lacquer::control {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::shared_ptr<ssl::context> load_context(const std::string& cert, const std::string& key) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  context->use_certificate_chain_file(cert, ec);
  if (ec) throw std::runtime_error("cannot read the TLS certificate " + cert + ": " + ec.message());
  context->use_private_key_file(key, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot read the TLS key " + key + ": " + ec.message());
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    throw std::runtime_error("the TLS key " + key + " does not match the certificate " + cert);
  }
  return context;
}

constexpr std::size_t kRelayBytes = 16 * 1024;

}  // namespace

CertificateInfo read_certificate(const std::string& pem_file) {
  std::FILE* file = std::fopen(pem_file.c_str(), "r");
  if (file == nullptr) throw std::runtime_error("cannot open " + pem_file);
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (cert == nullptr) throw std::runtime_error(pem_file + " holds no PEM certificate");
  CertificateInfo info;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  X509_digest(cert, EVP_sha256(), digest.data(), &length);
  for (unsigned int i = 0; i < length; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, i == 0 ? "%02X" : ":%02X", digest[i]);
    info.fingerprint += hex;
  }
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const auto* s = name->d.dNSName;
      info.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                              static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (name->type == GEN_IPADD) {
      const auto* s = name->d.iPAddress;
      const unsigned char* bytes = ASN1_STRING_get0_data(s);
      if (ASN1_STRING_length(s) == 4) {
        asio::ip::address_v4::bytes_type b{};
        std::copy(bytes, bytes + 4, b.begin());
        info.names.push_back(asio::ip::address_v4(b).to_string());
      } else if (ASN1_STRING_length(s) == 16) {
        asio::ip::address_v6::bytes_type b{};
        std::copy(bytes, bytes + 16, b.begin());
        info.names.push_back(asio::ip::address_v6(b).to_string());
      }
    }
  }
  GENERAL_NAMES_free(names);
  X509_free(cert);
  return info;
}

struct TlsFront::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_context, Options opts)
      : io(io_context), options(std::move(opts)), acceptor(io_context), retry(io_context) {}

  class Relay;

  std::shared_ptr<ssl::context> current_context() {
    std::lock_guard lock(mutex);
    return context;
  }

  void accept();

  asio::io_context& io;
  Options options;
  tcp::acceptor acceptor;
  asio::steady_timer retry;
  std::mutex mutex;  // guards context and info (reload may come from a signal handler's post)
  std::shared_ptr<ssl::context> context;
  CertificateInfo info;
  std::atomic<std::uint16_t> backend_port{0};
  std::atomic<std::size_t> open{0};
  std::list<std::weak_ptr<Relay>> relays;  // executor only, for stop()
  bool stopped = false;
};

// One client: detect, then either a redirect to https or a relay of decrypted bytes.
class TlsFront::Impl::Relay : public std::enable_shared_from_this<Relay> {
 public:
  Relay(tcp::socket socket, std::shared_ptr<Impl> front)
      : front_(std::move(front)), plain_(std::move(socket)), backend_(plain_.get_executor()) {
    ++front_->open;
  }
  ~Relay() { --front_->open; }

  void start() {
    plain_.expires_after(front_->options.handshake_timeout);
    beast::async_detect_ssl(plain_, buffer_,
                            [self = shared_from_this()](beast::error_code ec, bool tls) {
                              if (ec) return self->close();
                              tls ? self->handshake() : self->redirect();
                            });
  }

  void close() {
    beast::error_code ignored;
    backend_.close(ignored);
    if (tls_) {
      beast::get_lowest_layer(*tls_).close();
    } else {
      plain_.close();
    }
  }

 private:
  // A plain request on the TLS port: the same place over https, and nothing else.
  void redirect() {
    http::async_read(plain_, buffer_, request_, [self = shared_from_this()](beast::error_code ec,
                                                                              std::size_t) {
      if (ec) return self->close();
      const std::string host(self->request_[http::field::host]);
      auto res = std::make_shared<http::response<http::string_body>>(
          http::status::permanent_redirect, self->request_.version());
      res->set(http::field::location, "https://" + host + std::string(self->request_.target()));
      res->set(http::field::server, "lacquer");
      res->keep_alive(false);
      res->prepare_payload();
      http::async_write(self->plain_, *res, [self, res](beast::error_code, std::size_t) {
        self->close();
      });
    });
  }

  void handshake() {
    tls_.emplace(std::move(plain_), *front_->current_context());
    tls_->async_handshake(ssl::stream_base::server, buffer_.data(),
                          [self = shared_from_this()](beast::error_code ec, std::size_t used) {
                            if (ec) return self->close();
                            self->buffer_.consume(used);
                            self->connect_backend();
                          });
  }

  void connect_backend() {
    beast::get_lowest_layer(*tls_).expires_never();
    const tcp::endpoint backend(asio::ip::address_v4::loopback(), front_->backend_port.load());
    backend_.async_connect(backend, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->close();
      // Bytes read with the ClientHello beyond the handshake go first.
      if (self->buffer_.size() > 0) {
        asio::async_write(self->backend_, self->buffer_.data(),
                          [self](beast::error_code write_ec, std::size_t) {
                            if (write_ec) return self->close();
                            self->buffer_.consume(self->buffer_.size());
                            self->client_to_backend();
                          });
      } else {
        self->client_to_backend();
      }
      self->backend_to_client();
    });
  }

  void client_to_backend() {
    tls_->async_read_some(asio::buffer(up_), [self = shared_from_this()](beast::error_code ec,
                                                                         std::size_t n) {
      if (ec) return self->close();
      asio::async_write(self->backend_, asio::buffer(self->up_.data(), n),
                        [self](beast::error_code write_ec, std::size_t) {
                          if (write_ec) return self->close();
                          self->client_to_backend();
                        });
    });
  }

  void backend_to_client() {
    backend_.async_read_some(asio::buffer(down_), [self = shared_from_this()](beast::error_code ec,
                                                                               std::size_t n) {
      if (ec) return self->close();
      asio::async_write(*self->tls_, asio::buffer(self->down_.data(), n),
                        [self](beast::error_code write_ec, std::size_t) {
                          if (write_ec) return self->close();
                          self->backend_to_client();
                        });
    });
  }

  std::shared_ptr<Impl> front_;
  beast::tcp_stream plain_;
  std::optional<ssl::stream<beast::tcp_stream>> tls_;
  tcp::socket backend_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::array<char, kRelayBytes> up_{};
  std::array<char, kRelayBytes> down_{};
};

void TlsFront::Impl::accept() {
  acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](
                                                   beast::error_code ec, tcp::socket socket) {
    if (self->stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
      if (ec.value() == EMFILE || ec.value() == ENFILE) {
        // Out of descriptors: wait for connections to close rather than spin.
        self->retry.expires_after(std::chrono::milliseconds(200));
        self->retry.async_wait([self](beast::error_code wait_ec) {
          if (!wait_ec && !self->stopped) self->accept();
        });
        return;
      }
      return self->accept();
    }
    if (self->open.load() < self->options.max_connections) {
      auto relay = std::make_shared<Relay>(std::move(socket), self);
      self->relays.remove_if([](const std::weak_ptr<Relay>& r) { return r.expired(); });
      self->relays.push_back(relay);
      relay->start();
    }
    self->accept();
  });
}

TlsFront::TlsFront(asio::io_context& io, Options options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {
  impl_->context = load_context(impl_->options.cert_file, impl_->options.key_file);
  impl_->info = read_certificate(impl_->options.cert_file);
  impl_->backend_port = impl_->options.backend_port;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) throw std::runtime_error("invalid HTTPS address '" + impl_->options.address + "'");
  const tcp::endpoint endpoint(address, impl_->options.port);
  const std::string where = impl_->options.address + ":" + std::to_string(impl_->options.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen for HTTPS on " + where + ": " + ec.message());
}

TlsFront::~TlsFront() { stop(); }

void TlsFront::set_backend_port(std::uint16_t port) { impl_->backend_port = port; }

void TlsFront::start() { impl_->accept(); }

void TlsFront::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->retry.cancel();
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  for (auto& weak : impl_->relays) {
    if (auto relay = weak.lock()) relay->close();
  }
  impl_->relays.clear();
}

std::string TlsFront::reload() {
  try {
    auto context = load_context(impl_->options.cert_file, impl_->options.key_file);
    auto info = read_certificate(impl_->options.cert_file);
    std::lock_guard lock(impl_->mutex);
    impl_->context = std::move(context);
    impl_->info = std::move(info);
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::uint16_t TlsFront::port() const noexcept {
  boost::system::error_code ec;
  const auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

std::vector<std::string> TlsFront::names() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->info.names;
}

std::string TlsFront::fingerprint() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->info.fingerprint;
}

}  // namespace lacquer::control
