// Tests for Metrics: the Prometheus text is parsed back and checked line by line.

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "observability/metrics.h"

namespace oh::gateway {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// One parsed exposition: samples by "name{labels}" and the HELP/TYPE lines by metric name.
struct Exposition {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  std::map<std::string, std::string> helps;
  std::vector<std::string> sample_order;
};

// A strict reader of the 0.0.4 text format subset we emit; fails the test on any odd line.
Exposition parse(const std::string& text) {
  Exposition out;
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "the exposition must end with a newline";
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_FALSE(line.empty()) << "blank line";
    if (line.rfind("# HELP ", 0) == 0) {
      const std::string rest = line.substr(7);
      const auto space = rest.find(' ');
      out.helps[rest.substr(0, space)] = rest.substr(space + 1);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string rest = line.substr(7);
      const auto space = rest.find(' ');
      const std::string type = rest.substr(space + 1);
      EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram") << line;
      out.types[rest.substr(0, space)] = type;
      continue;
    }
    EXPECT_NE(line[0], '#') << line;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) {
      ADD_FAILURE() << "no value: " << line;
      continue;
    }
    const std::string series = line.substr(0, space);
    const std::string value = line.substr(space + 1);
    std::size_t used = 0;
    const double number = std::stod(value, &used);
    EXPECT_EQ(used, value.size()) << line;
    EXPECT_EQ(out.samples.count(series), 0u) << "duplicate series " << series;
    out.samples[series] = number;
    out.sample_order.push_back(series);
    // Every sample belongs to a metric whose TYPE came first.
    std::string name = series.substr(0, series.find('{'));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
          out.types.count(name.substr(0, name.size() - s.size())) != 0) {
        name = name.substr(0, name.size() - s.size());
      }
    }
    EXPECT_EQ(out.types.count(name), 1u) << "no TYPE before " << line;
    EXPECT_EQ(out.helps.count(name), 1u) << "no HELP before " << line;
  }
  return out;
}

// This test verifies a fresh registry renders every metric family with zero values.
TEST(Metrics, FreshRender) {
  Metrics metrics;
  const Exposition e = parse(metrics.renderPrometheus());
  EXPECT_EQ(e.types.at("oh_gateway_requests_total"), "counter");
  EXPECT_EQ(e.types.at("oh_gateway_request_duration_seconds"), "histogram");
  EXPECT_EQ(e.types.at("oh_gateway_open_connections"), "gauge");
  EXPECT_EQ(e.types.at("oh_gateway_websocket_tunnels"), "gauge");
  EXPECT_EQ(e.types.at("oh_gateway_upstream_errors_total"), "counter");
  EXPECT_EQ(e.types.at("oh_gateway_rate_limited_total"), "counter");
  EXPECT_EQ(e.types.at("oh_gateway_origin_rejected_total"), "counter");
  EXPECT_EQ(e.samples.at("oh_gateway_open_connections"), 0);
  EXPECT_EQ(e.samples.at("oh_gateway_request_duration_seconds_count"), 0);
  EXPECT_EQ(e.samples.at("oh_gateway_request_duration_seconds_bucket{le=\"+Inf\"}"), 0);
  EXPECT_EQ(e.samples.at("oh_gateway_upstream_errors_total{kind=\"connect\"}"), 0);
}

// This test verifies requests are counted by route and code.
TEST(Metrics, RequestsByRouteAndCode) {
  Metrics metrics;
  metrics.requestFinished(RouteClass::app, 200, milliseconds(3));
  metrics.requestFinished(RouteClass::app, 200, milliseconds(4));
  metrics.requestFinished(RouteClass::app, 502, milliseconds(1));
  metrics.requestFinished(RouteClass::websocket, 101, milliseconds(10));
  metrics.requestFinished(RouteClass::rejected, 429, microseconds(5));
  const Exposition e = parse(metrics.renderPrometheus());
  EXPECT_EQ(e.samples.at(R"(oh_gateway_requests_total{route="app",code="200"})"), 2);
  EXPECT_EQ(e.samples.at(R"(oh_gateway_requests_total{route="app",code="502"})"), 1);
  EXPECT_EQ(e.samples.at(R"(oh_gateway_requests_total{route="websocket",code="101"})"), 1);
  EXPECT_EQ(e.samples.at(R"(oh_gateway_requests_total{route="rejected",code="429"})"), 1);
  EXPECT_EQ(e.samples.count(R"(oh_gateway_requests_total{route="runtime",code="200"})"), 0u);
}

