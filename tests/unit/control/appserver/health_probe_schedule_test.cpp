// The health-probe schedule of a start: fast while the container is fresh, backing off step by
// step, the configured interval once the start drags on, and never slower than that interval.

#include <gtest/gtest.h>

#include <chrono>

#include "appserver/health_probe_schedule.h"

namespace oh::control {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kConfigured{500};

TEST(HealthProbeSchedule, AFreshContainerIsProbedEvery25Ms) {
  EXPECT_EQ(healthProbeDelay(milliseconds(0), kConfigured), milliseconds(25));
  EXPECT_EQ(healthProbeDelay(milliseconds(4999), kConfigured), milliseconds(25));
}

TEST(HealthProbeSchedule, BacksOffAfterFiveSecondsThenToTheConfiguredIntervalAfterThirty) {
  EXPECT_EQ(healthProbeDelay(seconds(5), kConfigured), milliseconds(100));
  EXPECT_EQ(healthProbeDelay(milliseconds(29999), kConfigured), milliseconds(100));
  EXPECT_EQ(healthProbeDelay(seconds(30), kConfigured), kConfigured);
  EXPECT_EQ(healthProbeDelay(std::chrono::minutes(4), kConfigured), kConfigured);
}

TEST(HealthProbeSchedule, NeverSlowerThanTheConfiguredInterval) {
  EXPECT_EQ(healthProbeDelay(milliseconds(0), milliseconds(10)), milliseconds(10));
  EXPECT_EQ(healthProbeDelay(seconds(10), milliseconds(60)), milliseconds(60));
  EXPECT_EQ(healthProbeDelay(seconds(60), milliseconds(1)), milliseconds(1));
}

TEST(HealthProbeSchedule, NeverFasterAsTheStartGoesOn) {
  milliseconds previous{0};
  for (milliseconds at{0}; at < seconds(40); at += milliseconds(250)) {
    const milliseconds delay = healthProbeDelay(at, kConfigured);
    EXPECT_GE(delay, previous) << "at " << at.count() << " ms";
    EXPECT_GT(delay, milliseconds(0)) << "no busy loop, at " << at.count() << " ms";
    previous = delay;
  }
}

// A steady_clock duration in its own (finer) unit is what the pool passes.
TEST(HealthProbeSchedule, TakesTheSteadyClocksOwnDuration) {
  const auto just_before_five_seconds = std::chrono::steady_clock::duration(seconds(5)) - std::chrono::nanoseconds(1);
  EXPECT_EQ(healthProbeDelay(just_before_five_seconds, kConfigured), milliseconds(25));
}

}  // namespace
}  // namespace oh::control
