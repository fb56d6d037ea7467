// Clients against a running `lacquer serve`: WebSocket meter subscribers, /listen listeners
// (Opus) and an OSC surface sending fader moves over UDP, all at once for a while; then what
// each was served, the daemon's DSP load, xruns and process-callback percentiles (sampled
// from /healthz each second), its counters from /metrics and its resident memory before and after.
// Usage: lacquer_bench_serve_clients HTTP_PORT OSC_PORT TOKEN DAEMON_PID [SECONDS=60]
//        [SUBSCRIBERS=100] [LISTENERS=20] [OSC_PER_S=20000]
// bench/serve_clients.sh starts jackd and the daemon and runs it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::string get(std::uint16_t port, const std::string& path) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {};
  http::request<http::empty_body> req{http::verb::get, path, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(stream, buffer, res, ec);
  return ec ? std::string() : res.body();
}

double metric(const std::string& text, const std::string& name) {
  const auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1.0 : std::atof(text.c_str() + at + name.size() + 2);
}

long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return std::atol(line.c_str() + 6);
  }
  return -1;
}

/// One WebSocket client: sends `hello` messages, then counts what arrives.
class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& io, std::uint16_t port, std::string path, std::vector<std::string> hello)
      : ws_(io), port_(port), path_(std::move(path)), hello_(std::move(hello)) {}

  void start() {
    beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
        [self = shared_from_this()](beast::error_code ec) {
          if (ec) return self->fail();
          self->ws_.async_handshake("127.0.0.1:" + std::to_string(self->port_), self->path_,
                                    [self](beast::error_code hec) {
                                      if (hec) return self->fail();
                                      self->send_hello(0);
                                    });
        });
  }

  void stop() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<bool> failed{false};

 private:
  void fail() { failed = true; }

  void send_hello(std::size_t i) {
    if (i == hello_.size()) return read();
    ws_.text(true);
    ws_.async_write(asio::buffer(hello_[i]), [self = shared_from_this(), i](beast::error_code ec,
                                                                            std::size_t) {
      if (ec) return self->fail();
      self->send_hello(i + 1);
    });
  }

  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->fail();
      ++self->messages;
      self->bytes += n;
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::uint16_t port_;
  std::string path_;
  std::vector<std::string> hello_;
  beast::flat_buffer buffer_;
};