// This test verifies impossible statuses and route values are absorbed, not out-of-bounds writes.
TEST(Metrics, OutOfRangeValues) {
  Metrics metrics;
  metrics.requestFinished(RouteClass::app, 0, milliseconds(1));
  metrics.requestFinished(RouteClass::app, 600, milliseconds(1));
  metrics.requestFinished(RouteClass::app, 4000000000u, milliseconds(1));
  metrics.requestFinished(static_cast<RouteClass>(77), 200, milliseconds(1));
  metrics.upstreamFailed(static_cast<UpstreamError>(9));
  metrics.requestFinished(RouteClass::gateway, 200, std::chrono::nanoseconds(-5));
  const Exposition e = parse(metrics.renderPrometheus());
  EXPECT_EQ(e.samples.at(R"(oh_gateway_requests_total{route="app",code="other"})"), 3);
  EXPECT_EQ(e.samples.at(R"(oh_gateway_requests_total{route="gateway",code="200"})"), 1);
  EXPECT_EQ(e.samples.at(R"(oh_gateway_request_duration_seconds_bucket{le="0.001"})"), 4);
}

// This test verifies the histogram is cumulative, ends with +Inf, and _count/_sum agree.
TEST(Metrics, HistogramCumulative) {
  Metrics metrics;
  metrics.requestFinished(RouteClass::app, 200, microseconds(500));   // <= 0.001
  metrics.requestFinished(RouteClass::app, 200, milliseconds(1));     // == 0.001 (le is inclusive)
  metrics.requestFinished(RouteClass::app, 200, milliseconds(20));    // <= 0.025
  metrics.requestFinished(RouteClass::app, 200, milliseconds(2000));  // <= 2.5
  metrics.requestFinished(RouteClass::app, 200, std::chrono::seconds(60));  // only +Inf
  const std::string text = metrics.renderPrometheus();
  const Exposition e = parse(text);
  auto bucket = [&](const std::string& le) {
    return e.samples.at("oh_gateway_request_duration_seconds_bucket{le=\"" + le + "\"}");
  };
  EXPECT_EQ(bucket("0.001"), 2);
  EXPECT_EQ(bucket("0.0025"), 2);
  EXPECT_EQ(bucket("0.01"), 2);
  EXPECT_EQ(bucket("0.025"), 3);
  EXPECT_EQ(bucket("1"), 3);
  EXPECT_EQ(bucket("2.5"), 4);
  EXPECT_EQ(bucket("10"), 4);
  EXPECT_EQ(bucket("+Inf"), 5);
  EXPECT_EQ(e.samples.at("oh_gateway_request_duration_seconds_count"), 5);
  EXPECT_NEAR(e.samples.at("oh_gateway_request_duration_seconds_sum"), 62.0215, 1e-6);

  // Buckets appear in increasing le order, non-decreasing, +Inf last.
  double previous_le = -1;
  double previous_count = -1;
  std::size_t seen = 0;
  for (const std::string& series : e.sample_order) {
    if (series.rfind("oh_gateway_request_duration_seconds_bucket", 0) != 0) {
      continue;
    }
    const auto start = series.find("le=\"") + 4;
    const std::string le = series.substr(start, series.find('"', start) - start);
    const double le_value = le == "+Inf" ? 1e308 : std::stod(le);
    EXPECT_GT(le_value, previous_le);
    EXPECT_GE(e.samples.at(series), previous_count);
    previous_le = le_value;
    previous_count = e.samples.at(series);
    ++seen;
  }
  EXPECT_EQ(seen, Metrics::kLatencyBuckets.size() + 1);
  EXPECT_EQ(previous_le, 1e308);
}

