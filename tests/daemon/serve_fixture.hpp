#pragma once
// A test fixture running `lacquer serve` on its own jackd -d dummy, free ports and a
// temporary database, with LACQUER_TOKEN set; stopped with SIGTERM after each test, which
// must exit 0.

#include <csignal>
#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process_helpers.hpp"

namespace lacquer::test {

class ServeFixture : public ::testing::Test {
 protected:
  /// `token` is the engineer token; `jack_prefix` names the test's jackd.
  ServeFixture(std::string token, std::string jack_prefix)
      : token_(std::move(token)), jack_prefix_(std::move(jack_prefix)) {}

  void SetUp() override {
    dir_ = temp_dir();
    jack_ = std::make_unique<JackDummyServer>(unique_name(jack_prefix_), 48000, 256);
    ASSERT_TRUE(jack_->start());
    port_ = free_port();
    daemon_ = serve(LACQUER_BINARY, jack_->name(), port_, dir_ + "/lacquer.db", token_);
    ASSERT_NE(daemon_, nullptr) << "lacquer serve did not answer /healthz";
  }

  void TearDown() override {
    if (!daemon_) return;
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(10000), 0) << daemon_->stderr_text();
  }

  /// A request with `token` and a JSON body (none when null).
  HttpResult call(const std::string& token, const std::string& method, const std::string& path,
                  const nlohmann::json& body = nullptr) {
    return http_call(port_, method, path, token, body.is_null() ? "" : body.dump());
  }

  std::string token_;
  std::string jack_prefix_;
  std::string dir_;
  std::unique_ptr<JackDummyServer> jack_;
  std::unique_ptr<ChildProcess> daemon_;
  std::uint16_t port_ = 0;
};

}  // namespace lacquer::test
