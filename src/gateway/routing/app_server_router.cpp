#include "routing/app_server_router.h"

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "appserver/access_tokens.h"
#include "auth/challenge.h"
#include "common/digest.h"
#include "routing/app_server_pages.h"
#include "sandbox/sandbox_routes.h"
#include "sandbox/user_key.h"

namespace oh::gateway {
namespace {

constexpr std::string_view kWebhookRoot = "/api/v1/webhooks";
// An app server on the instance accepts at once when it is up; a longer wait only delays the
// 502 of one that just stopped.
constexpr std::chrono::seconds kConnectTimeout{5};
// OpenHands' session keys are 43 characters (secrets.token_urlsafe(32)); anything far longer
// is not one, and is not hashed.
constexpr std::size_t kMaxSessionKeyBytes = 256;
constexpr std::string_view kIdentityHeaderPrefix = "x-cognito-";

std::string_view pathOf(std::string_view target) { return target.substr(0, target.find('?')); }

// /api/v1/webhooks followed by segments of [A-Za-z0-9_-] only, and no query: what OpenHands'
// agent servers call (/conversations, /events/{hex}, /secrets), and nothing that an app server
// could read as another path (no dot segments, no percent-encoding, no empty segments).
bool isPlainWebhookTarget(std::string_view target) {
  if (!target.starts_with(kWebhookRoot)) {
    return false;
  }
  const std::string_view rest = target.substr(kWebhookRoot.size());
  if (!rest.empty() && rest.front() != '/') {
    return false;
  }
  std::size_t segment_length = 0;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c == '/') {
      if (i > 0 && segment_length == 0) {
        return false;  // an empty segment: "//"
      }
      segment_length = 0;
      continue;
    }
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!plain) {
      return false;
    }
    ++segment_length;
  }
  return rest.empty() || segment_length > 0;
}

GateDecision unauthorizedWebhook(std::string why) {
  ErrorReply reply;
  reply.status = 401;
  reply.content_type = "application/json";
  reply.body = R"({"error":"unauthenticated","message":"webhooks need a sandbox's X-Session-API-Key"})";
  reply.headers.emplace_back("Cache-Control", "no-store");
  return GateDecision::answer(std::move(reply), std::move(why));
}

GateDecision methodNotAllowed() {
  ErrorReply reply;
  reply.status = 405;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body = "Method Not Allowed\n";
  reply.headers.emplace_back("Allow", "GET, HEAD");
  reply.headers.emplace_back("Cache-Control", "no-store");
  return GateDecision::answer(std::move(reply), "appserver: status method");
}

bool wantsPage(const GateRequest& r) {
  return auth::decideChallenge({r.method, pathOf(r.target), r.accept, r.sec_fetch_mode, r.websocket ? "websocket" : "",
                                r.x_requested_with}) == auth::Challenge::redirect_to_sign_in;
}

// Its destructor is the one connectionClosed() of a connectionOpened().
struct TunnelLease {
  TunnelLease(control::AppServerDirectoryPtr directory_in, std::string user_key_in)
      : directory(std::move(directory_in)), user_key(std::move(user_key_in)) {}
  ~TunnelLease() { directory->connectionClosed(user_key); }
  TunnelLease(const TunnelLease&) = delete;
  TunnelLease& operator=(const TunnelLease&) = delete;
  control::AppServerDirectoryPtr directory;
  std::string user_key;
};

// What one user's server hears about the relay: a request's end (activity) and each WebSocket
// tunnel's life (a server with one open is never culled).
class AppServerActivity final : public RelayActivity {
public:
  AppServerActivity(control::AppServerDirectoryPtr directory, std::string user_key)
      : directory_(std::move(directory)), user_key_(std::move(user_key)) {}

  void relayed() override { directory_->touch(user_key_); }

  std::shared_ptr<void> tunnelOpened() override {
    directory_->connectionOpened(user_key_);
    return std::make_shared<TunnelLease>(directory_, user_key_);
  }

private:
  control::AppServerDirectoryPtr directory_;
  std::string user_key_;
};

}  // namespace

AppServerRouter::AppServerRouter(control::AppServerDirectoryPtr directory,
                                 std::shared_ptr<control::SandboxRouteSource> sandboxes, AccessTokenCheck signed_by)
    : directory_(std::move(directory)), sandboxes_(std::move(sandboxes)), signed_by_(std::move(signed_by)) {}

bool AppServerRouter::isWebhook(std::string_view path) {
  return path == kWebhookRoot || (path.starts_with(kWebhookRoot) && path[kWebhookRoot.size()] == '/');
}

