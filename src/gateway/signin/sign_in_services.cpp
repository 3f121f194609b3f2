// SignInServices::build: reads the key files, the client secret and the users file, derives or
// discovers the provider, and keeps what must survive reloads (HTTPS client, JWKS cache,
// opened-session cache, ticket replay cache, login throttle, password-hashing threads).

#include <cstdlib>
#include <map>
#include <mutex>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "auth/key_file.h"
#include "auth/local_users.h"
#include "auth/oidc_provider.h"
#include "outbound/blocking_pool.h"
#include "signin/delayed_runner.h"
#include "signin/gateway_sign_in.h"
#include "signin/provider_source.h"
#include "signin/sign_in.h"

namespace oh::gateway {
namespace {

using signin::JwksSource;

constexpr const char* kClientSecretEnv = "OH_GATEWAY_CLIENT_SECRET";

}  // namespace

struct SignInServices::State {
  SignInDependencies deps;
  std::mutex build_mutex;  // build() is not re-entrant (start-up and SIGHUP may race in tests)
  std::shared_ptr<signin::LongLivedState> long_lived;
  std::string cookie_keys;  // the key material the session cache was filled with
  // Declared before the clients: members are destroyed in reverse order, so every client (and
  // the pool) stops first, ending pending callbacks while the sources they touch still exist.
  std::map<std::string, std::shared_ptr<JwksSource>> jwks_sources;  // by client + JWKS URL
  // The OIDC provider being (or once) discovered, by client + issuer + options; only the one
  // the latest configuration uses is kept, and it is stopped before anything else goes.
  std::pair<std::string, std::shared_ptr<signin::ProviderSource>> discovery;
  // Default scheduler (discovery retries): shut down first (~State), destroyed after the clients,
  // whose last callbacks may still call it (it then drops the job).
  std::unique_ptr<signin::DelayedRunner> runner;
  std::vector<std::unique_ptr<HttpsClient>> retired_clients;        // may still serve old SignIns
  std::unique_ptr<HttpsClient> client;
  std::tuple<std::string, std::int64_t, bool> client_options{};
  bool default_pool = false;  // submit_blocking is ours: create the pool with the first local sign-in
  std::unique_ptr<BlockingPool> pool;

  ~State() {
    // No retry may start once destruction begins: stop the discovery, then the scheduler; the
    // clients (destroyed next) call their pending callbacks, which find both stopped.
    if (discovery.second) {
      discovery.second->stop();
    }
    if (runner) {
      runner->shutdown();
    }
  }

