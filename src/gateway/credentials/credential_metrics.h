#pragma once
// Metrics of the container credential endpoint (issue 15), rendered into the admin listener's
// /metrics: requests by outcome, AssumeRole calls and failures, cache hits and shared fetches,
// and the gateway's own credential refreshes.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "credentials/credential_cache.h"

namespace oh::gateway::credentials {

class CredentialMetrics {
public:
  static constexpr std::array<std::string_view, 6> kOutcomes{"ok",        "unauthorized", "forbidden",
                                                             "not_found", "bad_request",  "unavailable"};

  void requestFinished(std::string_view outcome);

  // oh_credentials_requests_total{outcome}; the users' cache as oh_credentials_assume_role_*
  // and oh_credentials_cache_*; the gateway's own as oh_credentials_own_refresh_*.
  std::string renderPrometheus(const CredentialCache::Stats& users, const CredentialCache::Stats& own) const;

private:
  std::array<std::atomic<std::uint64_t>, kOutcomes.size()> requests_{};
};

}  // namespace oh::gateway::credentials
