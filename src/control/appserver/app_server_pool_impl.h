#pragma once
// The pool's shared state (app_server_pool.h), split by what runs it: the data plane's calls
// and operators (app_server_pool.cpp), a start on a worker (app_server_start.cpp), adoption,
// culling and observing (app_server_housekeeping.cpp). One mutex guards the table; no backend,
// database or health call is made while it is held.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "appserver/app_server_pool.h"
#include "sandbox/api_keys.h"
#include "sandbox/work_queue.h"

namespace oh::control {

struct AppServerPool::Impl {
  // What the workers move a user's server toward.
  enum class Want { running, stopped, removed, deleted };

  struct Entry {
    Want want = Want::stopped;
    AppServerPhase phase = AppServerPhase::stopped;
    std::string detail;
    std::chrono::system_clock::time_point phase_since{};
    std::string address;                  // while waiting or ready
    common::UnixSeconds last_activity{};
    std::size_t open_connections = 0;
    common::UnixSeconds retry_after{};    // failed: no new start before this
    std::chrono::steady_clock::time_point start_began{};
    std::optional<std::uint64_t> memory_bytes;  // last sampled by housekeeping while ready
  };

  Impl(AppServerPoolSettings settings, WorkloadBackendPtr backend, UserDatabasesPtr databases, HealthProbePtr probe,
       common::WallClock& clock);

  // --- table (mutex held) ---------------------------------------------------------------------
  void setPhaseLocked(Entry& entry, AppServerPhase phase, std::string detail);
  AppServerView viewLocked(const Entry& entry) const;
  void setAddressLocked(Entry& entry, std::string address);  // keeps `addresses` in step
  std::size_t activeLocked() const;                 // want running and on the way up or ready
  Entry* findLocked(std::string_view user_key);
  // Queues a start for this user (phase pulling), or makes room first; false when at capacity.
  bool requestStartLocked(const std::string& user_key, Entry& entry);
  void queueLocked(const std::string& user_key, Entry& entry, Want want, std::string detail);

  // --- workers (app_server_start.cpp, app_server_housekeeping.cpp) --------------------------------
  void workerLoop();
  void reconcile(const std::string& user_key);
  void startServer(const std::string& user_key);
  void stopServerNow(const std::string& user_key, Want want);
  // A start that went wrong: public detail, logged reason, retry after the delay.
  void failStart(const std::string& user_key, std::string_view detail, std::string_view reason);
  bool stillWanted(const std::string& user_key) const;  // want running (a start checks between steps)
  void setPhase(const std::string& user_key, AppServerPhase phase, std::string detail);

  void adoptAtStart();
  void housekeep();
  void housekeepingLoop();

  static void log(std::string_view user_key, std::string_view what);

  const AppServerPoolSettings settings;
  const WorkloadBackendPtr backend;
  const UserDatabasesPtr databases;
  const HealthProbePtr probe;
  common::WallClock& clock;
  std::optional<SandboxApiKeys> sandbox_keys;

  mutable std::mutex mutex;
  std::map<std::string, Entry, std::less<>> entries;
  std::multiset<std::string, std::less<>> addresses;  // of started servers (isAppServerAddress)
  AppServerMetrics counters;

  WorkQueue queue;
  std::vector<std::thread> workers;
  std::thread housekeeper;
  std::mutex housekeeping_mutex;
  std::condition_variable housekeeping_cv;
  bool stopping = false;  // under housekeeping_mutex
};

}  // namespace oh::control
