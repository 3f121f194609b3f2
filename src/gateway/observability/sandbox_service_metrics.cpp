#include "observability/sandbox_service_metrics.h"

#include <utility>

#include "observability/prometheus_text.h"

namespace oh::gateway {
namespace {

using prometheus::appendSample;

void appendSummary(std::string& out, const char* name, const char* help, const control::SandboxMetrics::Latency& latency) {
  prometheus::appendHeader(out, name, "summary", help);
  out += name;
  out += "_sum ";
  prometheus::appendDouble(out, latency.seconds_sum);
  out += '\n';
  out += name;
  out += "_count " + std::to_string(latency.count) + "\n";
}

}  // namespace

std::string renderSandboxServiceMetrics(const control::SandboxMetrics& metrics) {
  std::string out;
  prometheus::appendHeader(out, "oh_sandboxes", "gauge", "Recorded sandboxes, by the status the API reports.");
  appendSample(out, "oh_sandboxes", "{status=\"starting\"}", metrics.sandboxes.starting);
  appendSample(out, "oh_sandboxes", "{status=\"running\"}", metrics.sandboxes.running);
  appendSample(out, "oh_sandboxes", "{status=\"paused\"}", metrics.sandboxes.paused);
  appendSample(out, "oh_sandboxes", "{status=\"error\"}", metrics.sandboxes.error);

  appendSummary(out, "oh_sandbox_create_seconds", "From /start of a new sandbox to its container observed running.",
                metrics.create);
  appendSummary(out, "oh_sandbox_resume_seconds",
                "From /resume to its container observed running (started, or re-created when missing).", metrics.resume);

  prometheus::appendHeader(out, "oh_sandbox_reconcile_actions_total", "counter",
                           "What the reconciler did to containers and records, by action.");
  const auto& actions = metrics.reconcile;
  const std::pair<const char*, std::uint64_t> samples[] = {
      {"{action=\"created\"}", actions.created},       {"{action=\"started\"}", actions.started},
      {"{action=\"stopped\"}", actions.stopped},       {"{action=\"removed\"}", actions.removed},
      {"{action=\"marked_paused\"}", actions.marked_paused}, {"{action=\"retried\"}", actions.retried},
      {"{action=\"failed\"}", actions.failed}};
  for (const auto& [labels, value] : samples) {
    appendSample(out, "oh_sandbox_reconcile_actions_total", labels, value);
  }
  return out;
}

}  // namespace oh::gateway
