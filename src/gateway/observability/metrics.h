#pragma once
// The gateway's Prometheus metrics, served as text on the admin listener. Updates are lock-free
// (relaxed atomics) so the request path pays a few nanoseconds; rendering reads a snapshot.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <string>
#include <vector>

namespace oh::gateway {

// What kind of request a metric counts; keeps label cardinality fixed.
enum class RouteClass : std::uint8_t { app, websocket, gateway, runtime, rejected };
inline constexpr std::size_t kRouteClassCount = 5;

// The label value of a route class: "app", "websocket", "gateway", "runtime", "rejected".
const char* routeClassName(RouteClass route);

// Why the gateway failed to reach the upstream.
enum class UpstreamError : std::uint8_t { connect, timeout, reset, protocol };
inline constexpr std::size_t kUpstreamErrorCount = 4;

class Metrics {
public:
  // Fixed latency buckets in seconds (Prometheus histogram, cumulative on render).
  static constexpr std::array<double, 12> kLatencyBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                          0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

  // Counts one answered request and its latency (negative latencies count as 0).
  void requestFinished(RouteClass route, unsigned status, std::chrono::nanoseconds latency);
  void connectionOpened();
  void connectionClosed();
  void websocketOpened();
  void websocketClosed();
  void upstreamFailed(UpstreamError error);
  void rateLimited();
  void originRejected();

  // Another part's metrics (the sandbox API and service), complete exposition text appended to
  // renderPrometheus(). Added before the admin listener starts; each must outlive it.
  void addSource(std::function<std::string()> source);

  // A JSON document the admin listener serves at `path` (GET, e.g. "/appservers": operators'
  // listings). Added before the admin listener starts; each must outlive it.
  void addDocument(std::string path, std::function<std::string()> render);
  // The document at `path` rendered now, or nullopt when none is there.
  std::optional<std::string> renderDocument(std::string_view path) const;

  // Prometheus text exposition format 0.0.4.
  std::string renderPrometheus() const;

private:
  // One counter per status code 100..599 (slot 0: anything else); rendered only when non-zero.
  static constexpr std::size_t kStatusSlots = 600;
  std::array<std::array<std::atomic<std::uint64_t>, kStatusSlots>, kRouteClassCount> requests_{};
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> latency_buckets_{};
  std::atomic<std::uint64_t> latency_sum_ns_{0};
  std::atomic<std::int64_t> open_connections_{0};
  std::atomic<std::int64_t> open_websockets_{0};
  std::array<std::atomic<std::uint64_t>, kUpstreamErrorCount> upstream_errors_{};
  std::atomic<std::uint64_t> rate_limited_{0};
  std::atomic<std::uint64_t> origin_rejected_{0};
  std::vector<std::function<std::string()>> sources_;
  std::vector<std::pair<std::string, std::function<std::string()>>> documents_;
};

}  // namespace oh::gateway
