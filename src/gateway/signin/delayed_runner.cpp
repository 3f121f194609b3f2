#include "signin/delayed_runner.h"

#include <utility>

namespace oh::gateway::signin {

void DelayedRunner::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void DelayedRunner::after(std::chrono::milliseconds delay, std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    jobs_.emplace(std::chrono::steady_clock::now() + delay, std::move(job));
    if (!thread_.joinable()) {
      thread_ = std::thread([this] { run(); });
    }
  }
  wake_.notify_all();
}

void DelayedRunner::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (jobs_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const auto due = jobs_.begin()->first;
    if (std::chrono::steady_clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    std::function<void()> job = std::move(jobs_.begin()->second);
    jobs_.erase(jobs_.begin());
    lock.unlock();
    job();  // outside the lock: a job may schedule the next one
    lock.lock();
  }
}

}  // namespace oh::gateway::signin
