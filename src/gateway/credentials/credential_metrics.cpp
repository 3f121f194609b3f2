#include "credentials/credential_metrics.h"

#include <algorithm>

#include "observability/prometheus_text.h"

namespace oh::gateway::credentials {
namespace {

void appendCounter(std::string& out, const char* name, const char* help, std::uint64_t value) {
  prometheus::appendHeader(out, name, "counter", help);
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

}  // namespace

void CredentialMetrics::requestFinished(std::string_view outcome) {
  const auto it = std::find(kOutcomes.begin(), kOutcomes.end(), outcome);
  const auto slot = it == kOutcomes.end() ? kOutcomes.size() - 1 : static_cast<std::size_t>(it - kOutcomes.begin());
  requests_[slot].fetch_add(1, std::memory_order_relaxed);
}

std::string CredentialMetrics::renderPrometheus(const CredentialCache::Stats& users,
                                                const CredentialCache::Stats& own) const {
  std::string out;
  prometheus::appendHeader(out, "oh_credentials_requests_total", "counter",
                           "Container credential requests from sandboxes, by outcome.");
  for (std::size_t i = 0; i < kOutcomes.size(); ++i) {
    out.append("oh_credentials_requests_total{outcome=\"").append(kOutcomes[i]).append("\"} ");
    out.append(std::to_string(requests_[i].load(std::memory_order_relaxed))).append("\n");
  }
  appendCounter(out, "oh_credentials_assume_role_total", "STS AssumeRole calls for users.", users.fetches);
  appendCounter(out, "oh_credentials_assume_role_failures_total", "STS AssumeRole calls that failed.", users.failures);
  appendCounter(out, "oh_credentials_cache_hits_total", "Requests answered from the per-user cache.", users.hits);
  appendCounter(out, "oh_credentials_cache_shared_total",
                "Requests that waited for an AssumeRole another request had started.", users.joined);
  appendCounter(out, "oh_credentials_stale_served_total",
                "Still-valid credentials served after a failed refresh.", users.stale);
  appendCounter(out, "oh_credentials_own_refresh_total", "Refreshes of the gateway's own credentials.", own.fetches);
  appendCounter(out, "oh_credentials_own_refresh_failures_total",
                "Refreshes of the gateway's own credentials that failed.", own.failures);
  return out;
}

}  // namespace oh::gateway::credentials