// This test verifies the gauges go up and down and the simple counters count.
TEST(Metrics, GaugesAndCounters) {
  Metrics metrics;
  metrics.connectionOpened();
  metrics.connectionOpened();
  metrics.connectionClosed();
  metrics.websocketOpened();
  metrics.websocketOpened();
  metrics.websocketOpened();
  metrics.websocketClosed();
  metrics.upstreamFailed(UpstreamError::connect);
  metrics.upstreamFailed(UpstreamError::timeout);
  metrics.upstreamFailed(UpstreamError::timeout);
  metrics.upstreamFailed(UpstreamError::protocol);
  metrics.rateLimited();
  metrics.originRejected();
  metrics.originRejected();
  const Exposition e = parse(metrics.renderPrometheus());
  EXPECT_EQ(e.samples.at("oh_gateway_open_connections"), 1);
  EXPECT_EQ(e.samples.at("oh_gateway_websocket_tunnels"), 2);
  EXPECT_EQ(e.samples.at(R"(oh_gateway_upstream_errors_total{kind="connect"})"), 1);
  EXPECT_EQ(e.samples.at(R"(oh_gateway_upstream_errors_total{kind="timeout"})"), 2);
  EXPECT_EQ(e.samples.at(R"(oh_gateway_upstream_errors_total{kind="reset"})"), 0);
  EXPECT_EQ(e.samples.at(R"(oh_gateway_upstream_errors_total{kind="protocol"})"), 1);
  EXPECT_EQ(e.samples.at("oh_gateway_rate_limited_total"), 1);
  EXPECT_EQ(e.samples.at("oh_gateway_origin_rejected_total"), 2);
}

// This test verifies counts from many threads add up (lock-free updates lose nothing).
TEST(Metrics, ConcurrentUpdates) {
  Metrics metrics;
  constexpr int kThreads = 4;
  constexpr int kEach = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        metrics.requestFinished(RouteClass::app, 200, microseconds(i));
        metrics.connectionOpened();
        metrics.connectionClosed();
      }
    });
  }
  // Rendering concurrently must stay well formed.
  for (int i = 0; i < 20; ++i) {
    parse(metrics.renderPrometheus());
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const Exposition e = parse(metrics.renderPrometheus());
  EXPECT_EQ(e.samples.at(R"(oh_gateway_requests_total{route="app",code="200"})"), kThreads * kEach);
  EXPECT_EQ(e.samples.at("oh_gateway_request_duration_seconds_count"), kThreads * kEach);
  EXPECT_EQ(e.samples.at("oh_gateway_open_connections"), 0);
}

// This test verifies routeClassName gives the label values.
TEST(Metrics, RouteClassNames) {
  EXPECT_STREQ(routeClassName(RouteClass::app), "app");
  EXPECT_STREQ(routeClassName(RouteClass::websocket), "websocket");
  EXPECT_STREQ(routeClassName(RouteClass::gateway), "gateway");
  EXPECT_STREQ(routeClassName(RouteClass::runtime), "runtime");
  EXPECT_STREQ(routeClassName(RouteClass::rejected), "rejected");
  EXPECT_STREQ(routeClassName(static_cast<RouteClass>(200)), "unknown");
}

// This test verifies the admin listener's documents: the one added at a path is rendered when
// asked for, freshly each time, and no other path has one.
TEST(Metrics, DocumentsByPath) {
  Metrics metrics;
  int renders = 0;
  metrics.addDocument("/appservers", [&renders] { return "{\"n\":" + std::to_string(++renders) + "}"; });
  EXPECT_EQ(metrics.renderDocument("/appservers"), std::optional<std::string>("{\"n\":1}"));
  EXPECT_EQ(metrics.renderDocument("/appservers"), std::optional<std::string>("{\"n\":2}"));
  EXPECT_EQ(metrics.renderDocument("/appservers/"), std::nullopt);
  EXPECT_EQ(metrics.renderDocument("/metrics"), std::nullopt);
  EXPECT_EQ(metrics.renderDocument(""), std::nullopt);
}

}  // namespace
}  // namespace oh::gateway
