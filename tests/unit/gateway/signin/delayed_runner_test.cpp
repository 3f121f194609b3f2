// The default scheduler of the sign-in's background work (signin/delayed_runner.h): a job runs
// on the runner's own thread, jobs not yet due are dropped at shutdown, and nothing is accepted
// after it.

#include "signin/delayed_runner.h"

#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

namespace oh::gateway::signin {
namespace {

// This test verifies a due job runs once, on another thread than the caller's.
TEST(DelayedRunnerTest, RunsDueJobOnItsThread) {
  DelayedRunner runner;
  std::promise<std::thread::id> ran;
  auto where = ran.get_future();
  runner.after(std::chrono::milliseconds(0), [&ran] { ran.set_value(std::this_thread::get_id()); });
  ASSERT_EQ(where.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_NE(where.get(), std::this_thread::get_id());
}

// This test verifies a job can schedule the next one (the retry loop does), and shutdown drops
// jobs not yet due and refuses new ones.
TEST(DelayedRunnerTest, ChainsAndDropsAtShutdown) {
  std::atomic<int> runs{0};
  std::promise<void> second;
  auto second_ran = second.get_future();
  {
    DelayedRunner runner;
    runner.after(std::chrono::milliseconds(0), [&] {
      ++runs;
      runner.after(std::chrono::milliseconds(0), [&] {
        ++runs;
        second.set_value();
      });
    });
    ASSERT_EQ(second_ran.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    runner.after(std::chrono::hours(1), [&] { ++runs; });
    runner.shutdown();
    runner.after(std::chrono::milliseconds(0), [&] { ++runs; });
  }
  EXPECT_EQ(runs.load(), 2);
}

}  // namespace
}  // namespace oh::gateway::signin
