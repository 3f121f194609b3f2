#pragma once
// A few threads for work that must not run on an I/O thread: argon2id password checks (about
// 64 MiB and tens of milliseconds each). The queue is bounded so a flood of logins is refused
// quickly (the caller answers 503) instead of exhausting memory.

#include <cstddef>
#include <functional>
#include <memory>

namespace oh::gateway {

class BlockingPool {
public:
  BlockingPool(unsigned threads, std::size_t max_queued);  // threads 0 counts as 1
  ~BlockingPool();  // runs nothing more: joins after the jobs already running
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // False (and `job` dropped unrun) when max_queued jobs are already waiting or the pool stops.
  // Jobs wait in the queue until a thread is free, so max_queued = 0 refuses every job; an
  // empty job is refused too. A job that throws is ended there; its thread carries on.
  bool submit(std::function<void()> job);

private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace oh::gateway
