// What the pool does on its own: at start, adopt the running containers a previous gateway left
// (and remove stopped ones that are not worth keeping); then, every housekeeping_interval, stop
// servers idle for idle_timeout, notice servers whose container stopped behind its back, and
// sample the running ones' memory for operators.

#include "appserver/app_server_pool_impl.h"
#include "appserver/app_server_workload.h"
#include "sandbox/user_key.h"

namespace oh::control {
namespace {

using Impl = AppServerPool::Impl;

}  // namespace

void Impl::adoptAtStart() {
  auto seen = backend->list(kAppServerManagedLabel, settings.managed_label_value);
  if (!seen) {
    // Nothing adopted: a start for a user whose container runs finds and uses it (startServer).
    log("-", "cannot list app servers at start: " + seen.error().reason);
    return;
  }
  for (const WorkloadObservation& workload : *seen) {
    const std::string owner = labelOf(workload, kAppServerOwnerLabel);
    const bool valid = isUserKey(owner) && workload.name == appServerName(owner);
    const bool current = labelOf(workload, kAppServerVersionLabel) == settings.openhands_version;
    if (valid && workload.state == WorkloadState::running) {
      // In use, maybe: adopted as it is (whatever its version) and checked healthy by a worker.
      const std::lock_guard lock(mutex);
      Entry& entry = entries[owner];
      entry.want = Want::running;
      entry.last_activity = clock.now();  // its idle time counts from this gateway's start
      entry.start_began = std::chrono::steady_clock::now();
      setPhaseLocked(entry, AppServerPhase::waiting, "reconnecting to the running server");
      ++counters.adoptions;
      queue.add(owner);
      log(owner, "adopting the running server");
    } else if (!valid || !current) {
      // A stopped server of another version would be re-created at its next start anyway; one
      // with no valid owner belongs to nobody.
      log(valid ? owner : workload.name, "removing a stopped server not worth keeping (version \"" +
                                             labelOf(workload, kAppServerVersionLabel) + "\")");
      if (auto removed = backend->remove(workload.name); !removed) {
        log(workload.name, "cannot remove: " + removed.error().reason);
      }
    }
  }
}

void Impl::housekeep() {
  // Idle culling: no open connection and no request for idle_timeout.
  {
    const std::lock_guard lock(mutex);
    const common::UnixSeconds now = clock.now();
    for (auto& [key, entry] : entries) {
      if (entry.want == Want::running && entry.phase == AppServerPhase::ready && entry.open_connections == 0 &&
          now - entry.last_activity >= settings.idle_timeout) {
        log(key, "stopping the idle server (data kept)");
        queueLocked(key, entry, Want::stopped, "stopped after " + std::to_string(settings.idle_timeout.count()) +
                                                   " s without use");
        ++counters.culls_idle;
      }
    }
  }
  // Servers whose container is gone or stopped (killed, OOM, removed by hand): stopped, so the
  // next ensure() starts them again instead of routing to a dead address.
  const auto listed_at = std::chrono::system_clock::now();
  auto seen = backend->list(kAppServerManagedLabel, settings.managed_label_value);
  if (!seen) {
    return;  // the engine is away: look again next time
  }
  std::set<std::string, std::less<>> running;
  for (const WorkloadObservation& workload : *seen) {
    if (workload.state == WorkloadState::running) {
      running.insert(labelOf(workload, kAppServerOwnerLabel));
    }
  }
  // Memory of the running servers, for operators (one stats call each, outside the lock).
  std::map<std::string, std::optional<std::uint64_t>> memory;
  for (const std::string& owner : running) {
    if (isUserKey(owner)) {
      auto usage = backend->usage(appServerName(owner));
      memory[owner] = usage ? std::optional<std::uint64_t>(usage->memory_bytes) : std::nullopt;
    }
  }
  const std::lock_guard lock(mutex);
  for (auto& [key, entry] : entries) {
    if (auto sampled = memory.find(key); sampled != memory.end()) {
      entry.memory_bytes = sampled->second;
    }
    // (A server that became ready after the list was asked for may be missing from it.)
    if (entry.want == Want::running && entry.phase == AppServerPhase::ready && entry.phase_since < listed_at &&
        !running.contains(key)) {
      log(key, "the server's container stopped: marked stopped");
      entry.want = Want::stopped;
      setPhaseLocked(entry, AppServerPhase::stopped, "the server stopped");
    }
  }
}

void Impl::housekeepingLoop() {
  std::unique_lock lock(housekeeping_mutex);
  while (!stopping) {
    housekeeping_cv.wait_for(lock, settings.housekeeping_interval, [this] { return stopping; });
    if (stopping) {
      break;
    }
    lock.unlock();
    housekeep();
    lock.lock();
  }
}

void AppServerPool::start() {
  Impl& impl = *impl_;
  if (!impl.workers.empty()) {
    return;
  }
  impl.adoptAtStart();
  for (std::size_t i = 0; i < impl.settings.start_workers; ++i) {
    impl.workers.emplace_back([&impl] { impl.workerLoop(); });
  }
  impl.housekeeper = std::thread([&impl] { impl.housekeepingLoop(); });
}

void AppServerPool::stop() {
  Impl& impl = *impl_;
  {
    const std::lock_guard lock(impl.housekeeping_mutex);
    impl.stopping = true;
  }
  impl.housekeeping_cv.notify_all();
  impl.queue.shutDown();
  for (std::thread& worker : impl.workers) {
    worker.join();
  }
  impl.workers.clear();
  if (impl.housekeeper.joinable()) {
    impl.housekeeper.join();
  }
}

}  // namespace oh::control
