#pragma once
// A wall clock the test moves.

#include <atomic>

#include "common/wall_clock.h"

namespace oh::gateway::credentials::testing {

class TestClock final : public common::WallClock {
public:
  explicit TestClock(std::int64_t start) : now_(start) {}
  common::UnixSeconds now() const override { return common::UnixSeconds(std::chrono::seconds(now_.load())); }
  void advance(std::chrono::seconds by) { now_ += by.count(); }

private:
  std::atomic<std::int64_t> now_;
};

}  // namespace oh::gateway::credentials::testing
