#pragma once
// The remote sandbox API's own listener (issue 13): a small HTTP/1.1 server on its own
// io_context and threads, never on the data plane's workers, so a slow store or Docker call in
// the control plane cannot hold a user's request. It reads one request at a time per connection
// (head and body within limits), hands it to the handler (control/sandbox/sandbox_api.h), writes
// the JSON reply, logs one access-log line (the owner's user key, never X-API-Key) and counts it.
// A request with an absolute-form target is for its forward proxy instead (AgentProxyOptions):
// relayed to the peer's own user's agent servers, or refused with a status.
//
//   SandboxApiServer server(options, [&](const control::ApiRequest& r) {
//     return control::handleSandboxApi(r, keys, service); }, metrics);
//   if (auto error = server.start()) { ... }
//   server.address();   // the real port when listen_port = 0
//   server.stop();
//
// Beast-free on purpose: the app and tests include it without Beast's compile time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/gateway_server.h"
#include "observability/sandbox_api_metrics.h"
#include "runtime/agent_proxy_route.h"
#include "sandbox/sandbox_api.h"
#include "sandbox/sandbox_routes.h"

namespace oh::gateway {

// The user key whose app server has this address (text, IPv4 dotted or IPv6), or nullopt: the
// pool's appServerUserAt (issue 14). Called on the listener's threads; must be thread-safe and quick.
using AppServerUserLookup = std::function<std::optional<std::string>(std::string_view ip)>;

// The listener's forward proxy to agent servers (issue 14; runtime/agent_proxy_route.h): an app
// server's calls to its own user's sandboxes stay on the instance. Without `sandboxes` every
// proxy request is refused.
struct AgentProxyOptions {
  std::shared_ptr<control::SandboxRouteSource> sandboxes;
  AgentProxyLimits limits;
  std::chrono::seconds connect_timeout{5};
  // The whole exchange with the agent server. OpenHands' longest is POST /api/conversations
  // with its sandbox_startup_timeout, 120 s (live_status_app_conversation_service.py:366-371,
  // 2043-2045), others 15 s (OH_HTTPX_TIMEOUT): the app server gives up first; this only bounds
  // a stuck sandbox.
  std::chrono::seconds exchange_timeout{150};
  std::size_t max_request_bytes = 16 * 1024 * 1024;   // a conversation start carries the agent's spec
  std::size_t max_response_bytes = 32 * 1024 * 1024;  // event pages; a sandbox cannot grow the gateway past this
  std::size_t max_relays = 64;                        // at once, over all app servers; beyond: 503
};

struct SandboxApiServerOptions {
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 0;
  std::chrono::seconds header_timeout{30};  // the whole request, head and body
  std::chrono::seconds idle_timeout{75};    // between keep-alive requests
  bool access_log = true;
  unsigned threads = 2;                     // calls block on the store: two keep one slow call from stalling all
  std::size_t max_connections = 256;        // the app servers of one instance, with room
  // Who may call at all (issue 15): loopback peers, and app servers (peers this names a user
  // for). Sandboxes share their owner's network with the app server and so reach the listener's
  // port; they are closed before a byte is read, counted and logged. Unset: loopback only.
  AppServerUserLookup app_server_user = nullptr;
  AgentProxyOptions agent_proxy{};
};

// Loopback (127/8, ::1, ::ffff:127.0.0.0/104) or app_server_user(ip) names a user (an IPv4-mapped
// IPv6 peer is asked about in its IPv4 form). A string that is no address is refused.
bool admitsSandboxApiPeer(std::string_view ip, const AppServerUserLookup& app_server_user);

// The user whose app server ip is (asked in the IPv4 form of a mapped address), or nullopt.
std::optional<std::string> appServerUserOf(std::string_view ip, const AppServerUserLookup& app_server_user);

using SandboxApiHandler = std::function<control::ApiResponse(const control::ApiRequest&)>;

class SandboxApiServer {
public:
  SandboxApiServer(SandboxApiServerOptions options, SandboxApiHandler handler, SandboxApiMetrics& metrics);
  ~SandboxApiServer();  // stop()
  SandboxApiServer(const SandboxApiServer&) = delete;
  SandboxApiServer& operator=(const SandboxApiServer&) = delete;

  // Binds and starts the threads; the problem as text when the address cannot be bound.
  std::optional<std::string> start();
  ListenAddress address() const;
  // Closes the listener and every connection, joins the threads. Idempotent.
  void stop();

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace oh::gateway
