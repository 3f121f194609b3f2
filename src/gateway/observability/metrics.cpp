#include "observability/metrics.h"

#include "observability/prometheus_text.h"

namespace oh::gateway {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

constexpr std::array<const char*, kRouteClassCount> kRouteNames{"app", "websocket", "gateway", "runtime",
                                                                  "rejected"};
constexpr std::array<const char*, kUpstreamErrorCount> kUpstreamErrorNames{"connect", "timeout", "reset",
                                                                             "protocol"};

// Statuses outside 100..599 (never valid on the wire) share slot 0, shown as code="other".
std::size_t statusSlot(unsigned status) { return status >= 100 && status <= 599 ? status : 0; }

using prometheus::appendDouble;
using prometheus::appendHeader;

}  // namespace

const char* routeClassName(RouteClass route) {
  const auto index = static_cast<std::size_t>(route);
  return index < kRouteClassCount ? kRouteNames[index] : "unknown";
}

void Metrics::requestFinished(RouteClass route, unsigned status, std::chrono::nanoseconds latency) {
  const auto route_index = static_cast<std::size_t>(route);
  if (route_index >= kRouteClassCount) {
    return;
  }
  requests_[route_index][statusSlot(status)].fetch_add(1, kRelaxed);

  prometheus::observeLatency(kLatencyBuckets, latency_buckets_, latency_sum_ns_, latency);
}

void Metrics::connectionOpened() { open_connections_.fetch_add(1, kRelaxed); }
void Metrics::connectionClosed() { open_connections_.fetch_sub(1, kRelaxed); }
void Metrics::websocketOpened() { open_websockets_.fetch_add(1, kRelaxed); }
void Metrics::websocketClosed() { open_websockets_.fetch_sub(1, kRelaxed); }

void Metrics::upstreamFailed(UpstreamError error) {
  const auto index = static_cast<std::size_t>(error);
  if (index < kUpstreamErrorCount) {
    upstream_errors_[index].fetch_add(1, kRelaxed);
  }
}

void Metrics::addSource(std::function<std::string()> source) { sources_.push_back(std::move(source)); }

void Metrics::addDocument(std::string path, std::function<std::string()> render) {
  documents_.emplace_back(std::move(path), std::move(render));
}

std::optional<std::string> Metrics::renderDocument(std::string_view path) const {
  for (const auto& [document_path, render] : documents_) {
    if (document_path == path) {
      return render();
    }
  }
  return std::nullopt;
}

void Metrics::rateLimited() { rate_limited_.fetch_add(1, kRelaxed); }
void Metrics::originRejected() { origin_rejected_.fetch_add(1, kRelaxed); }

std::string Metrics::renderPrometheus() const {
  std::string out;
  out.reserve(4096);

  appendHeader(out, "oh_gateway_requests_total", "counter",
               "Requests answered, by route class and HTTP status code.");
  for (std::size_t route = 0; route < kRouteClassCount; ++route) {
    for (std::size_t slot = 0; slot < kStatusSlots; ++slot) {
      const std::uint64_t count = requests_[route][slot].load(kRelaxed);
      if (count == 0) {
        continue;
      }
      out += "oh_gateway_requests_total{route=\"";
      out += kRouteNames[route];
      out += "\",code=\"";
      out += slot == 0 ? std::string("other") : std::to_string(slot);
      out += "\"} ";
      out += std::to_string(count);
      out += '\n';
    }
  }

  appendHeader(out, "oh_gateway_request_duration_seconds", "histogram",
               "Time from the request's first byte to the response's last byte.");
  prometheus::appendLatencyHistogram(out, "oh_gateway_request_duration_seconds", kLatencyBuckets, latency_buckets_,
                                     latency_sum_ns_);

  appendHeader(out, "oh_gateway_open_connections", "gauge", "Client connections currently open.");
  out += "oh_gateway_open_connections " + std::to_string(open_connections_.load(kRelaxed)) + "\n";

  appendHeader(out, "oh_gateway_websocket_tunnels", "gauge", "WebSocket tunnels currently open.");
  out += "oh_gateway_websocket_tunnels " + std::to_string(open_websockets_.load(kRelaxed)) + "\n";

  appendHeader(out, "oh_gateway_upstream_errors_total", "counter",
               "Failures to reach or read from an upstream, by kind.");
  for (std::size_t kind = 0; kind < kUpstreamErrorCount; ++kind) {
    out += "oh_gateway_upstream_errors_total{kind=\"";
    out += kUpstreamErrorNames[kind];
    out += "\"} " + std::to_string(upstream_errors_[kind].load(kRelaxed)) + "\n";
  }

  appendHeader(out, "oh_gateway_rate_limited_total", "counter", "Requests refused with 429 by the rate limiter.");
  out += "oh_gateway_rate_limited_total " + std::to_string(rate_limited_.load(kRelaxed)) + "\n";

  appendHeader(out, "oh_gateway_origin_rejected_total", "counter",
               "Requests refused with 403 for a missing or wrong origin secret.");
  out += "oh_gateway_origin_rejected_total " + std::to_string(origin_rejected_.load(kRelaxed)) + "\n";
  for (const auto& source : sources_) {
    out += source();
  }
  return out;
}

}  // namespace oh::gateway
