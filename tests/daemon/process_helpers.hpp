#pragma once
// Child processes, free ports and a minimal HTTP client for the integration tests.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lacquer::test {

/// A child process with stdout and stderr captured to files.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return pid_; }
  /// Sends a signal (no-op once reaped).
  void signal(int sig);
  /// Waits up to timeout_ms; returns the exit code, 128+signal, or -1 on time-out.
  int wait(int timeout_ms);
  bool running();
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  int pid_ = -1;
  int status_ = -1;
  std::string out_path_;
  std::string err_path_;
};

/// A TCP and UDP port nobody listens on at the moment of the call.
std::uint16_t free_port();

struct HttpResult {
  int status = 0;  ///< 0 when the connection failed
  std::string body;
};

/// GET over plain HTTP/1.1 on 127.0.0.1.
HttpResult http_get(std::uint16_t port, const std::string& path, int timeout_ms = 2000);

/// A request with an optional bearer token and JSON body, over plain HTTP/1.1 on 127.0.0.1.
HttpResult http_call(std::uint16_t port, const std::string& method, const std::string& path,
                     const std::string& token = "", const std::string& body = "",
                     int timeout_ms = 5000);

/// Sends `request` (a whole HTTP/1.1 message) to 127.0.0.1 and reads the answer.
HttpResult http_request(std::uint16_t port, const std::string& request, int timeout_ms = 2000);

/// A jackd with the dummy backend under a unique name.
class JackDummyServer {
 public:
  JackDummyServer(std::string name, int rate, int period);
  ~JackDummyServer();
  const std::string& name() const { return name_; }
  /// Starts jackd and waits until a client can join. Returns false on failure.
  bool start();
  /// SIGKILL, as if the server crashed.
  void kill_hard();
  void stop();

 private:
  std::string name_;
  int rate_;
  int period_;
  ChildProcess* process_ = nullptr;
};

/// `binary serve` on `jack_server` with HTTP on 127.0.0.1:`http_port`, the database `db`
/// and LACQUER_TOKEN=`token`, once /healthz answers; null (the process stopped) if it does
/// not within 10 s.
std::unique_ptr<ChildProcess> serve(const std::string& binary, const std::string& jack_server,
                                    std::uint16_t http_port, const std::string& db,
                                    const std::string& token);

std::string unique_name(const std::string& prefix);
std::string temp_dir();

}  // namespace lacquer::test
