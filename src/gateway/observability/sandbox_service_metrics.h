#pragma once
// The sandbox service's metrics (control::SandboxMetrics, issue 13) in Prometheus text, for the
// admin listener's /metrics (Metrics::addSource): sandboxes by status, the time from a start or
// resume to a running container, and what the reconciler did.

#include <string>

#include "sandbox/sandbox_service.h"

namespace oh::gateway {

std::string renderSandboxServiceMetrics(const control::SandboxMetrics& metrics);

}  // namespace oh::gateway
