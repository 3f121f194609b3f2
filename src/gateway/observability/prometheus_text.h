#pragma once
// Pieces of the Prometheus text exposition format 0.0.4 shared by every metrics renderer here,
// and the latency histogram they keep.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace oh::gateway::prometheus {

// "# HELP name help\n# TYPE name type\n"
void appendHeader(std::string& out, const char* name, const char* type, const char* help);

// A sample value: shortest form, up to 9 significant digits.
void appendDouble(std::string& out, double value);

// One sample line: `{name}{labels} {value}\n` (labels "" or `{key="value"}`, already escaped).
void appendSample(std::string& out, const char* name, const char* labels, std::uint64_t value);

// A latency histogram is kept as one counter per bucket (not cumulative, so an observation
// touches one counter; rendering accumulates), upper_bounds.size() + 1 of them, the last for
// +Inf, and the sum of all latencies in nanoseconds.
using Counter = std::atomic<std::uint64_t>;

// Counts one latency (a negative one as 0) in the first bucket whose upper bound it does not
// exceed, and in the sum.
void observeLatency(std::span<const double> upper_bounds, std::span<Counter> buckets, Counter& sum_ns,
                    std::chrono::nanoseconds latency);

// name_bucket{le="..."} (cumulative), name_sum (seconds) and name_count. The buckets are read
// once each and the count derived from them, so _count equals the +Inf bucket even while other
// threads keep adding.
void appendLatencyHistogram(std::string& out, std::string_view name, std::span<const double> upper_bounds,
                            std::span<const Counter> buckets, const Counter& sum_ns);

}  // namespace oh::gateway::prometheus