/// "/chain/input/trim ,f value" as one OSC message.
std::string osc_trim(float value) {
  std::string packet("/chain/input/trim\0\0\0", 20);
  packet.append(",f\0\0", 4);
  std::uint32_t bits = 0;
  std::memcpy(&bits, &value, 4);
  bits = htonl(bits);
  packet.append(reinterpret_cast<const char*>(&bits), 4);
  return packet;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s HTTP_PORT OSC_PORT TOKEN DAEMON_PID [SECONDS] [SUBSCRIBERS] "
                         "[LISTENERS] [OSC_PER_S]\n", argv[0]);
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  const auto osc_port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  const std::string token = argv[3];
  const int pid = std::atoi(argv[4]);
  const int seconds = argc > 5 ? std::atoi(argv[5]) : 60;
  const int subscribers = argc > 6 ? std::atoi(argv[6]) : 100;
  const int listeners = argc > 7 ? std::atoi(argv[7]) : 20;
  const int osc_per_s = argc > 8 ? std::atoi(argv[8]) : 20000;

  const std::string metrics_before = get(port, "/metrics");
  const long rss_before = rss_kib(pid);
  asio::io_context io;
  std::vector<std::shared_ptr<Client>> subs;
  std::vector<std::shared_ptr<Client>> ears;
  const std::string auth = nlohmann::json{{"op", "auth"}, {"token", token}}.dump();
  for (int i = 0; i < subscribers; ++i) {
    subs.push_back(std::make_shared<Client>(
        io, port, "/ws",
        std::vector<std::string>{auth, R"({"op":"subscribe","topics":["meters"]})"}));
    subs.back()->start();
  }
  const std::string listen_auth =
      nlohmann::json{{"op", "auth"}, {"token", token}, {"codec", "opus"}}.dump();
  for (int i = 0; i < listeners; ++i) {
    ears.push_back(std::make_shared<Client>(io, port, "/listen", std::vector<std::string>{listen_auth}));
    ears.back()->start();
  }
  std::thread network([&io] { io.run(); });

  // The surface: fader moves in bursts each millisecond, at the asked rate on average.
  std::atomic<bool> running{true};
  std::atomic<std::uint64_t> osc_sent{0};
  std::thread surface([&] {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(osc_port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const auto start = Clock::now();
    while (running) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const auto due = static_cast<std::uint64_t>(elapsed * osc_per_s);
      for (; osc_sent < due; ++osc_sent) {
        const std::string p = osc_trim(static_cast<float>(osc_sent % 200) * 0.01f - 1.0f);
        sendto(fd, p.data(), p.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    close(fd);
  });

  std::vector<double> dsp;
  std::vector<double> process;
  std::vector<nlohmann::json> windows;  // the daemon's callback-duration windows, each once
  double period_us = 0;
  double xruns_start = -1;
  double xruns_end = -1;
  for (int s = 0; s < seconds; ++s) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const auto health = nlohmann::json::parse(get(port, "/healthz"), nullptr, false);
    if (health.is_discarded()) continue;
    dsp.push_back(health["jack"]["dsp_load_percent"].get<double>());
    process.push_back(100.0 * health["jack"]["process_load"].get<double>());
    period_us = 1e6 * health["jack"]["period_frames"].get<double>() /
                health["jack"]["sample_rate"].get<double>();
    const auto& window = health["process_callback"];
    if (window.is_object() && (windows.empty() || windows.back() != window)) windows.push_back(window);
    xruns_end = health["jack"]["xruns"].get<double>();
    if (xruns_start < 0) xruns_start = xruns_end;
  }
  running = false;
  surface.join();
  const std::string metrics_after = get(port, "/metrics");
  const long rss_after = rss_kib(pid);

  const auto summary = [&](const std::vector<std::shared_ptr<Client>>& group, bool by_bytes) {
    double lo = 1e300;
    double sum = 0;
    int failed = 0;
    for (const auto& c : group) {
      const double v = static_cast<double>(by_bytes ? c->bytes.load() : c->messages.load()) / seconds;
      lo = std::min(lo, v);
      sum += v;
      failed += c->failed ? 1 : 0;
    }
    return std::tuple{group.empty() ? 0.0 : lo, group.empty() ? 0.0 : sum / group.size(), sum, failed};
  };
  const auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0.0 : s / v.size();
  };
  const auto most = [](const std::vector<double>& v) {
    return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
  };
  const auto [meter_lo, meter_mean, meter_sum, meter_failed] = summary(subs, false);
  const auto [packet_lo, packet_mean, packet_sum, ear_failed] = summary(ears, false);
  const auto [bytes_lo, bytes_mean, bytes_sum, unused] = summary(ears, true);
  for (auto& c : subs) c->stop();
  for (auto& c : ears) c->stop();
  io.stop();
  network.join();
  std::printf("%d s: %d meter subscribers, %d Opus listeners, OSC at %d msg/s\n", seconds,
              subscribers, listeners, osc_per_s);
  std::printf("  meters        %.1f pushes/s per subscriber (lowest %.1f), %d connections lost\n",
              meter_mean, meter_lo, meter_failed);
  std::printf("  listeners     %.1f packets/s each (lowest %.1f; 50 is every packet), %.0f B/s each,"
              " %.0f kB/s in all, %d connections lost\n",
              packet_mean, packet_lo, bytes_mean, bytes_sum / 1000.0, ear_failed);
  const double applied = metric(metrics_after, "lacquer_commands_applied_total") -
                         metric(metrics_before, "lacquer_commands_applied_total");
  const double limited = metric(metrics_after, "lacquer_osc_rate_limited_total") -
                         metric(metrics_before, "lacquer_osc_rate_limited_total");
  std::printf("  OSC           %llu sent, %.0f commands applied, %.0f over the per-source limit\n",
              static_cast<unsigned long long>(osc_sent.load()), applied, limited);
  std::printf("  skipped       %.0f listener packets, %.0f WebSocket clients dropped as slow\n",
              metric(metrics_after, "lacquer_listen_skipped_total"),
              metric(metrics_after, "lacquer_ws_dropped_slow_total"));
  std::printf("  JACK          DSP load mean %.1f %% max %.1f %%; process callback mean %.1f %% "
              "max %.1f %% of the period; %.0f xruns\n",
              mean(dsp), most(dsp), mean(process), most(process), xruns_end - xruns_start);
  if (!windows.empty()) {
    double worst = 0;
    double longest = 0;
    double callbacks = 0;
    std::vector<double> p999;
    for (const auto& w : windows) {
      p999.push_back(w["p999_us"].get<double>());
      worst = std::max(worst, p999.back());
      longest = std::max(longest, w["max_us"].get<double>());
      callbacks += w["callbacks"].get<double>();
    }
    std::sort(p999.begin(), p999.end());
    const double median = p999[p999.size() / 2];
    std::printf("  callback      99.9th percentile per %lld-s window: median %.0f us (%.1f %% of the "
                "%.0f us period), worst %.0f us (%.1f %%); longest %.0f us (%.1f %%); %zu windows, "
                "%.0f callbacks\n",
                static_cast<long long>(windows.front()["window_s"].get<double>()), median,
                100 * median / period_us, period_us, worst, 100 * worst / period_us, longest,
                100 * longest / period_us, windows.size(), callbacks);
  }
  std::printf("  memory        %ld kB resident before, %ld kB after\n", rss_before, rss_after);
  return meter_failed + ear_failed == 0 ? 0 : 1;
}
