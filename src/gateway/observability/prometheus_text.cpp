#include "observability/prometheus_text.h"

#include <cstdio>

namespace oh::gateway::prometheus {

void appendHeader(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void appendDouble(std::string& out, double value) {
  char buffer[32];
  const int n = std::snprintf(buffer, sizeof buffer, "%.9g", value);
  if (n > 0) {
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

void observeLatency(std::span<const double> upper_bounds, std::span<Counter> buckets, Counter& sum_ns,
                    std::chrono::nanoseconds latency) {
  const std::int64_t ns = latency.count() > 0 ? latency.count() : 0;
  const double seconds = static_cast<double>(ns) / 1e9;
  std::size_t bucket = 0;
  while (bucket < upper_bounds.size() && seconds > upper_bounds[bucket]) {
    ++bucket;
  }
  buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

void appendLatencyHistogram(std::string& out, std::string_view name, std::span<const double> upper_bounds,
                            std::span<const Counter> buckets, const Counter& sum_ns) {
  std::uint64_t cumulative = 0;
  for (std::size_t bucket = 0; bucket < upper_bounds.size(); ++bucket) {
    cumulative += buckets[bucket].load(std::memory_order_relaxed);
    out += name;
    out += "_bucket{le=\"";
    appendDouble(out, upper_bounds[bucket]);
    out += "\"} ";
    out += std::to_string(cumulative);
    out += '\n';
  }
  cumulative += buckets[upper_bounds.size()].load(std::memory_order_relaxed);
  out += name;
  out += "_bucket{le=\"+Inf\"} ";
  out += std::to_string(cumulative);
  out += '\n';
  out += name;
  out += "_sum ";
  appendDouble(out, static_cast<double>(sum_ns.load(std::memory_order_relaxed)) / 1e9);
  out += '\n';
  out += name;
  out += "_count ";
  out += std::to_string(cumulative);
  out += '\n';
}

void appendSample(std::string& out, const char* name, const char* labels, std::uint64_t value) {
  out += name;
  out += labels;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

}  // namespace oh::gateway::prometheus
