#include "process_helpers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <jack/jack.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace lacquer::test {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string unique_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(rd() % 100000);
}

std::string temp_dir() {
  std::string pattern = "/tmp/lacquer-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return "/tmp";
  return pattern;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env) {
  const std::string dir = temp_dir();
  out_path_ = dir + "/stdout";
  err_path_ = dir + "/stderr";
  pid_ = fork();
  if (pid_ == 0) {
    const int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    setpgid(0, 0);
    for (const auto& e : env) putenv(strdup(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (running()) {
    signal(SIGKILL);
    wait(5000);
  }
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0 && status_ == -1) ::kill(pid_, sig);
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_ != -1) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = status;
    return false;
  }
  return true;
}

int ChildProcess::wait(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

std::string ChildProcess::stdout_text() const { return read_file(out_path_); }
std::string ChildProcess::stderr_text() const { return read_file(err_path_); }

// Ports below the kernel's range for outgoing connections (ip_local_port_range starts at
// 32768): tests that open a thousand client sockets at once cannot take a port found free
// here before the daemon under test binds it, as they can take one the kernel chose.
std::uint16_t free_port() {
  static std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pick(20000, 32000);
  for (int attempt = 0; attempt < 200; ++attempt) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(pick(rng)));
    const int tcp = socket(AF_INET, SOCK_STREAM, 0);
    const bool tcp_free = bind(tcp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(tcp);
    const int udp = socket(AF_INET, SOCK_DGRAM, 0);
    const bool udp_free = bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(udp);
    if (tcp_free && udp_free) return ntohs(addr.sin_port);
  }
  return 0;
}

HttpResult http_get(std::uint16_t port, const std::string& path, int timeout_ms) {
  return http_request(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                      timeout_ms);
}

HttpResult http_call(std::uint16_t port, const std::string& method, const std::string& path,
                     const std::string& token, const std::string& body, int timeout_ms) {
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "POST") {
    request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return http_request(port, request + "\r\n" + body, timeout_ms);
}

HttpResult http_request(std::uint16_t port, const std::string& request, int timeout_ms) {
  HttpResult result;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return result;
  }
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    close(fd);
    return result;
  }
  std::string response;
  char buffer[4096];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, timeout_ms) > 0) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  if (response.rfind("HTTP/1.1 ", 0) != 0) return result;
  result.status = std::atoi(response.c_str() + 9);
  const auto body = response.find("\r\n\r\n");
  if (body != std::string::npos) result.body = response.substr(body + 4);
  return result;
}

JackDummyServer::JackDummyServer(std::string name, int rate, int period)
    : name_(std::move(name)), rate_(rate), period_(period) {}

JackDummyServer::~JackDummyServer() { stop(); }

bool JackDummyServer::start() {
  stop();
  // Polling for the server makes libjack print a failed-connection report each time.
  jack_set_error_function([](const char*) {});
  process_ = new ChildProcess({"jackd", "-n", name_, "-d", "dummy", "-r", std::to_string(rate_),
                               "-p", std::to_string(period_)});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    jack_status_t status{};
    jack_client_t* probe =
        jack_client_open("probe", static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                         &status, name_.c_str());
    if (probe != nullptr) {
      jack_client_close(probe);
      return true;
    }
    if (!process_->running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void JackDummyServer::kill_hard() {
  if (process_ == nullptr) return;
  process_->signal(SIGKILL);
  process_->wait(5000);
  delete process_;
  process_ = nullptr;
}

void JackDummyServer::stop() {
  if (process_ == nullptr) return;
  process_->signal(SIGTERM);
  if (process_->wait(5000) < 0) process_->signal(SIGKILL);
  delete process_;
  process_ = nullptr;
}

std::unique_ptr<ChildProcess> serve(const std::string& binary, const std::string& jack_server,
                                    std::uint16_t http_port, const std::string& db,
                                    const std::string& token) {
  auto daemon = std::make_unique<ChildProcess>(
      std::vector<std::string>{binary, "serve", "--jack-server", jack_server, "--http",
                               "127.0.0.1:" + std::to_string(http_port), "--osc",
                               std::to_string(free_port()), "--db", db},
      std::vector<std::string>{"LACQUER_TOKEN=" + token});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (http_get(http_port, "/healthz", 500).status != 200) {
    if (std::chrono::steady_clock::now() > deadline || !daemon->running()) {
      daemon->signal(SIGKILL);
      daemon->wait(5000);
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return daemon;
}

}  // namespace lacquer::test
