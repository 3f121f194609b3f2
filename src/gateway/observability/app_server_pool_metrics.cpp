#include "observability/app_server_pool_metrics.h"

#include <utility>

#include "observability/prometheus_text.h"

namespace oh::gateway {
namespace {

using prometheus::appendSample;

}  // namespace

std::string renderAppServerMetrics(const control::AppServerMetrics& metrics) {
  std::string out;
  prometheus::appendHeader(out, "oh_appservers", "gauge", "Users' app servers the pool knows, by phase.");
  const auto& by = metrics.servers;
  const std::pair<const char*, std::uint64_t> phases[] = {
      {"{phase=\"stopped\"}", by.stopped},   {"{phase=\"pulling\"}", by.pulling}, {"{phase=\"creating\"}", by.creating},
      {"{phase=\"starting\"}", by.starting}, {"{phase=\"waiting\"}", by.waiting}, {"{phase=\"ready\"}", by.ready},
      {"{phase=\"failed\"}", by.failed},     {"{phase=\"at_capacity\"}", by.at_capacity}};
  for (const auto& [labels, value] : phases) {
    appendSample(out, "oh_appservers", labels, value);
  }

  prometheus::appendHeader(out, "oh_appserver_events_total", "counter", "What the app-server pool did, by event.");
  const std::pair<const char*, std::uint64_t> events[] = {
      {"{event=\"start\"}", metrics.starts},
      {"{event=\"ready\"}", metrics.ready},
      {"{event=\"failure\"}", metrics.failures},
      {"{event=\"adoption\"}", metrics.adoptions},
      {"{event=\"cull_idle\"}", metrics.culls_idle},
      {"{event=\"cull_capacity\"}", metrics.culls_capacity},
      {"{event=\"recreate\"}", metrics.recreated},
      {"{event=\"refused_at_capacity\"}", metrics.refused_at_capacity}};
  for (const auto& [labels, value] : events) {
    appendSample(out, "oh_appserver_events_total", labels, value);
  }

  prometheus::appendHeader(out, "oh_appserver_start_seconds", "summary",
                           "From the request that started a user's server to the server answering its health check.");
  out += "oh_appserver_start_seconds_sum ";
  prometheus::appendDouble(out, metrics.start_latency.seconds_sum);
  out += "\noh_appserver_start_seconds_count " + std::to_string(metrics.start_latency.count) + "\n";
  return out;
}

}  // namespace oh::gateway
