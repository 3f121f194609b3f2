#pragma once
// The reconciler's queue of sandbox ids, shaped like client-go's workqueue: an id is queued at
// most once however often it is added; an id being worked on is never handed to a second
// worker, and one added meanwhile is queued again when the first finishes (so no change is
// missed and no two workers touch one sandbox); addAfter schedules a retry.
//
//   while (auto id = queue.get()) { reconcile(*id); queue.done(*id); }

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace oh::control {

class WorkQueue {
public:
  using Clock = std::chrono::steady_clock;

  void add(const std::string& id);
  void addAfter(const std::string& id, Clock::duration delay);

  // Blocks until an id is ready (returned, now in progress) or the queue is shut down (nullopt).
  std::optional<std::string> get();
  void done(const std::string& id);

  // Wakes every get() with nullopt; later adds are ignored.
  void shutDown();

  std::size_t pending() const;  // queued, in progress or scheduled (tests, metrics)

private:
  void addLocked(const std::string& id);
  void promoteDueLocked(Clock::time_point now);

  mutable std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::deque<std::string> ready_;
  std::unordered_set<std::string> queued_;      // in ready_
  std::unordered_set<std::string> processing_;
  std::unordered_set<std::string> dirty_;       // added while processing
  std::multimap<Clock::time_point, std::string> scheduled_;
  std::unordered_map<std::string, Clock::time_point> scheduled_at_;  // one retry per id: the earliest
  bool shut_down_ = false;
};

}  // namespace oh::control
