#pragma once
// The per-user app-server pool (issue 14, DESIGN.md section 6): AppServerDirectory over a
// workload backend. Controller style like the sandbox service: the data plane's calls only read
// and mark the pool's table (never block); starts, stops and removals run on the pool's worker
// threads, one user's server never worked on by two at once; a housekeeping thread culls idle
// servers and notices containers that stopped behind the pool's back.
//
//   AppServerPool pool(settings, backend, databases /* nullptr: SQLite */, makeHttpHealthProbe(), clock);
//   pool.start();                        // adopts running containers with our labels
//   auto view = pool.ensure(userKey);    // data plane: starts one when none runs
//
// A start: pulling (the pinned image) → creating (network, directory, database, container)
// → starting → waiting (health endpoint) → ready; or failed with a public reason (the log has
// the detail), retried by an ensure() after retry_delay.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appserver/app_server_directory.h"
#include "appserver/app_server_metrics.h"
#include "appserver/app_server_pool_settings.h"
#include "appserver/health_probe.h"
#include "appserver/user_databases.h"
#include "backend/workload_backend.h"
#include "common/wall_clock.h"

namespace oh::control {

// One user's server as operators see it (admin listener, CLI).
struct AppServerListing {
  std::string user_key;
  AppServerPhase phase = AppServerPhase::stopped;
  std::string detail;
  std::chrono::system_clock::time_point last_activity{};
  std::string address;
  std::size_t open_connections = 0;
  std::uint64_t memory_limit_bytes = 0;   // the configured limit
  std::optional<std::uint64_t> memory_bytes;  // in use at the last housekeeping (ready servers)
};

class AppServerPool final : public AppServerDirectory {
public:
  // Throws std::invalid_argument when the settings cannot work (the gateway's configuration
  // checks first): see settingsRefusal. `databases` is null for SQLite. clock outlives the pool.
  AppServerPool(AppServerPoolSettings settings, WorkloadBackendPtr backend, UserDatabasesPtr databases,
                HealthProbePtr probe, common::WallClock& clock);
  ~AppServerPool() override;  // stops the threads; containers keep running (adopted next time)

  AppServerPool(const AppServerPool&) = delete;
  AppServerPool& operator=(const AppServerPool&) = delete;

  // Adopts running containers carrying our labels, removes stopped ones of another version and
  // ones with no valid owner, then starts the workers and housekeeping. Blocks for one list call.
  void start();
  void stop();

  // AppServerDirectory
  AppServerView ensure(std::string_view user_key) override;
  AppServerView peek(std::string_view user_key) const override;
  void touch(std::string_view user_key) override;
  void connectionOpened(std::string_view user_key) override;
  void connectionClosed(std::string_view user_key) override;

  // Whether ip is the address of one of our app servers (started or ready): the sandbox API
  // listener serves only these (and loopback). Thread-safe, non-blocking.
  bool isAppServerAddress(std::string_view ip) const;
  // Whose app server (started or ready) has this address: the user key, or nullopt when none
  // has it or two do (a stale address; refusing beats misattributing). The sandbox API's agent
  // proxy relays an app server's calls only to its own user's sandboxes. Thread-safe, non-blocking.
  std::optional<std::string> appServerUserAt(std::string_view ip) const;

  // --- operators (queued on the workers; false when user_key is not a user key) -----------------
  std::vector<AppServerListing> list() const;
  bool stopServer(std::string_view user_key);      // stop; data and container kept
  bool removeServer(std::string_view user_key);    // remove the container; data kept
  bool deleteUserData(std::string_view user_key);  // container, directory and database

  AppServerMetrics metrics() const;

  // One housekeeping pass now (idle culling, then observing the containers), on the caller's
  // thread; the housekeeping thread runs it every housekeeping_interval. Tests drive it.
  void housekeep();

  struct Impl;

private:
  std::shared_ptr<Impl> impl_;
};

// Why these settings cannot work, or "" (the gateway's configuration reports it at load).
std::string settingsRefusal(const AppServerPoolSettings& settings);

}  // namespace oh::control
