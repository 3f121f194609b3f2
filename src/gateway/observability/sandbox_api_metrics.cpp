#include "observability/sandbox_api_metrics.h"

#include "observability/prometheus_text.h"

namespace oh::gateway {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

std::size_t endpointIndex(std::string_view endpoint) {
  for (std::size_t i = 0; i < SandboxApiMetrics::kEndpoints.size(); ++i) {
    if (SandboxApiMetrics::kEndpoints[i] == endpoint) {
      return i;
    }
  }
  return SandboxApiMetrics::kEndpoints.size() - 1;  // "other"
}

}  // namespace

void SandboxApiMetrics::callFinished(std::string_view endpoint, unsigned status, std::chrono::nanoseconds latency) {
  calls_[endpointIndex(endpoint)][status >= 100 && status < kStatusSlots ? status : 0].fetch_add(1, kRelaxed);
  prometheus::observeLatency(kLatencyBuckets, latency_buckets_, latency_sum_ns_, latency);
}

std::string SandboxApiMetrics::renderPrometheus() const {
  std::string out;
  prometheus::appendHeader(out, "oh_sandbox_api_requests_total", "counter",
                           "Remote sandbox API calls answered, by endpoint and HTTP status code.");
  for (std::size_t endpoint = 0; endpoint < kEndpoints.size(); ++endpoint) {
    for (std::size_t slot = 0; slot < kStatusSlots; ++slot) {
      const std::uint64_t count = calls_[endpoint][slot].load(kRelaxed);
      if (count == 0) {
        continue;
      }
      out += "oh_sandbox_api_requests_total{endpoint=\"";
      out += kEndpoints[endpoint];
      out += "\",code=\"";
      out += slot == 0 ? std::string("other") : std::to_string(slot);
      out += "\"} " + std::to_string(count) + "\n";
    }
  }
  prometheus::appendHeader(out, "oh_sandbox_api_request_duration_seconds", "histogram",
                           "Time to answer one remote sandbox API call (head read to reply written).");
  prometheus::appendLatencyHistogram(out, "oh_sandbox_api_request_duration_seconds", kLatencyBuckets,
                                     latency_buckets_, latency_sum_ns_);
  prometheus::appendHeader(out, "oh_sandbox_api_refused_connections_total", "counter",
                           "Connections to the sandbox API closed unread: the peer is neither loopback nor an app server.");
  out += "oh_sandbox_api_refused_connections_total " + std::to_string(refusedPeers()) + "\n";
  return out;
}

}  // namespace oh::gateway
