#include "outbound/blocking_pool.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace oh::gateway {

struct BlockingPool::State {
  std::size_t max_queued = 0;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> queue;  // guarded by mutex
  bool stopping = false;                    // guarded by mutex
  std::vector<std::thread> threads;

  void run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [this] { return stopping || !queue.empty(); });
        if (stopping) {
          return;
        }
        job = std::move(queue.front());
        queue.pop_front();
      }
      // A job's exception is its own failure; it must not end a worker (the pool would shrink
      // until every later submit queued forever).
      try {
        job();
      } catch (...) {
      }
    }
  }
};

BlockingPool::BlockingPool(unsigned threads, std::size_t max_queued) : state_(std::make_unique<State>()) {
  state_->max_queued = max_queued;
  const unsigned count = std::max(threads, 1U);
  state_->threads.reserve(count);
  for (unsigned i = 0; i < count; ++i) {
    state_->threads.emplace_back([state = state_.get()] { state->run(); });
  }
}

BlockingPool::~BlockingPool() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    dropped.swap(state_->queue);
  }
  state_->wake.notify_all();
  // Released outside the lock and before joining: a dropped job's captures may do work when
  // destroyed (answer 503, wake a waiter) and must not wait for the running jobs.
  dropped.clear();
  for (auto& thread : state_->threads) {
    thread.join();
  }
}

bool BlockingPool::submit(std::function<void()> job) {
  if (!job) {
    return false;
  }
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping || state_->queue.size() >= state_->max_queued) {
      return false;
    }
    state_->queue.push_back(std::move(job));
  }
  state_->wake.notify_one();
  return true;
}

}  // namespace oh::gateway
