#pragma once
// The real oh-gateway in front of real containers (Podman), shared by the runtime tests that go
// through the gateway binary: a private Podman service with two users' labelled containers
// (alice's and bob's, each running the default test apps), and oh-gateway configured for
// runtime routing with either no sign-in ("public") or local accounts ("owner").

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "podman_fixture.h"
#include "support/gateway_process.h"
#include "support/raw_client.h"
#include "support/test_upstream.h"

namespace oh::testing {

inline constexpr std::string_view kRuntimeSuffix = "runtime.oh.test";
inline constexpr std::string_view kMainHost = "oh.test";
inline constexpr std::string_view kPassword = "correct horse battery";

// A TCP port nothing listens on right now (for a container to publish), or 0.
std::uint16_t unusedLocalPort();
// The "name=value" of a Set-Cookie for `name` in a response, or "".
std::string cookiePair(const RawResponse& response, std::string_view name);

// The end of a browser-like visit that follows redirects across hosts.
struct Visit {
  int status = 0;  // 0: no answer
  std::string body;
  std::string runtime_cookie;  // "oh_runtime=..." the runtime host set, or ""
};

class RuntimeGatewayBase : public ::testing::Test {
protected:
  // Skips when Podman or the gateway binary is missing; starts Podman, imports the image and
  // starts alice's and bob's containers. Call first in SetUp.
  void prepare();

  // Starts oh-gateway; auth_toml is the [auth] table, extra_toml any further tables (e.g.
  // "[websocket]\nmax_message_bytes = 1024\n"). Waits until /_gateway/ready answers 200.
  // Does nothing when prepare() skipped or failed, so SetUp is prepare() then one of these.
  void startGateway(std::string_view access, const std::string& auth_toml, const std::string& extra_toml = {});
  // "public" with auth.provider = "none".
  void startPublicGateway(const std::string& extra_toml = {});
  // "owner" with local accounts alice and bob (password kPassword).
  void startOwnerGateway(const std::string& extra_toml = {});

  void TearDown() override;

  static std::string host(unsigned port, const std::string& conversation);
  static std::string containerName(const std::string& conversation) { return "oh-rt-gw-" + conversation.substr(0, 12); }

  std::optional<RawResponse> get(const std::string& host_header, std::string_view target, const Headers& headers = {});

  // Signs in on the main host (local accounts); the session cookie pair ("oh_session=...") or "".
  std::string signIn(const std::string& name);
  // GET https://start_host/target as a browser navigation would, following redirects across the
  // main and runtime hosts: the session goes only to the main host, the runtime cookie only to
  // the runtime host (host-only cookies).
  Visit visit(const std::string& session, const std::string& start_host, const std::string& target);

  std::string binary_;
  TestUpstream upstream_;
  std::unique_ptr<PodmanService> podman_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::string alice_;  // alice's conversation id (her container is containerName(alice_))
  std::string bob_;
};

}  // namespace oh::testing
