#pragma once
// Shared set-up for the gateway integration tests: a TestUpstream, a config builder that
// writes only keys from src/gateway/config/settings.h, and a running oh-gateway.

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/gateway_process.h"
#include "support/raw_client.h"
#include "support/test_upstream.h"

namespace oh::testing {

// The TOML the tests start the gateway with. Defaults keep tests independent of one another:
// ephemeral ports, the origin check off (local mode), rate limiting off.
struct GatewayConfig {
  std::string mode = "local";
  std::string upstream_url;
  unsigned threads = 2;
  int connect_timeout_seconds = 5;
  int read_timeout_seconds = 30;
  int drain_timeout_seconds = 10;
  int client_header_timeout_seconds = 0;  // 0: not written (the gateway's default)
  int client_idle_timeout_seconds = 0;    // 0: not written
  std::size_t max_connections = 0;  // 0: not written (the gateway's default)
  std::vector<std::string> allowed_hosts;  // server.allowed_hosts; empty: not written
  bool origin_enabled = false;
  std::string origin_current_file;
  std::string origin_previous_file;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_header_count = 100;
  std::uint64_t max_body_bytes = 1024ull * 1024 * 1024;
  struct BodyRule {
    std::string path_prefix;
    std::uint64_t max_bytes;
  };
  std::vector<BodyRule> body_rules;
  bool rate_limit_enabled = false;
  double requests_per_second = 50.0;
  double burst = 200.0;
  std::vector<std::string> trusted_proxies;
  bool access_log = true;
  // The [auth] section: no sign-in unless a test says otherwise (sign-in and runtime tests
  // replace it and add their own sections through extra_toml).
  std::string auth_toml = "[auth]\nprovider = \"none\"\n";
  std::string extra_toml;
  int websocket_idle_timeout_seconds = 0;  // 0: not written (the gateway's default)
  std::uint64_t websocket_max_message_bytes = 0;  // 0: not written

  std::string toml() const;
};

inline constexpr std::string_view kOriginDenied = "Access Denied - Invalid Origin";

class GatewayTest : public ::testing::Test {
protected:
  // Skips the test when the binary is not built yet; fails it when the gateway does not start.
  void startGateway(const GatewayConfig& config);
  // A config pointing at upstream_.
  GatewayConfig baseConfig() const;

  std::uint16_t port() const { return gateway_->port(); }
  std::optional<RawResponse> get(std::string_view target, const Headers& headers = {}) const {
    return simpleRequest(port(), "GET", target, headers);
  }
  // Asserts the gateway process is still alive and answering (after hostile input).
  void expectAlive();

  void TearDown() override;

  TestUpstream upstream_;
  std::unique_ptr<GatewayProcess> gateway_;
};

}  // namespace oh::testing

// Starts the gateway and leaves the test when it is skipped (binary missing) or failed.
#define OH_START_GATEWAY(config)                  \
  do {                                            \
    startGateway(config);                         \
    if (IsSkipped() || HasFatalFailure()) {       \
      return;                                     \
    }                                             \
  } while (false)
