#pragma once
// Main-site routing to users' own OpenHands app servers (issue 14, DESIGN.md section 6). Stock
// OpenHands authenticates nobody, so this is the only lock: the server a request reaches is the
// signed-in user's, picked by the session's subject and by nothing the client sends (path,
// headers, cookies, ids). The one request without a session that reaches a server is a webhook
// from a sandbox, which goes to that sandbox's owner, known from its session key's hash.
//
//   AppServerRouter router(directory, sandboxes);
//   router.isWebhook(path)            -> router.webhook(request)           (before sign-in)
//   after sign-in:                       router.route(request, identity, plan)
//
// A server that is not ready yet gets the browser a start page and scripts a 503 (app_server_pages.h).
// Private to oh_gateway_routing; Beast-free.

#include <functional>
#include <memory>
#include <string_view>

#include "appserver/app_server_directory.h"
#include "http/request_gate.h"

namespace oh::control {
class SandboxRouteSource;  // sandbox/sandbox_routes.h
}  // namespace oh::control

namespace oh::gateway {

// True when `token` was signed by `user_key`'s own app server (control/appserver/access_tokens.h).
using AccessTokenCheck = std::function<bool(std::string_view user_key, std::string_view token)>;

class AppServerRouter {
public:
  // sandboxes null: no webhook reaches any server (401). signed_by null: no X-Access-Token
  // webhook reaches any server (401).
  AppServerRouter(control::AppServerDirectoryPtr directory, std::shared_ptr<control::SandboxRouteSource> sandboxes,
                  AccessTokenCheck signed_by = nullptr);

  // OpenHands' webhook tree, /api/v1/webhooks and below (webhook_router.py:56, mounted at /api/v1).
  static bool isWebhook(std::string_view path);

  // A sandbox's callback: to its owner's server when X-Session-API-Key is a sandbox's key and
  // the target is a plain webhook path; 401 otherwise (a browser session never counts here).
  // Without that key, GET /api/v1/webhooks/secrets with X-Access-Token (webhook_router.py:438-441)
  // goes to the one sandbox owner whose server signed the token; 401 otherwise.
  GateDecision webhook(const GateRequest& request) const;

  // A signed-in main-site request: the gateway's own /_gateway/appserver/ endpoints, else the
  // user's server (`plan` carries sign-in's header edits and cookies), or why not yet.
  GateDecision route(const GateRequest& request, const Identity& identity, ForwardPlan plan) const;

  const control::AppServerDirectoryPtr& directory() const { return directory_; }

private:
  GateDecision accessTokenWebhook(const GateRequest& request) const;
  GateDecision toOwner(const GateRequest& request, const std::string& owner) const;
  GateDecision forwardTo(const control::AppServerView& view, std::string user_key, std::string_view client_ip,
                         ForwardPlan plan) const;

  control::AppServerDirectoryPtr directory_;
  std::shared_ptr<control::SandboxRouteSource> sandboxes_;
  AccessTokenCheck signed_by_;
};

}  // namespace oh::gateway
