#pragma once
// The production ScheduleFn (provider_source.h): one thread, started on first use, that runs each
// job after its delay. Used for the rare background work of the sign-in (OIDC discovery retries);
// tests inject their own scheduler and run the jobs when they choose. Private to oh_gateway_signin.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace oh::gateway::signin {

class DelayedRunner {
public:
  DelayedRunner() = default;
  ~DelayedRunner() { shutdown(); }
  DelayedRunner(const DelayedRunner&) = delete;
  DelayedRunner& operator=(const DelayedRunner&) = delete;

  // Runs `job` after `delay` on the runner's thread; dropped after shutdown().
  void after(std::chrono::milliseconds delay, std::function<void()> job);
  // Drops the jobs not yet due, waits for a running one, joins the thread. Idempotent; not
  // from a job.
  void shutdown();

private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace oh::gateway::signin
