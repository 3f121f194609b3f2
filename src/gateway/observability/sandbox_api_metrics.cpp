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
  const std::int64_t ns = latency.count() > 0 ? latency.count() : 0;
  const double seconds = static_cast<double>(ns) / 1e9;
  std::size_t bucket = 0;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) {
    ++bucket;
  }
  latency_buckets_[bucket].fetch_add(1, kRelaxed);
  latency_sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), kRelaxed);
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
  std::uint64_t cumulative = 0;
  for (std::size_t bucket = 0; bucket < kLatencyBuckets.size(); ++bucket) {
    cumulative += latency_buckets_[bucket].load(kRelaxed);
    out += "oh_sandbox_api_request_duration_seconds_bucket{le=\"";
    prometheus::appendDouble(out, kLatencyBuckets[bucket]);
    out += "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += latency_buckets_[kLatencyBuckets.size()].load(kRelaxed);
  out += "oh_sandbox_api_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(cumulative);
  out += "\noh_sandbox_api_request_duration_seconds_sum ";
  prometheus::appendDouble(out, static_cast<double>(latency_sum_ns_.load(kRelaxed)) / 1e9);
  out += "\noh_sandbox_api_request_duration_seconds_count " + std::to_string(cumulative) + "\n";
  prometheus::appendHeader(out, "oh_sandbox_api_refused_connections_total", "counter",
                           "Connections to the sandbox API closed unread: the peer is neither loopback nor an app server.");
  out += "oh_sandbox_api_refused_connections_total " + std::to_string(refusedPeers()) + "\n";
  return out;
}

}  // namespace oh::gateway
