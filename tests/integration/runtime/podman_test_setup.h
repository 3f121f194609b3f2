#pragma once
// The start of every Podman test fixture's SetUp, in one place: the test skips when podman or
// busybox is missing, and otherwise gets a private Podman API service holding the test image
// (podman_fixture.h), or fails when that cannot be had.

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "podman_fixture.h"

namespace oh::testing {

// On return podman is set, or the test is skipped or has failed: the caller's SetUp returns
// then (`if (IsSkipped() || HasFatalFailure()) return;`).
inline void startPodmanOrSkip(std::unique_ptr<PodmanService>& podman) {
  if (auto why = PodmanService::unavailable()) {
    GTEST_SKIP() << *why;
  }
  podman = std::make_unique<PodmanService>();
  ASSERT_EQ(podman->start(), std::nullopt);
  ASSERT_EQ(podman->ensureImage(), std::nullopt);
}

}  // namespace oh::testing
