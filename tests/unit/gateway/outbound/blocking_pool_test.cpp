#include "outbound/blocking_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace oh::gateway {
namespace {

// A gate jobs wait on, so tests control when running jobs finish (no sleeps, no timings).
class Gate {
public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return open_; });
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

// Counts jobs that have started, and lets a test wait for a number of them.
class Started {
public:
  void arrive() {
    {
      std::lock_guard lock(mutex_);
      ++count_;
    }
    changed_.notify_all();
  }
  void waitFor(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard lock(mutex_);
    return count_;
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

// This test verifies that submitted jobs run, off the caller's thread.
TEST(BlockingPoolTest, RunsJobsOnItsThreads) {
  BlockingPool pool(2, 8);
  std::promise<std::thread::id> ran_on;
  auto ran = ran_on.get_future();
  ASSERT_TRUE(pool.submit([&] { ran_on.set_value(std::this_thread::get_id()); }));
  EXPECT_NE(ran.get(), std::this_thread::get_id());
}

// This test verifies that exactly `threads` jobs run at once and the rest wait in the queue.
TEST(BlockingPoolTest, RunsAtMostThreadsJobsAtOnce) {
  Gate gate;
  Started started;
  std::mutex ids_mutex;
  std::set<std::thread::id> ids;
  {
    BlockingPool pool(3, 10);
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(pool.submit([&] {
        {
          std::lock_guard lock(ids_mutex);
          ids.insert(std::this_thread::get_id());
        }
        started.arrive();
        gate.wait();
      }));
    }
    started.waitFor(3);
    // Three workers are blocked in the gate: nothing else can start until it opens.
    EXPECT_EQ(started.count(), 3);
    gate.open();
    started.waitFor(6);
  }
  EXPECT_EQ(started.count(), 6);
  EXPECT_EQ(ids.size(), 3U);
}

// This test verifies that submit fails, dropping the job unrun, when max_queued jobs wait.
TEST(BlockingPoolTest, RefusesWhenQueueFull) {
  Gate gate;
  Started started;
  std::atomic<int> ran{0};
  {
    BlockingPool pool(1, 2);
    ASSERT_TRUE(pool.submit([&] {
      started.arrive();
      gate.wait();
    }));
    started.waitFor(1);  // the only worker is busy, so the next jobs queue
    EXPECT_TRUE(pool.submit([&] { ++ran; }));
    EXPECT_TRUE(pool.submit([&] { ++ran; }));
    auto dropped = std::make_shared<int>(0);
    std::weak_ptr<int> watch = dropped;
    EXPECT_FALSE(pool.submit([&ran, dropped] { ++ran; }));
    dropped.reset();
    EXPECT_TRUE(watch.expired()) << "a refused job must be released, not kept";
    gate.open();
    // Once the queue drains, submit succeeds again.
    std::promise<void> after;
    auto after_ran = after.get_future();
    while (!pool.submit([&] { after.set_value(); })) {
      std::this_thread::yield();
    }
    after_ran.get();
  }
  EXPECT_EQ(ran.load(), 2);
}

// This test verifies that a pool with max_queued 0 accepts nothing.
TEST(BlockingPoolTest, ZeroQueueRefusesEverything) {
  BlockingPool pool(2, 0);
  EXPECT_FALSE(pool.submit([] {}));
}

// This test verifies that an empty job is refused rather than crashing a worker.
TEST(BlockingPoolTest, EmptyJobRefused) {
  BlockingPool pool(1, 4);
  EXPECT_FALSE(pool.submit(std::function<void()>{}));
}

// Sets a promise when destroyed: a queued job holding one reports that it was dropped.
class OnDestroy {
public:
  explicit OnDestroy(std::promise<void>& promise) : promise_(promise) {}
  ~OnDestroy() { promise_.set_value(); }
  OnDestroy(const OnDestroy&) = delete;
  OnDestroy& operator=(const OnDestroy&) = delete;

private:
  std::promise<void>& promise_;
};

// This test verifies that the destructor drops queued jobs unrun (releasing what they hold)
// and waits for the job already running.
TEST(BlockingPoolTest, DestructorJoinsRunningAndDropsQueued) {
  Started started;
  std::atomic<bool> running_finished{false};
  std::atomic<int> queued_ran{0};
  auto pool = std::make_unique<BlockingPool>(1, 4);
  std::promise<void> dropped;
  auto dropped_future = dropped.get_future().share();
  ASSERT_TRUE(pool->submit([&, dropped_future] {
    started.arrive();
    // Wait until the destructor has dropped the queued job; the bound only keeps a broken
    // pool from hanging the test (the assertion below then fails).
    dropped_future.wait_for(std::chrono::seconds(60));
    running_finished = true;
  }));
  started.waitFor(1);
  auto marker = std::make_shared<OnDestroy>(dropped);
  ASSERT_TRUE(pool->submit([&queued_ran, marker] { ++queued_ran; }));
  marker.reset();
  std::thread destroyer([&] { pool.reset(); });
  destroyer.join();
  EXPECT_TRUE(running_finished.load());
  EXPECT_EQ(dropped_future.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(queued_ran.load(), 0);
}

// This test verifies that a throwing job does not take its worker down.
TEST(BlockingPoolTest, ThrowingJobKeepsWorker) {
  BlockingPool pool(1, 4);
  ASSERT_TRUE(pool.submit([] { throw std::runtime_error("job failed"); }));
  std::promise<void> second;
  auto second_ran = second.get_future();
  ASSERT_TRUE(pool.submit([&] { second.set_value(); }));
  second_ran.get();  // would hang if the only worker had died
}

// This test verifies that zero threads is treated as one (a pool that never runs is a bug).
TEST(BlockingPoolTest, ZeroThreadsMeansOne) {
  BlockingPool pool(0, 4);
  std::promise<void> ran;
  auto done = ran.get_future();
  ASSERT_TRUE(pool.submit([&] { ran.set_value(); }));
  done.get();
}

}  // namespace
}  // namespace oh::gateway