  HttpsClient* clientFor(const HttpsClient::Options& options, std::string& problem) {
    const auto wanted = std::make_tuple(options.ca_file, static_cast<std::int64_t>(options.timeout.count()),
                                        options.allow_loopback_http);
    if (client && client_options == wanted) {
      return client.get();
    }
    auto made = deps.make_client(options);
    if (auto* reason = std::get_if<std::string>(&made)) {
      problem = "auth.ca_file: " + *reason;
      return nullptr;
    }
    if (client) {
      retired_clients.push_back(std::move(client));
    }
    client = std::move(std::get<std::unique_ptr<HttpsClient>>(made));
    client_options = wanted;
    return client.get();
  }
};

SignInServices::SignInServices() : SignInServices(SignInDependencies{}) {}

SignInServices::SignInServices(SignInDependencies dependencies) : state_(std::make_unique<State>()) {
  if (!dependencies.clock) {
    dependencies.clock = std::make_shared<common::SystemWallClock>();
  }
  if (!dependencies.random) {
    dependencies.random = std::make_shared<common::SystemRandomSource>();
  }
  if (!dependencies.make_client) {
    dependencies.make_client = [](const HttpsClient::Options& options) { return HttpsClient::create(options); };
  }
  State* state = state_.get();
  if (!dependencies.submit_blocking) {
    state_->default_pool = true;
    // Two argon2id checks at once (64 MiB each) and a short queue: a burst beyond that gets 503.
    dependencies.submit_blocking = [state](std::function<void()> job) {
      return state->pool->submit(std::move(job));
    };
  }
  if (!dependencies.schedule) {
    dependencies.schedule = [state](std::chrono::milliseconds delay, std::function<void()> job) {
      state->runner->after(delay, std::move(job));
    };
    state_->runner = std::make_unique<signin::DelayedRunner>();
  }
  state_->deps = std::move(dependencies);
  state_->long_lived = std::make_shared<signin::LongLivedState>(state_->deps.clock, state_->deps.random);
  state_->long_lived->submit_blocking = state_->deps.submit_blocking;
}

SignInServices::~SignInServices() = default;

std::variant<std::shared_ptr<SignIn>, std::string> SignInServices::build(const SettingsPtr& settings_ptr) {
  const Settings& settings = *settings_ptr;
  const AuthSettings& auth_settings = settings.auth;
  std::lock_guard lock(state_->build_mutex);
  if (auth_settings.provider == AuthProvider::none) {
    if (state_->discovery.second) {
      state_->discovery.second->stop();  // no sign-in any more: end its retry loop
      state_->discovery = {};
    }
    return std::shared_ptr<SignIn>();
  }

  signin::SignInSetup setup;
  setup.provider = auth_settings.provider;
  setup.https = auth_settings.cookie_secure;
  setup.session_lifetime = std::chrono::duration_cast<std::chrono::seconds>(auth_settings.session_lifetime);
  if (settings.runtime.enabled) {
    setup.runtime_suffixes = settings.runtime.host_suffixes;
  }

  auto current_key = auth::readKeyFile(auth_settings.cookie_key_file);
  if (!current_key) {
    return "auth.cookie_key_file: " + current_key.error().reason;
  }
  std::optional<std::string> previous_key;
  if (!auth_settings.cookie_previous_key_file.empty()) {
    auto previous = auth::readKeyFile(auth_settings.cookie_previous_key_file);
    if (!previous) {
      return "auth.cookie_previous_key_file: " + previous.error().reason;
    }
    previous_key = std::move(previous).value();
  }
  const std::string key_material = *current_key + previous_key.value_or("");
  auto box = auth::SealedBox::create(*current_key, previous_key);
  if (!box) {
    return "auth.cookie_key_file: " + box.error().reason;
  }
  setup.box = std::make_shared<const auth::SealedBox>(std::move(box).value());

  if (!auth_settings.ticket_key_file.empty()) {
    auto ticket_key = auth::readKeyFile(auth_settings.ticket_key_file);
    if (!ticket_key) {
      return "auth.ticket_key_file: " + ticket_key.error().reason;
    }
    if (*ticket_key == *current_key || (previous_key && *ticket_key == *previous_key)) {
      return std::string("auth.ticket_key_file: holds the same key as a cookie key file (one key, one purpose)");
    }
    setup.ticket_key = std::move(ticket_key).value();
  }

  if (auth_settings.provider == AuthProvider::local) {
    auto users = signin::UsersFileSource::load(
        auth_settings.users_file, auth::PasswordHashParams::interactive(), *current_key,
        previous_key ? std::optional<std::string_view>(*previous_key) : std::nullopt);
    if (auto* problem = std::get_if<std::string>(&users)) {
      return "auth.users_file: " + *problem;
    }
    setup.users = std::get<std::shared_ptr<signin::UsersFileSource>>(std::move(users));
    if (setup.users->current()->by_name.empty()) {
      spdlog::warn("auth.users_file: no accounts yet; create one with `oh-gateway users add NAME --file {}`",
                   auth_settings.users_file);
    }
    if (state_->default_pool && !state_->pool) {
      state_->pool = std::make_unique<BlockingPool>(2, 32);
    }
  } else {
    HttpsClient::Options options;
    options.ca_file = auth_settings.ca_file;
    options.timeout = auth_settings.http_timeout;
    options.allow_loopback_http = settings.mode == Mode::local;
    std::string problem;
    HttpsClient* client = state_->clientFor(options, problem);
    if (client == nullptr) {
      return problem;
    }
    setup.client = client;

    std::string secret;
    if (!auth_settings.client_secret_file.empty()) {
      auto read = auth::readSecretFile(auth_settings.client_secret_file);
      if (!read) {
        return "auth.client_secret_file: " + read.error().reason;
      }
      secret = std::move(read).value();
    } else if (const char* env = std::getenv(kClientSecretEnv); env != nullptr && *env != '\0') {
      secret = env;
    }

    // The provider last: nothing after it can fail, so a discovery started here is the one the
    // published configuration uses.
    if (auth_settings.provider == AuthProvider::cognito) {
      auto derived = auth::cognitoProvider({auth_settings.cognito.region, auth_settings.cognito.user_pool_id,
                                            auth_settings.cognito.domain_prefix});
      if (!derived) {
        std::string problems;
        for (const std::string& p : derived.error()) {
          problems += (problems.empty() ? "auth.cognito." : "; auth.cognito.") + p;
        }
        return problems;
      }
      auth::OidcProvider provider = std::move(derived).value();
      // One JWKS cache per (client, JWKS URL), kept across reloads: keys and rate limit survive.
      const std::string source_key = fmt::format("{}|{}", static_cast<const void*>(client), provider.jwks_uri);
      std::shared_ptr<JwksSource>& source = state_->jwks_sources[source_key];
      if (!source) {
        source = std::make_shared<JwksSource>(*client, provider.jwks_uri, *state_->deps.clock);
      }
      setup.endpoints = signin::ProviderSource::known(std::move(provider), source);
    } else {
      // Discovered once per (client, issuer, options) and kept across reloads; an unreachable
      // provider is retried in the background instead of failing the build (and the start).
      signin::ProviderSource::Discovery discovery;
      discovery.issuer = auth_settings.oidc.issuer;
      discovery.allow_loopback_http = settings.mode == Mode::local;
      discovery.require_token_use_id = auth_settings.oidc.require_token_use_id;
      const std::string discovery_key =
          fmt::format("{}|{}|{}|{}", static_cast<const void*>(client), discovery.issuer, discovery.allow_loopback_http,
                      discovery.require_token_use_id);
      if (!state_->discovery.second || state_->discovery.first != discovery_key) {
        if (state_->discovery.second) {
          state_->discovery.second->stop();  // older snapshots keep what it found, if anything
        }
        state_->discovery = {discovery_key, signin::ProviderSource::discover(*client, std::move(discovery),
                                                                             *state_->deps.clock, state_->deps.schedule)};
      }
      setup.endpoints = state_->discovery.second;
      if (!setup.endpoints->discoverNow()) {
        setup.endpoints->retryInBackground();
      }
    }
    if (const auto endpoints = setup.endpoints->current(); endpoints && endpoints->jwks->cache().keyCount() == 0) {
      auto fetched = endpoints->jwks->cache().refresh(true);
      if (!fetched) {
        // Not fatal: sign-ins fail until the provider answers, and the next unknown kid retries.
        spdlog::warn("sign-in: JWKS not loaded from {}: {}", endpoints->provider.jwks_uri, fetched.error().reason);
      }
    }

    auth::SignInConfig flow;  // its provider is filled in by the sign-in once known
    flow.client = {auth_settings.client_id, std::move(secret)};
    flow.callback_hosts = auth_settings.callback_hosts;
    flow.https = auth_settings.cookie_secure;
    flow.scope = auth_settings.scope;
    flow.leeway = auth_settings.leeway;
    flow.session_lifetime = setup.session_lifetime;
    setup.flow = std::move(flow);
  }

  if (auth_settings.provider != AuthProvider::oidc && state_->discovery.second) {
    // The new configuration uses no OIDC provider: end a retry loop nothing will use.
    state_->discovery.second->stop();
    state_->discovery = {};
  }
  if (state_->cookie_keys != key_material) {
    // Sessions opened with a retired key must not stay trusted from the cache.
    state_->long_lived->sessions.clear();
    state_->cookie_keys = key_material;
  }
  spdlog::info("sign-in: provider {} {}{}",
               auth_settings.provider == AuthProvider::local     ? "local"
               : auth_settings.provider == AuthProvider::cognito ? "cognito"
                                                                 : "oidc",
               setup.endpoints && !setup.endpoints->current() ? "waiting for discovery" : "ready",
               setup.ticket_key ? " (runtime hand-off on)" : "");
  return signin::makeGatewaySignIn(state_->long_lived, std::move(setup));
}

}  // namespace oh::gateway
