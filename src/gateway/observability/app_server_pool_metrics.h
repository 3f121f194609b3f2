#pragma once
// The app-server pool's metrics (control::AppServerMetrics, issue 14) in Prometheus text, for
// the admin listener's /metrics (Metrics::addSource): users' servers by phase, what the pool
// did (starts, failures, adoptions, culls) and the time from a start to a ready server.

#include <string>

#include "appserver/app_server_metrics.h"

namespace oh::gateway {

std::string renderAppServerMetrics(const control::AppServerMetrics& metrics);

}  // namespace oh::gateway
