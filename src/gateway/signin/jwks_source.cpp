#include "signin/jwks_source.h"

#include <future>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace oh::gateway::signin {

OutboundResult sendBlocking(HttpsClient& client, OutboundRequest request) {
  auto answer = std::make_shared<std::promise<OutboundResult>>();
  std::future<OutboundResult> result = answer->get_future();
  client.send(std::move(request), [answer](OutboundResult r) { answer->set_value(std::move(r)); });
  return result.get();
}

auth::Result<std::string> bodyOf200(const OutboundResult& result, std::string_view what) {
  if (const auto* reason = std::get_if<std::string>(&result)) {
    return auth::failure(fmt::format("{}: {}", what, *reason));
  }
  const auto& response = std::get<OutboundResponse>(result);
  if (response.status != 200) {
    return auth::failure(fmt::format("{}: HTTP status {}", what, response.status));
  }
  return response.body;
}

JwksSource::JwksSource(HttpsClient& client, std::string jwks_uri, const common::WallClock& clock)
    : client_(client), uri_(std::move(jwks_uri)), cache_(*this, clock) {}

auth::Result<std::string> JwksSource::fetchJwks() {
  OutboundRequest request;
  request.url = uri_;
  request.headers.emplace_back("Accept", "application/json");
  return bodyOf200(sendBlocking(client_, std::move(request)), "JWKS fetch");
}

void JwksSource::ensureKey(std::string_view kid, std::function<void()> then) {
  if (kid.empty() || cache_.findCached(kid) || !cache_.claimRefetch()) {
    then();
    return;
  }
  spdlog::info("sign-in: ID token signed with a key not in the JWKS cache; fetching {}", uri_);
  OutboundRequest request;
  request.url = uri_;
  request.headers.emplace_back("Accept", "application/json");
  // `this` outlives the call: the client is destroyed before the sources it serves (and its
  // destructor ends pending exchanges with an error, which runs this callback first).
  client_.send(std::move(request), [this, then = std::move(then)](OutboundResult result) {
    auto applied = cache_.applyFetch(bodyOf200(result, "JWKS refetch"));
    if (!applied) {
      spdlog::warn("sign-in: JWKS refetch failed, keeping the cached keys: {}", applied.error().reason);
    }
    then();
  });
}

}  // namespace oh::gateway::signin
