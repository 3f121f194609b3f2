#include "observability/sandbox_api_metrics.h"

#include <gtest/gtest.h>

#include "observability/metrics.h"

namespace oh::gateway {
namespace {

using std::chrono::milliseconds;

bool hasLine(const std::string& text, const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; }

// Calls are counted by endpoint and exact status; an unknown endpoint name counts as "other",
// a status outside 100..599 as code="other".
TEST(SandboxApiMetrics, CallsByEndpointAndCode) {
  SandboxApiMetrics metrics;
  metrics.callFinished("start", 200, milliseconds(3));
  metrics.callFinished("start", 200, milliseconds(3));
  metrics.callFinished("get", 404, milliseconds(1));
  metrics.callFinished("../../x", 401, milliseconds(0));
  metrics.callFinished("list", 42, milliseconds(0));
  const std::string text = metrics.renderPrometheus();
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_api_requests_total{endpoint="start",code="200"} 2)")) << text;
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_api_requests_total{endpoint="get",code="404"} 1)"));
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_api_requests_total{endpoint="other",code="401"} 1)"));
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_api_requests_total{endpoint="list",code="other"} 1)"));
  EXPECT_EQ(text.find("../../x"), std::string::npos);
}

// The histogram is cumulative and its count equals the +Inf bucket.
TEST(SandboxApiMetrics, LatencyHistogram) {
  SandboxApiMetrics metrics;
  metrics.callFinished("start", 200, milliseconds(3));    // <= 0.005
  metrics.callFinished("resume", 200, milliseconds(700)); // <= 1
  metrics.callFinished("resume", 503, std::chrono::seconds(60));
  metrics.callFinished("get", 200, milliseconds(-5));     // counted as 0
  const std::string text = metrics.renderPrometheus();
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_api_request_duration_seconds_bucket{le="0.001"} 1)")) << text;
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_api_request_duration_seconds_bucket{le="0.005"} 2)"));
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_api_request_duration_seconds_bucket{le="1"} 3)"));
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_api_request_duration_seconds_bucket{le="15"} 3)"));
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_api_request_duration_seconds_bucket{le="+Inf"} 4)"));
  EXPECT_TRUE(hasLine(text, "oh_sandbox_api_request_duration_seconds_count 4"));
}

// Connections closed on accept (a peer that is neither loopback nor an app server) are counted.
TEST(SandboxApiMetrics, RefusedPeersCounted) {
  SandboxApiMetrics metrics;
  EXPECT_TRUE(hasLine(metrics.renderPrometheus(), "oh_sandbox_api_refused_connections_total 0"));
  metrics.peerRefused();
  metrics.peerRefused();
  EXPECT_EQ(metrics.refusedPeers(), 2u);
  EXPECT_TRUE(hasLine(metrics.renderPrometheus(), "oh_sandbox_api_refused_connections_total 2"));
}

// The gateway's /metrics carries what is added as a source, after its own metrics.
TEST(SandboxApiMetrics, RenderedThroughTheGatewayMetrics) {
  Metrics gateway;
  SandboxApiMetrics api;
  api.callFinished("list", 200, milliseconds(1));
  gateway.addSource([&api] { return api.renderPrometheus(); });
  const std::string text = gateway.renderPrometheus();
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_api_requests_total{endpoint="list",code="200"} 1)"));
  EXPECT_LT(text.find("oh_gateway_requests_total"), text.find("oh_sandbox_api_requests_total"));
}

}  // namespace
}  // namespace oh::gateway

#include "observability/sandbox_service_metrics.h"

namespace oh::gateway {
namespace {

// The service's snapshot is rendered as gauges by status, two summaries and counters by action.
TEST(SandboxServiceMetrics, Rendered) {
  control::SandboxMetrics metrics;
  metrics.sandboxes.running = 3;
  metrics.sandboxes.paused = 2;
  metrics.create = {4, 2.5};
  metrics.resume = {1, 0.75};
  metrics.reconcile.created = 5;
  metrics.reconcile.marked_paused = 1;
  const std::string text = renderSandboxServiceMetrics(metrics);
  EXPECT_TRUE(hasLine(text, R"(oh_sandboxes{status="running"} 3)")) << text;
  EXPECT_TRUE(hasLine(text, R"(oh_sandboxes{status="paused"} 2)"));
  EXPECT_TRUE(hasLine(text, R"(oh_sandboxes{status="error"} 0)"));
  EXPECT_TRUE(hasLine(text, "oh_sandbox_create_seconds_sum 2.5"));
  EXPECT_TRUE(hasLine(text, "oh_sandbox_create_seconds_count 4"));
  EXPECT_TRUE(hasLine(text, "oh_sandbox_resume_seconds_sum 0.75"));
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_reconcile_actions_total{action="created"} 5)"));
  EXPECT_TRUE(hasLine(text, R"(oh_sandbox_reconcile_actions_total{action="marked_paused"} 1)"));
  EXPECT_TRUE(text.find("# TYPE oh_sandbox_resume_seconds summary") != std::string::npos);
}

}  // namespace
}  // namespace oh::gateway
