#pragma once
// How long a start waits between health probes of a server that does not answer yet. The user
// is waiting on the start page for exactly this moment, so a fresh container is probed often: a
// server that becomes ready is noticed within tens of milliseconds, not up to a whole configured
// interval later. A start that drags on backs off to the configured interval, so a slow or stuck
// server is not probed forty times a second until start_timeout. A probe of a server not yet
// listening is one refused connect on the user's bridge: cheap even at the fast rate.

#include <algorithm>
#include <chrono>

namespace oh::control {

struct HealthProbeStep {
  std::chrono::milliseconds until_started_for;  // applies while the container has run less than this
  std::chrono::milliseconds delay;
};

// The steps before the configured interval takes over (never slower than it: each is capped).
inline constexpr HealthProbeStep kFreshStartProbeSteps[] = {
    {std::chrono::seconds(5), std::chrono::milliseconds(25)},
    {std::chrono::seconds(30), std::chrono::milliseconds(100)},
};

// The wait before the next probe, `started_for` after the container was started.
constexpr std::chrono::milliseconds healthProbeDelay(std::chrono::steady_clock::duration started_for,
                                                     std::chrono::milliseconds configured) {
  for (const HealthProbeStep& step : kFreshStartProbeSteps) {
    if (started_for < step.until_started_for) {
      return std::min(step.delay, configured);
    }
  }
  return configured;
}

}  // namespace oh::control
