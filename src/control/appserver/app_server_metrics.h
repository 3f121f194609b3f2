#pragma once
// What the gateway renders as Prometheus metrics about users' app servers (a snapshot; the
// counters only grow), like SandboxMetrics.

#include <cstdint>

namespace oh::control {

struct AppServerMetrics {
  // Gauges: the servers the pool knows, by phase.
  struct ByPhase {
    std::uint64_t stopped = 0, pulling = 0, creating = 0, starting = 0, waiting = 0, ready = 0, failed = 0,
                  at_capacity = 0;
  } servers;

  // Counters.
  std::uint64_t starts = 0;        // starts begun (a created or re-used container)
  std::uint64_t ready = 0;         // starts that reached ready
  std::uint64_t failures = 0;      // starts that failed
  std::uint64_t adoptions = 0;     // running containers adopted at start (a gateway restart)
  std::uint64_t culls_idle = 0;    // stopped after idle_timeout
  std::uint64_t culls_capacity = 0;  // stopped to make room (least recently used idle one)
  std::uint64_t recreated = 0;     // a stopped container of another spec or version re-created
  std::uint64_t refused_at_capacity = 0;  // ensure() answered at_capacity

  // From the start's request to ready (the start page's wait).
  struct Latency {
    std::uint64_t count = 0;
    double seconds_sum = 0;
  } start_latency;
};

}  // namespace oh::control
