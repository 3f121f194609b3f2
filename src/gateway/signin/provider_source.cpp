#include "signin/provider_source.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

namespace oh::gateway::signin {
namespace {

std::string discoveryUrl(std::string issuer) {
  while (!issuer.empty() && issuer.back() == '/') {
    issuer.pop_back();
  }
  return issuer + "/.well-known/openid-configuration";
}

}  // namespace

ProviderSource::ProviderSource(HttpsClient* client, Discovery discovery, const common::WallClock* clock,
                               ScheduleFn schedule)
    : client_(client), discovery_(std::move(discovery)), clock_(clock), schedule_(std::move(schedule)),
      backoff_(discovery_.initial_backoff) {}

std::shared_ptr<ProviderSource> ProviderSource::known(auth::OidcProvider provider, std::shared_ptr<JwksSource> jwks) {
  Discovery fixed;
  fixed.issuer = provider.issuer;
  std::shared_ptr<ProviderSource> source(new ProviderSource(nullptr, std::move(fixed), nullptr, nullptr));
  source->current_.store(std::make_shared<const ProviderEndpoints>(ProviderEndpoints{std::move(provider), std::move(jwks)}),
                         std::memory_order_release);
  return source;
}

std::shared_ptr<ProviderSource> ProviderSource::discover(HttpsClient& client, Discovery discovery,
                                                         const common::WallClock& clock, ScheduleFn schedule) {
  return std::shared_ptr<ProviderSource>(new ProviderSource(&client, std::move(discovery), &clock, std::move(schedule)));
}

OutboundRequest ProviderSource::discoveryRequest() const {
  OutboundRequest request;
  request.url = discoveryUrl(discovery_.issuer);
  request.headers.emplace_back("Accept", "application/json");
  return request;
}

bool ProviderSource::accept(const OutboundResult& result) {
  if (current()) {
    return true;
  }
  std::string failure;
  auto body = bodyOf200(result, "OIDC discovery");
  if (!body) {
    failure = body.error().reason;
  } else {
    auto parsed = auth::parseDiscovery(*body, {discovery_.issuer, discovery_.allow_loopback_http});
    if (!parsed) {
      failure = "discovery document refused:";
      for (const std::string& p : parsed.error()) {
        failure += " " + p + ";";
      }
      failure.pop_back();
    } else {
      auth::OidcProvider provider = std::move(parsed).value();
      provider.require_token_use_id = discovery_.require_token_use_id;
      // The JWKS is fetched when the first ID token arrives (JwksSource::ensureKey), never here:
      // this may run on the HTTPS client's own thread, where a blocking fetch cannot wait.
      auto jwks = std::make_shared<JwksSource>(*client_, provider.jwks_uri, *clock_);
      current_.store(std::make_shared<const ProviderEndpoints>(ProviderEndpoints{std::move(provider), std::move(jwks)}),
                     std::memory_order_release);
      std::lock_guard lock(mutex_);
      spdlog::info("sign-in: OIDC discovery of {} succeeded (attempt {})", discovery_.issuer, attempts_);
      last_failure_.clear();
      return true;
    }
  }
  std::lock_guard lock(mutex_);
  last_failure_ = std::move(failure);
  return false;
}

bool ProviderSource::discoverNow() {
  if (current() || client_ == nullptr || stopped_.load()) {
    return current() != nullptr;
  }
  {
    std::lock_guard lock(mutex_);
    ++attempts_;
  }
  if (accept(sendBlocking(*client_, discoveryRequest()))) {
    return true;
  }
  spdlog::warn("sign-in: {}; the gateway starts anyway and retries in the background (sign-ins get 503 until then)",
               *notReadyReason());
  return false;
}

void ProviderSource::retryInBackground() {
  if (current() || client_ == nullptr || stopped_.load()) {
    return;
  }
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    if (retrying_) {
      return;
    }
    retrying_ = true;
    delay = backoff_;
  }
  schedule_(delay, [weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->attemptAsync();
    }
  });
}

void ProviderSource::attemptAsync() {
  if (stopped_.load() || current()) {
    return;
  }
  {
    std::lock_guard lock(mutex_);
    ++attempts_;
  }
  // The client outlives this source's pending work: SignInServices stops every source before
  // its clients go, and a client ends its exchanges (calling back) before it is destroyed.
  client_->send(discoveryRequest(), [weak = weak_from_this()](OutboundResult result) {
    if (auto self = weak.lock()) {
      self->onAsyncAnswer(result);
    }
  });
}

void ProviderSource::onAsyncAnswer(const OutboundResult& result) {
  if (stopped_.load()) {
    return;
  }
  if (accept(result)) {
    std::lock_guard lock(mutex_);
    retrying_ = false;
    return;
  }
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    backoff_ = std::min(backoff_ * 2, discovery_.max_backoff);
    delay = backoff_;
    spdlog::warn("sign-in: OIDC discovery attempt {} failed: {}; next in {} ms", attempts_, last_failure_,
                 delay.count());
  }
  schedule_(delay, [weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->attemptAsync();
    }
  });
}

void ProviderSource::stop() { stopped_.store(true); }

std::optional<std::string> ProviderSource::notReadyReason() const {
  if (current()) {
    return std::nullopt;
  }
  std::lock_guard lock(mutex_);
  return "auth.oidc.issuer: OIDC discovery of " + discovery_.issuer + " failed: " + last_failure_;
}

std::chrono::seconds ProviderSource::retryAfter() const {
  std::lock_guard lock(mutex_);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(backoff_ + std::chrono::milliseconds(999));
  return std::max(seconds, std::chrono::seconds(1));
}

}  // namespace oh::gateway::signin
