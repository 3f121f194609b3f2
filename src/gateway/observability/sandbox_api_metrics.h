#pragma once
// Metrics of the remote sandbox API's listener (issue 13): calls by endpoint and status, and
// their latency. Lock-free like Metrics; rendered into the admin listener's /metrics through
// Metrics::addSource. The sandbox service's own metrics (sandboxes by state, create and resume
// times, reconcile actions) are the service's to count.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace oh::gateway {

class SandboxApiMetrics {
public:
  // The endpoint names handleSandboxApi reports, and the listener's forward proxy to agent
  // servers (issue 14: its relays and refusals by status); any other name counts as "other" (last).
  static constexpr std::array<std::string_view, 9> kEndpoints{"start", "get",  "batch",       "list", "resume",
                                                              "pause", "stop", "agent_proxy", "other"};
  static constexpr std::array<double, 10> kLatencyBuckets{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 15.0};

  void callFinished(std::string_view endpoint, unsigned status, std::chrono::nanoseconds latency);
  // A connection closed on accept: its peer is neither loopback nor an app server (issue 15).
  void peerRefused() { refused_peers_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t refusedPeers() const { return refused_peers_.load(std::memory_order_relaxed); }

  // oh_sandbox_api_requests_total{endpoint,code}, oh_sandbox_api_request_duration_seconds and
  // oh_sandbox_api_refused_connections_total.
  std::string renderPrometheus() const;

private:
  static constexpr std::size_t kStatusSlots = 600;  // 100..599; slot 0 for anything else
  std::array<std::array<std::atomic<std::uint64_t>, kStatusSlots>, kEndpoints.size()> calls_{};
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> latency_buckets_{};
  std::atomic<std::uint64_t> latency_sum_ns_{0};
  std::atomic<std::uint64_t> refused_peers_{0};
};

}  // namespace oh::gateway
