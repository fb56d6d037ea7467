// `lacquer tls [--out DIR] [--name NAME]… [--days N]`: a self-signed certificate for a
// studio LAN, for this host's names and addresses (plus any --name), and its SHA-256
// fingerprint to compare on each client when it first trusts the certificate.
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "lacquer/control/tls_front.hpp"
#include "lacquer/session/store.hpp"
#include "subcommand.hpp"

namespace lacquer::daemon {

namespace {

struct TlsOptions {
  std::string out;
  std::vector<std::string> names;
  int days = 825;  // the longest validity browsers accept for a server certificate
};

/// This host's name (bare and .local), localhost, and its addresses that are not link-local.
std::vector<std::string> host_names() {
  std::set<std::string> names = {"localhost", "127.0.0.1", "::1"};
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') {
    names.insert(host);
    names.insert(std::string(host) + ".local");
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr) continue;
      if (i->ifa_addr->sa_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
        names.insert(boost::asio::ip::address_v4(ntohl(a->sin_addr.s_addr)).to_string());
      } else if (i->ifa_addr->sa_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
        boost::asio::ip::address_v6::bytes_type bytes{};
        std::copy(a->sin6_addr.s6_addr, a->sin6_addr.s6_addr + 16, bytes.begin());
        const boost::asio::ip::address_v6 v6(bytes);
        if (!v6.is_link_local()) names.insert(v6.to_string());
      }
    }
    freeifaddrs(list);
  }
  return {names.begin(), names.end()};
}

bool add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool added = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return added;
}

/// Writes the private key as PEM to `path`, readable by its owner only.
bool write_private(const std::string& path, EVP_PKEY* key) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::FILE* file = fdopen(fd, "w");
  if (file == nullptr) {
    ::close(fd);
    return false;
  }
  const bool written = fchmod(fd, 0600) == 0 &&
                       PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  return std::fclose(file) == 0 && written;
}

int make_certificate(const TlsOptions& o) {
  const std::filesystem::path dir =
      o.out.empty() ? session::default_database_path().parent_path() : std::filesystem::path(o.out);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::vector<std::string> names = o.names;
  for (const auto& n : host_names()) names.push_back(n);

  std::string alt;
  std::set<std::string> seen;
  for (const auto& n : names) {
    if (!seen.insert(n).second) continue;
    boost::system::error_code parse;
    boost::asio::ip::make_address(n, parse);
    alt += (alt.empty() ? "" : ",") + std::string(parse ? "DNS:" : "IP:") + n;
  }

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) {
    std::fprintf(stderr, "lacquer tls: OpenSSL could not make a key\n");
    return 1;
  }
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // a positive serial number
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_set_version(cert.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(o.days) * 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string cn = names.empty() ? "lacquer" : names.front();
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Lacquer"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  const bool extended = add_extension(cert.get(), NID_subject_alt_name, alt) &&
                        add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
                        add_extension(cert.get(), NID_key_usage, "critical,digitalSignature") &&
                        add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
  if (!extended || X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    std::fprintf(stderr, "lacquer tls: OpenSSL could not sign the certificate\n");
    return 1;
  }

  const std::string key_path = (dir / "lacquer-key.pem").string();
  const std::string cert_path = (dir / "lacquer-cert.pem").string();
  std::FILE* cert_file = std::fopen(cert_path.c_str(), "w");
  const bool cert_written = cert_file != nullptr && PEM_write_X509(cert_file, cert.get()) == 1;
  if (cert_file != nullptr) std::fclose(cert_file);
  if (!cert_written || !write_private(key_path, key.get())) {
    std::fprintf(stderr, "lacquer tls: cannot write into %s\n", dir.c_str());
    return 1;
  }
  const auto info = control::read_certificate(cert_path);
  std::printf("certificate %s\nkey         %s (owner only)\nnames       %s\nSHA-256     %s\n",
              cert_path.c_str(), key_path.c_str(), alt.c_str(), info.fingerprint.c_str());
  std::printf("serve with: lacquer serve --tls-cert %s --tls-key %s\n", cert_path.c_str(),
              key_path.c_str());
  return 0;
}

const bool registered = register_subcommand(
    "tls", "Make a self-signed TLS certificate for this host's names and print its fingerprint",
    [](CLI::App& app) {
      auto o = std::make_shared<TlsOptions>();
      app.add_option("--out", o->out, "Folder for lacquer-cert.pem and lacquer-key.pem");
      app.add_option("--name", o->names, "A further host name or address (repeatable)");
      app.add_option("--days", o->days, "Validity in days (825)")->check(CLI::Range(1, 825));
      return [o] { return make_certificate(*o); };
    });

}  // namespace

}  // namespace lacquer::daemon
