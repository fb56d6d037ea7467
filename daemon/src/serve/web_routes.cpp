#include "serve/web_routes.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <spdlog/spdlog.h>

namespace lacquer::daemon {

namespace {

namespace fs = std::filesystem;

std::string content_type_for(const fs::path& file) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},          {".svg", "image/svg+xml"},
      {".png", "image/png"},                  {".ico", "image/x-icon"},
      {".webmanifest", "application/manifest+json"}, {".woff2", "font/woff2"}};
  const auto it = types.find(file.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

fs::path resolve_web_root(const std::string& configured) {
  if (!configured.empty()) return fs::path(configured);
  // Installed, the UI lies at a fixed place relative to the executable whatever the prefix
  // (/usr for the Debian package, /usr/local or --prefix for cmake --install, a scratch root
  // in tests); a build tree has none there and serves the source folder.
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path installed = executable.parent_path() / LACQUER_WEB_RELATIVE_DIR;
    if (fs::exists(installed / "index.html")) return installed;
  }
  return fs::path(LACQUER_WEB_SOURCE_DIR);
}

}  // namespace

void add_web_routes(DaemonContext& ctx) {
  const fs::path root = fs::weakly_canonical(resolve_web_root(ctx.config.web_root));
  spdlog::info("serving the UI from {}", root.string());
  ctx.http->route("GET", "/*", [root](const control::HttpRequest& request) {
    control::HttpResponse response;
    std::string relative = request.path.substr(1);
    if (relative.empty() || relative.back() == '/') relative += "index.html";
    const fs::path file = fs::weakly_canonical(root / relative);
    // Refuse anything that resolves outside the web root (../, symlinks).
    const auto [root_end, unused] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
    std::ifstream in(file, std::ios::binary);
    if (root_end != root.end() || !fs::is_regular_file(file) || !in) {
      response.status = 404;
      response.body = R"({"error":"not found"})";
      return response;
    }
    std::ostringstream body;
    body << in.rdbuf();
    response.content_type = content_type_for(file);
    response.body = body.str();
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'self'; connect-src 'self' ws: wss:; "
                                  "img-src 'self' data:; style-src 'self' 'unsafe-inline'");
    return response;
  });
}

}  // namespace lacquer::daemon