GateDecision AppServerRouter::webhook(const GateRequest& request) const {
  if (request.session_api_key.empty() && !request.access_token.empty()) {
    return accessTokenWebhook(request);
  }
  if (request.session_api_key.empty()) {
    return unauthorizedWebhook("appserver: webhook without a session key");
  }
  if (request.websocket || !isPlainWebhookTarget(request.target)) {
    return unauthorizedWebhook("appserver: webhook target refused");
  }
  if (!sandboxes_ || request.session_api_key.size() > kMaxSessionKeyBytes) {
    return unauthorizedWebhook("appserver: webhook key unknown");
  }
  const control::SandboxRoutesPtr routes = sandboxes_->routes();
  const control::SandboxRoute* sandbox = routes->findBySessionKeyHash(common::sha256(request.session_api_key));
  if (!sandbox || !control::isUserKey(sandbox->owner)) {
    return unauthorizedWebhook("appserver: webhook key unknown");
  }
  return toOwner(request, sandbox->owner);
}

// The secrets lookup an agent server makes with the access token its app server gave it
// (LookupSecret, live_status_app_conversation_service.py:939-952). Its claims name no user
// (user_id is None in single-user OpenHands), so the owner is the one whose server's key made
// the signature, among the owners of known sandboxes: a token forged, altered, expired, signed
// with alg none or another key, or by another user's server reaches nobody else's. One HMAC per
// candidate owner; the gateway's rate limit bounds how often a caller can make it work.
GateDecision AppServerRouter::accessTokenWebhook(const GateRequest& request) const {
  if (request.method != "GET" || request.websocket || request.target != "/api/v1/webhooks/secrets") {
    return unauthorizedWebhook("appserver: access token outside the secrets webhook");
  }
  if (!signed_by_ || !sandboxes_ || request.access_token.size() > control::kMaxAccessTokenBytes) {
    return unauthorizedWebhook("appserver: access token unknown");
  }
  const control::SandboxRoutesPtr routes = sandboxes_->routes();
  std::set<std::string_view> owners;
  for (const control::SandboxRoutePtr& route : routes->all()) {
    if (control::isUserKey(route->owner)) {
      owners.insert(route->owner);
    }
  }
  std::optional<std::string> signer;
  for (std::string_view owner : owners) {
    if (signed_by_(owner, request.access_token)) {
      if (signer) {
        return unauthorizedWebhook("appserver: access token of two owners");  // refusing beats misrouting
      }
      signer = std::string(owner);
    }
  }
  if (!signer) {
    return unauthorizedWebhook("appserver: access token unknown");
  }
  return toOwner(request, *signer);
}

GateDecision AppServerRouter::toOwner(const GateRequest& request, const std::string& owner) const {
  const control::AppServerView view = directory_->ensure(owner);
  if (view.phase != control::AppServerPhase::ready) {
    return GateDecision::answer(appserver_pages::notReadyJson(view), "appserver: owner's server not ready");
  }
  // No browser state travels with a sandbox's call; the key or token is what OpenHands checks.
  ForwardPlan plan;
  plan.remove_header_prefixes.emplace_back(kIdentityHeaderPrefix);
  plan.cookie = "";
  plan.user = owner;
  return forwardTo(view, owner, request.client_ip, std::move(plan));
}

GateDecision AppServerRouter::route(const GateRequest& request, const Identity& identity, ForwardPlan plan) const {
  std::string user_key = control::userKeyForSubject(identity.sub);
  const std::string_view path = pathOf(request.target);
  if (path == appserver_pages::kStatusPath) {
    if (request.method != "GET" && request.method != "HEAD") {
      return methodNotAllowed();
    }
    return GateDecision::answer(appserver_pages::statusJson(directory_->peek(user_key)), "appserver: status");
  }
  if (path == appserver_pages::kStartScriptPath) {
    return GateDecision::answer(appserver_pages::startScript(), "appserver: start page script");
  }
  const control::AppServerView view = directory_->ensure(user_key);
  if (view.phase != control::AppServerPhase::ready || view.address.empty() || view.port == 0) {
    const std::string reason = "appserver: " + std::string(control::phaseName(view.phase));
    return wantsPage(request) ? GateDecision::answer(appserver_pages::pageFor(view), reason)
                              : GateDecision::answer(appserver_pages::notReadyJson(view), reason);
  }
  return forwardTo(view, std::move(user_key), request.client_ip, std::move(plan));
}

GateDecision AppServerRouter::forwardTo(const control::AppServerView& view, std::string user_key,
                                        std::string_view client_ip, ForwardPlan plan) const {
  // The one target: never the configured upstream, never anything the request named.
  plan.targets = {ForwardTarget{view.address, view.port}};
  // The client as the gateway determined it (trusted proxies, CloudFront's viewer address), and
  // nothing else: the server believes this header from the gateway's address alone
  // (FORWARDED_ALLOW_IPS) and takes its right-most entry as the client of its rate limit, so a
  // chain with the ALB or whatever a client wrote would key every user's tabs on one address.
  plan.set_headers.emplace_back("X-Forwarded-For", std::string(client_ip));
  plan.connect_timeout = kConnectTimeout;
  plan.activity = std::make_shared<AppServerActivity>(directory_, std::move(user_key));
  return GateDecision::forwardTo(std::move(plan));
}

}  // namespace oh::gateway
