#include "routing/gateway_gate.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "auth/cookies.h"
#include "routing/app_origin.h"
#include "runtime/runtime_address.h"
#include "runtime/runtime_router.h"

namespace oh::gateway {
namespace {

// No client may claim an identity: the header family is always removed, whatever sign-in does.
constexpr std::string_view kIdentityHeaderPrefix = "x-cognito-";

void addIdentityPrefix(ForwardPlan& plan) {
  auto& prefixes = plan.remove_header_prefixes;
  if (std::find(prefixes.begin(), prefixes.end(), kIdentityHeaderPrefix) == prefixes.end()) {
    prefixes.emplace_back(kIdentityHeaderPrefix);
  }
}

GateDecision refuse(const RuntimeRefusal& refusal) {
  ErrorReply reply;
  reply.status = refusal.status;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body = refusal.status == 404 ? "Not Found\n" : "Bad Request\n";
  reply.headers.emplace_back("Cache-Control", "no-store");
  return GateDecision::answer(std::move(reply), refusal.reason);
}

GateDecision refuseFromRuntimeApp(std::string_view why) {
  ErrorReply reply;
  reply.status = 403;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body = "Forbidden: requests from a user's app to OpenHands are refused\n";
  reply.headers.emplace_back("Cache-Control", "no-store");
  return GateDecision::answer(std::move(reply), std::string(why));
}

// The path form /runtime/{conversation}/{port}/... would serve an app on the main host's origin
// (its scripts calling OpenHands as the visitor, its cookies landing on the main host): it is
// only ever a redirect to the app's own runtime host, for links made before that existed.
GateDecision redirectPathForm(const GateRequest& request, const RuntimeAddress& address, bool https) {
  ErrorReply reply;
  reply.headers.emplace_back("Cache-Control", "no-store");
  reply.content_type = "text/plain; charset=utf-8";
  if (request.method != "GET" && request.method != "HEAD") {
    reply.status = 404;
    reply.body = "Not Found: open the app at its own host\n";
    return GateDecision::answer(std::move(reply), "runtime path form: not a GET");
  }
  // Built from the parsed parts only: the suffix a main host has (classification matched the
  // main host as "runtime." + main), the Host's port (valid: classification checked it) and
  // the target the app would have received (checked printable, no dot segments).
  std::string_view port;
  if (const std::size_t colon = request.host.rfind(':'); colon != std::string_view::npos) {
    port = request.host.substr(colon);
  }
  std::string location = https ? "https://" : "http://";
  location += std::to_string(address.port) + "-" + address.conversation_id + ".runtime." + address.main_host;
  location += port;
  location += address.forward_target;
  reply.status = 302;
  reply.headers.emplace_back("Location", std::move(location));
  return GateDecision::answer(std::move(reply), "runtime path form: to the runtime host");
}

// Sign-in admitted a main-site request without an identity: impossible with app servers (their
// configuration needs a sign-in, and main hosts never allow anonymous use), refused if it happens.
GateDecision noAppServerIdentity() {
  ErrorReply reply;
  reply.status = 401;
  reply.content_type = "application/json";
  reply.body = R"({"error":"unauthenticated"})";
  reply.headers.emplace_back("Cache-Control", "no-store");
  return GateDecision::answer(std::move(reply), "appserver: no identity");
}

bool sameRuntimeDirectory(const RuntimeSettings& a, const RuntimeSettings& b) {
  return a.docker_socket == b.docker_socket && a.conversation_label == b.conversation_label &&
         a.user_label == b.user_label && a.network == b.network;
}

}  // namespace

GatewayGate::GatewayGate(SettingsPtr settings, std::shared_ptr<SignIn> sign_in, ContainerDirectoryPtr directory,
                         std::shared_ptr<control::SandboxRouteSource> sandboxes,
                         std::shared_ptr<const AppServerRouter> app_servers)
    : settings_(std::move(settings)),
      sign_in_(std::move(sign_in)),
      directory_(std::move(directory)),
      sandboxes_(std::move(sandboxes)),
      app_servers_(std::move(app_servers)) {}

void GatewayGate::admit(const GateRequest& request, Done done) {
  std::optional<RuntimeAddress> address;
  if (directory_) {
    auto where = classifyRuntimeRequest(request.host, request.target, settings_->runtime);
    if (const auto* refusal = std::get_if<RuntimeRefusal>(&where)) {
      return done(refuse(*refusal));
    }
    if (auto* found = std::get_if<RuntimeAddress>(&where)) {
      if (found->path_form) {
        return done(redirectPathForm(request, *found, settings_->auth.cookie_secure));
      }
      address = std::move(*found);
    }
  }
  if (!address) {
    if (auto problem = runtimeOriginProblem(request, settings_->runtime)) {
      return done(refuseFromRuntimeApp(*problem));
    }
    // A sandbox's callback carries its session key and no session: its owner's server or 401,
    // whatever cookie comes with it.
    if (app_servers_ && AppServerRouter::isWebhook(request.target.substr(0, request.target.find('?')))) {
      return done(app_servers_->webhook(request));
    }
  }
  if (!sign_in_) {
    return forward(request, address, std::nullopt, ForwardPlan{}, done);
  }
  // Only runtime hosts have their own cookie (and the hand-off that issues it).
  const HostRole role = address ? HostRole::runtime : HostRole::main;
  // An agent server's API and VS Code ({hostPort}-sandbox) check their callers themselves: see
  // servedWithoutSession. Its other ports (users' apps) sign in like the conversation form.
  const bool allow_anonymous =
      address && (settings_->runtime.access == RuntimeAccess::public_ || servedWithoutSession(*address, *directory_, sandboxes_.get()));
  // `request` stays valid until `done` runs (RequestGate's contract), and this gate lives as
  // long as the snapshot the waiting session holds.
  sign_in_->authenticate(request, role, allow_anonymous,
                         [this, &request, address = std::move(address), done = std::move(done)](AuthOutcome outcome) {
                           if (outcome.decision) {
                             return done(std::move(*outcome.decision));
                           }
                           forward(request, address, outcome.identity, std::move(outcome.plan), done);
                         });
}

void GatewayGate::forward(const GateRequest& request, const std::optional<RuntimeAddress>& address,
                          const std::optional<Identity>& identity, ForwardPlan plan, const Done& done) const {
  // The one place platform cookies are taken out, for every destination and whether sign-in
  // ran or not (auth.provider = "none"): sign-in reads them, nothing downstream does.
  if (!address) {
    addIdentityPrefix(plan);
    plan.cookie = auth::withoutPlatformCookies(request.cookie, auth::CookieAudience::openhands);
    if (identity && plan.user.empty()) {
      plan.user = identity->sub;
    }
    if (app_servers_) {
      // Each user's own server, picked by the session alone (no upstream.url fallback).
      return done(identity ? app_servers_->route(request, *identity, std::move(plan)) : noAppServerIdentity());
    }
    return done(GateDecision::forwardTo(std::move(plan)));
  }
  GateDecision decision = routeRuntime(*address, identity, request, *directory_, settings_->runtime, sandboxes_.get());
  if (decision.kind != GateDecision::Kind::forward) {
    return done(std::move(decision));
  }
  // The app gets neither an identity nor a platform cookie, whatever sign-in planned; a renewed
  // runtime cookie still reaches the browser.
  ForwardPlan& app = decision.forward;
  addIdentityPrefix(app);
  app.cookie = auth::withoutPlatformCookies(request.cookie, auth::CookieAudience::user_app);
  app.add_response_cookies = std::move(plan.add_response_cookies);
  app.connect_timeout = settings_->runtime.connect_timeout;
  done(std::move(decision));
}

std::optional<std::string> GatewayGate::notReadyReason() const {
  // Sign-in first: without a discovered provider nobody can sign in, whatever Docker does.
  if (sign_in_) {
    if (auto reason = sign_in_->notReadyReason()) {
      return reason;
    }
  }
  return directory_ ? directory_->notReadyReason() : std::nullopt;
}

GateAssembly::GateAssembly() = default;

GateAssembly::~GateAssembly() {
  if (directory_) {
    directory_->stop();
  }
}

std::variant<RequestGatePtr, std::string> GateAssembly::build(const SettingsPtr& settings) {
  auto sign_in = sign_in_services_.build(settings);
  if (auto* error = std::get_if<std::string>(&sign_in)) {
    return "auth: " + *error;
  }
  ContainerDirectoryPtr directory;
  if (settings->runtime.enabled) {
    if (!directory_ || !directory_settings_ || !sameRuntimeDirectory(*directory_settings_, settings->runtime)) {
      // The old directory stops when the last snapshot using it is gone (its destructor).
      directory_ = ContainerDirectory::start(settings->runtime);
      directory_settings_ = settings->runtime;
    }
    directory = directory_;
  }
  // Sandbox routes are runtime routes: without runtime.enabled there are none.
  auto sandboxes = directory ? sandboxes_ : nullptr;
  return RequestGatePtr(std::make_shared<GatewayGate>(settings, std::get<std::shared_ptr<SignIn>>(std::move(sign_in)),
                                                      std::move(directory), std::move(sandboxes), app_servers_));
}

void GateAssembly::useAppServers(control::AppServerDirectoryPtr app_servers, AccessTokenCheck signed_by) {
  app_servers_ = app_servers ? std::make_shared<const AppServerRouter>(std::move(app_servers), sandboxes_,
                                                                       std::move(signed_by))
                             : nullptr;
}

}  // namespace oh::gateway
