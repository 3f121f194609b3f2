#pragma once
// The decision point between the request policy (origin check, rate limit) and the relay:
// sign-in, runtime-app routing and the gateway's own pages (login, callback, hand-off) are
// decided by a RequestGate, code that knows nothing of Beast or sockets. The client session asks
// the snapshot's gate once per request and carries out its decision: answer, forward (to the
// OpenHands upstream or to a sandbox container, with header edits), or read a small body first.
//
// Beast-free on purpose: gates are unit-tested with plain structs, and the session applies the
// edits to its Beast fields.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/gateway_error.h"

namespace oh::gateway {

// What a gate sees of one request. The views point into the session's parsed request and stay
// valid until the gate calls its Done callback (the session waits for it), not after.
struct GateRequest {
  std::string_view method;            // "GET"
  std::string_view target;            // origin-form as received: "/path?query"
  std::string_view host;              // Host header, as received (any case, may carry ":port")
  std::string_view cookie;            // every Cookie header, joined with "; "
  std::string_view accept;
  std::string_view sec_fetch_mode;
  std::string_view x_requested_with;
  std::string_view origin;            // Origin header
  std::string_view sec_fetch_site;    // Sec-Fetch-Site header
  std::string_view referer;           // Referer header
  std::string_view content_type;
  std::string_view client_ip;         // clientAddress(): trusted proxies skipped
  std::string_view session_api_key;   // X-Session-API-Key (an OpenHands agent server's key)
  std::string_view access_token;      // X-Access-Token (a credential an app server issued)
  bool websocket = false;             // a WebSocket upgrade request
  // The request body, present only when this gate asked for it with GateDecision::read_body
  // (the local login form); otherwise empty and unread.
  std::optional<std::string_view> body;
};

// Who a request is from, once the sign-in code has checked its session.
struct Identity {
  std::string sub;              // the provider's subject (Cognito: the user's UUID); the local user name
  std::string email;
  bool email_verified = false;
};

// An address to forward to: an IP literal or a host name, and a port.
struct ForwardTarget {
  std::string host;
  std::uint16_t port = 0;
};

// Response headers for a user's app (runtime hosts): framing limited to the app itself and the
// main site, and every Set-Cookie host-only, Secure and SameSite=Strict unless it says otherwise.
struct RuntimeResponsePolicy {
  // Who may frame the app besides itself: CSP frame-ancestors 'self' https://{host} for each.
  std::vector<std::string> frame_ancestor_hosts;
  // Set when the gate presented the request to the app with another Origin (an agent server
  // knows one origin only): an Access-Control-Allow-Origin naming `upstream_origin` is given
  // back as `client_origin`, with Vary: Origin. Empty = the app's CORS headers are untouched.
  std::string upstream_origin;
  std::string client_origin;
};

// Told about a relay as it happens, for a destination that counts its use (a user's app server,
// which is stopped when idle: issue 14). Called on the session's worker thread; must not block.
class RelayActivity {
public:
  virtual ~RelayActivity() = default;
  // One exchange was relayed to the end (its response reached the client, or failed midway).
  virtual void relayed() = 0;
  // A WebSocket tunnel opened (the upstream answered 101). The lease is held exactly as long as
  // the tunnel: releasing it is the one "closed", however the tunnel ends.
  virtual std::shared_ptr<void> tunnelOpened() = 0;
};

// How to forward a request the gate admitted.
struct ForwardPlan {
  // Tried in order until one accepts a TCP connection; empty = the configured upstream.
  std::vector<ForwardTarget> targets;
  // Request headers removed when their name starts with one of these (case-insensitive),
  // e.g. "x-cognito-" so no client can claim an identity. Views of the gate's constants
  // (static storage): these name header families, never anything taken from a request.
  std::vector<std::string_view> remove_header_prefixes;
  // Request headers set after the removals (replacing any of the same name).
  std::vector<std::pair<std::string, std::string>> set_headers;
  // Replaces the Cookie header (platform cookies taken out); "" removes it; nullopt keeps it.
  std::optional<std::string> cookie;
  // Set-Cookie values added to the upstream's response (a renewed session).
  std::vector<std::string> add_response_cookies;
  // Set for user apps: see RuntimeResponsePolicy.
  std::optional<RuntimeResponsePolicy> runtime_response;
  // Connect timeout for `targets` (0 = upstream.connect_timeout_seconds).
  std::chrono::seconds connect_timeout{0};
  // When no target accepts a connection and the request is a browser CORS probe, answer 204
  // with Cache-Control: no-store instead of 502 (the reference design's runtime proxy does).
  bool cors_probe_no_content = false;
  // Who the request is for, for the access log (a subject id, never a token or an e-mail).
  std::string user;
  // Told when the exchange ends and when a WebSocket tunnel opens (null = nobody is).
  std::shared_ptr<RelayActivity> activity;
};

struct GateDecision {
  enum class Kind { forward, reply, read_body };
  Kind kind = Kind::forward;
  ForwardPlan forward;          // kind == forward
  ErrorReply reply;             // kind == reply: a complete response (status, headers, body)
  std::size_t body_limit = 0;   // kind == read_body: read at most this many bytes (413 beyond),
                                // then call admit() again with GateRequest::body set
  std::string reason;           // for the access log: why (never a secret)

  static GateDecision forwardTo(ForwardPlan plan) {
    GateDecision d;
    d.kind = Kind::forward;
    d.forward = std::move(plan);
    return d;
  }
  static GateDecision answer(ErrorReply r, std::string why) {
    GateDecision d;
    d.kind = Kind::reply;
    d.reply = std::move(r);
    d.reason = std::move(why);
    return d;
  }
  static GateDecision readBody(std::size_t limit) {
    GateDecision d;
    d.kind = Kind::read_body;
    d.body_limit = limit;
    return d;
  }
};

class RequestGate {
public:
  // Called exactly once per admit(), synchronously or later from any thread (the session moves
  // back to its own thread). Captures must be cheap: this runs on every request.
  using Done = std::function<void(GateDecision)>;

  virtual ~RequestGate() = default;

  // Called on a worker thread for every request that passed the origin check and rate limit,
  // except the gateway's probes (/_gateway/health, /_gateway/ready). Must not block: network
  // calls and password hashing run elsewhere and finish through `done`.
  virtual void admit(const GateRequest& request, Done done) = 0;

  // Readiness beyond the upstream (e.g. the Docker API for runtime routes): a reason when not
  // ready, for /_gateway/ready's 503.
  virtual std::optional<std::string> notReadyReason() const { return std::nullopt; }

  // False when no request goes to upstream.url (each user's own app server instead): then
  // /_gateway/ready does not wait for it.
  virtual bool needsUpstream() const { return true; }
};

using RequestGatePtr = std::shared_ptr<RequestGate>;

}  // namespace oh::gateway
