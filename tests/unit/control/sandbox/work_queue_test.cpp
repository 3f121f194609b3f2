// The reconciler's queue: deduplicated, one worker per id at a time, nothing lost when an id
// is added while it is worked on, and scheduled retries.
#include "sandbox/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace oh::control {
namespace {

TEST(WorkQueue, AnIdAddedTwiceIsQueuedOnce) {
  WorkQueue queue;
  queue.add("a");
  queue.add("b");
  queue.add("a");
  EXPECT_EQ(queue.pending(), 2u);
  EXPECT_EQ(queue.get(), "a");
  EXPECT_EQ(queue.get(), "b");
  queue.done("a");
  queue.done("b");
  EXPECT_EQ(queue.pending(), 0u);
}

TEST(WorkQueue, AnIdAddedWhileInProgressComesBackAfterDone) {
  WorkQueue queue;
  queue.add("a");
  ASSERT_EQ(queue.get(), "a");
  queue.add("a");
  queue.add("b");
  EXPECT_EQ(queue.get(), "b") << "a is not handed out while in progress";
  queue.done("a");
  EXPECT_EQ(queue.get(), "a");
}

TEST(WorkQueue, ScheduledIdArrivesAfterItsDelay) {
  WorkQueue queue;
  const auto before = WorkQueue::Clock::now();
  queue.addAfter("a", std::chrono::milliseconds(30));
  queue.addAfter("a", std::chrono::milliseconds(10));  // the earlier one wins
  queue.addAfter("a", std::chrono::seconds(100));
  EXPECT_EQ(queue.get(), "a");
  EXPECT_GE(WorkQueue::Clock::now() - before, std::chrono::milliseconds(10));
  queue.done("a");
  EXPECT_EQ(queue.pending(), 0u) << "one retry per id";
}

TEST(WorkQueue, ShutDownWakesWaitingWorkers) {
  WorkQueue queue;
  std::optional<std::string> got = "unset";
  std::thread worker([&] { got = queue.get(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  queue.shutDown();
  worker.join();
  EXPECT_EQ(got, std::nullopt);
  queue.add("a");
  EXPECT_EQ(queue.pending(), 0u);
}

TEST(WorkQueue, NoIdIsWorkedOnByTwoWorkersAtOnce) {
  WorkQueue queue;
  std::atomic<int> in_progress{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> handled{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      while (auto id = queue.get()) {
        if (in_progress.fetch_add(1) != 0) {
          ++overlaps;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        in_progress.fetch_sub(1);
        ++handled;
        queue.done(*id);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    queue.add("same");
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  while (queue.pending() != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  queue.shutDown();
  for (auto& worker : workers) {
    worker.join();
  }
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GE(handled.load(), 1);
}

}  // namespace
}  // namespace oh::control
