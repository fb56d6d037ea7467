#include "serve/daemon_context.hpp"

#include "lacquer/dsp/param_schema.hpp"

namespace lacquer::daemon {

DaemonContext::DaemonContext(Config cfg)
    : config(std::move(cfg)), engine(dsp::Schema::instance()) {}

std::string public_url(const DaemonContext& ctx) {
  const std::string& address = ctx.config.http_address;
  const std::string host = address == "0.0.0.0" || address == "::" ? std::string("localhost")
                           : address.find(':') != std::string::npos ? "[" + address + "]"
                                                                    : address;
  return (ctx.tls ? "https://" : "http://") + host + ":" +
         std::to_string(ctx.tls ? ctx.tls->port() : ctx.http->port());
}

}  // namespace lacquer::daemon
