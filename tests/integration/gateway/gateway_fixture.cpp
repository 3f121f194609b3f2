#include "gateway_fixture.h"

#include <sstream>

namespace oh::testing {

namespace {

std::string tomlString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::string GatewayConfig::toml() const {
  std::ostringstream out;
  out << "mode = " << tomlString(mode) << "\n\n";
  out << "[server]\nlisten_address = \"127.0.0.1\"\nlisten_port = 0\nthreads = " << threads
      << "\ndrain_timeout_seconds = " << drain_timeout_seconds << "\n";
  if (max_connections > 0) {
    out << "max_connections = " << max_connections << "\n";
  }
  if (!allowed_hosts.empty()) {
    out << "allowed_hosts = [";
    for (std::size_t i = 0; i < allowed_hosts.size(); ++i) {
      out << (i == 0 ? "" : ", ") << tomlString(allowed_hosts[i]);
    }
    out << "]\n";
  }
  if (client_header_timeout_seconds > 0) {
    out << "client_header_timeout_seconds = " << client_header_timeout_seconds << "\n";
  }
  if (client_idle_timeout_seconds > 0) {
    out << "client_idle_timeout_seconds = " << client_idle_timeout_seconds << "\n";
  }
  out << "\n";
  out << "[upstream]\nurl = " << tomlString(upstream_url) << "\nconnect_timeout_seconds = " << connect_timeout_seconds
      << "\nread_timeout_seconds = " << read_timeout_seconds << "\n\n";
  if (websocket_idle_timeout_seconds > 0 || websocket_max_message_bytes > 0) {
    out << "[websocket]\n";
    if (websocket_idle_timeout_seconds > 0) {
      out << "idle_timeout_seconds = " << websocket_idle_timeout_seconds << "\n";
    }
    if (websocket_max_message_bytes > 0) {
      out << "max_message_bytes = " << websocket_max_message_bytes << "\n";
    }
    out << "\n";
  }
  out << "[origin]\nenabled = " << (origin_enabled ? "true" : "false") << "\n";
  if (!origin_current_file.empty()) {
    out << "current_secret_file = " << tomlString(origin_current_file) << "\n";
  }
  if (!origin_previous_file.empty()) {
    out << "previous_secret_file = " << tomlString(origin_previous_file) << "\n";
  }
  out << "\n[limits]\nmax_header_bytes = " << max_header_bytes << "\nmax_header_count = " << max_header_count
      << "\nmax_body_bytes = " << max_body_bytes << "\n\n";
  for (const auto& rule : body_rules) {
    out << "[[limits.body]]\npath_prefix = " << tomlString(rule.path_prefix) << "\nmax_bytes = " << rule.max_bytes
        << "\n\n";
  }
  out << "[rate_limit]\nenabled = " << (rate_limit_enabled ? "true" : "false")
      << "\nrequests_per_second = " << requests_per_second << "\nburst = " << burst << "\ntrusted_proxies = [";
  for (std::size_t i = 0; i < trusted_proxies.size(); ++i) {
    out << (i == 0 ? "" : ", ") << tomlString(trusted_proxies[i]);
  }
  out << "]\n\n";
  out << "[admin]\nenabled = true\nlisten_address = \"127.0.0.1\"\nlisten_port = 0\n\n";
  out << "[log]\nlevel = \"info\"\naccess_log = " << (access_log ? "true" : "false") << "\n\n";
  out << auth_toml << "\n" << extra_toml;
  return out.str();
}

GatewayConfig GatewayTest::baseConfig() const {
  GatewayConfig config;
  config.upstream_url = upstream_.url();
  return config;
}

void GatewayTest::startGateway(const GatewayConfig& config) {
  const std::string binary = GatewayProcess::defaultBinary();
  if (binary.empty()) {
    GTEST_SKIP() << "oh-gateway is not built yet (no CMake target oh-gateway, no $OH_GATEWAY_BINARY)";
  }
  if (!gateway_) {
    gateway_ = std::make_unique<GatewayProcess>(binary);
  }
  const auto failure = gateway_->start(config.toml());
  ASSERT_FALSE(failure.has_value()) << *failure << "\nconfig:\n" << config.toml();
  ASSERT_NE(gateway_->port(), 0);
}

void GatewayTest::expectAlive() {
  ASSERT_TRUE(gateway_->running()) << "oh-gateway died\nstderr:\n" << gateway_->stderrText();
  const auto health = get("/_gateway/health");
  ASSERT_TRUE(health.has_value()) << "no answer to /_gateway/health after hostile input";
  EXPECT_EQ(health->status, 200);
}

void GatewayTest::TearDown() {
  if (gateway_ && gateway_->pid() > 0) {
    const bool was_running = gateway_->running();
    const auto status = gateway_->stop();
    if (was_running) {
      // A crash at shutdown (or a sanitizer report) is a defect too.
      EXPECT_TRUE(status.exited && status.code == 0)
          << "oh-gateway " << status.describe() << " on SIGTERM\nstderr:\n" << gateway_->stderrText();
    }
  }
  upstream_.stop();
}

}  // namespace oh::testing
