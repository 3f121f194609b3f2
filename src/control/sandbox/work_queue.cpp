#include "sandbox/work_queue.h"

namespace oh::control {

void WorkQueue::add(const std::string& id) {
  std::lock_guard lock(mutex_);
  addLocked(id);
}

void WorkQueue::addAfter(const std::string& id, Clock::duration delay) {
  std::lock_guard lock(mutex_);
  if (shut_down_) {
    return;
  }
  const auto when = Clock::now() + delay;
  auto [it, inserted] = scheduled_at_.try_emplace(id, when);
  if (!inserted) {
    if (it->second <= when) {
      return;
    }
    const auto range = scheduled_.equal_range(it->second);
    for (auto entry = range.first; entry != range.second; ++entry) {
      if (entry->second == id) {
        scheduled_.erase(entry);
        break;
      }
    }
    it->second = when;
  }
  scheduled_.emplace(when, id);
  ready_cv_.notify_one();  // a waiting worker recomputes its deadline
}

void WorkQueue::addLocked(const std::string& id) {
  if (shut_down_) {
    return;
  }
  if (processing_.count(id) != 0) {
    dirty_.insert(id);
    return;
  }
  if (queued_.insert(id).second) {
    ready_.push_back(id);
    ready_cv_.notify_one();
  }
}

void WorkQueue::promoteDueLocked(Clock::time_point now) {
  while (!scheduled_.empty() && scheduled_.begin()->first <= now) {
    const std::string id = scheduled_.begin()->second;
    scheduled_.erase(scheduled_.begin());
    scheduled_at_.erase(id);
    addLocked(id);
  }
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (shut_down_) {
      return std::nullopt;
    }
    promoteDueLocked(Clock::now());
    if (!ready_.empty()) {
      std::string id = std::move(ready_.front());
      ready_.pop_front();
      queued_.erase(id);
      processing_.insert(id);
      return id;
    }
    if (scheduled_.empty()) {
      ready_cv_.wait(lock);
    } else {
      const Clock::time_point next = scheduled_.begin()->first;  // a copy: the node may go while we wait
      ready_cv_.wait_until(lock, next);
    }
  }
}

void WorkQueue::done(const std::string& id) {
  std::lock_guard lock(mutex_);
  processing_.erase(id);
  if (dirty_.erase(id) != 0) {
    addLocked(id);
  }
}

void WorkQueue::shutDown() {
  std::lock_guard lock(mutex_);
  shut_down_ = true;
  ready_cv_.notify_all();
}

std::size_t WorkQueue::pending() const {
  std::lock_guard lock(mutex_);
  return ready_.size() + processing_.size() + dirty_.size() + scheduled_.size();
}

}  // namespace oh::control
