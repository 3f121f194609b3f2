// The sandbox service's reconciler (STYLE.md section 5, controller style): one idempotent
// reconcile(id) moves a sandbox's container toward its record, and everything else (a start,
// a resume, a pause, a restart, the periodic listing) only queues ids. A crash at any line is
// repaired by the next reconcile of the same id, because every step observes before it acts
// and a container's name is derived from the record (creating it twice is a conflict, not a
// second container).
//
// The one rule for containers that stop without us: a sandbox is brought up only for a start
// or resume accepted by this process (it is "pending"). A desired-running sandbox whose
// container is not running and which is not pending (its instance was replaced, the gateway
// restarted mid-create, the agent exited, someone removed the container) is recorded as
// paused and left alone until the owner resumes it. So OpenHands shows it paused and its UI
// resumes it natively (issue 13), and a crashing agent is not restarted in a loop.
#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "sandbox/sandbox_keys.h"
#include "sandbox/sandbox_service_impl.h"
#include "sandbox/sandbox_workload.h"

namespace oh::control {
namespace {

constexpr std::size_t kMaxErrorLength = 512;

bool runningWithAddress(const WorkloadObservation& seen) {
  return seen.state == WorkloadState::running && !seen.address.empty();
}

bool isOurs(const SandboxServiceSettings& settings, const WorkloadObservation& seen) {
  auto it = seen.labels.find(std::string(kManagedLabel));
  return it != seen.labels.end() && it->second == settings.managed_label_value;
}

// Reasons are logged and stored; a backend's reason never holds an environment value
// (workload_backend.h), and ours name ids and paths only.
void logLine(const std::string& id, std::string_view what) {
  std::fprintf(stderr, "sandbox %s: %.*s\n", id.c_str(), static_cast<int>(what.size()), what.data());
}

}  // namespace

void SandboxService::start() {
  Impl& impl = *impl_;
  if (!impl.workers.empty()) {
    return;
  }
  const std::size_t count = std::max<std::size_t>(1, impl.settings.reconcile_workers);
  for (std::size_t i = 0; i < count; ++i) {
    impl.workers.emplace_back([&impl] { impl.work(); });
  }
  impl.housekeeper = std::thread([&impl] { impl.housekeep(); });
}

void SandboxService::stop() {
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.housekeeping_mutex);
    impl.stopping = true;
  }
  impl.housekeeping_cv.notify_all();
  impl.queue.shutDown();
  if (impl.housekeeper.joinable()) {
    impl.housekeeper.join();
  }
  for (auto& worker : impl.workers) {
    worker.join();
  }
  impl.workers.clear();
}

void SandboxService::Impl::work() {
  while (auto id = queue.get()) {
    const Outcome outcome = reconcile(*id);
    if (outcome == Outcome::retry) {
      std::size_t attempt = 0;
      {
        std::lock_guard lock(mutex);
        attempt = attempts[*id]++;
        ++counters.reconcile.retried;
      }
      auto delay = settings.retry_initial;
      for (std::size_t i = 0; i < attempt && delay < settings.retry_max; ++i) {
        delay *= 2;
      }
      queue.addAfter(*id, std::min(delay, settings.retry_max));
    } else {
      std::lock_guard lock(mutex);
      attempts.erase(*id);
    }
    if (outcome == Outcome::again) {
      queue.add(*id);  // queued again once done() below releases it
    }
    queue.done(*id);
  }
}

SandboxService::Impl::Outcome SandboxService::Impl::reconcile(const std::string& id) {
  auto got = store->get(id);
  if (!got) {
    return Outcome::retry;
  }
  const std::string name = workloadName(id);
  auto seen = backend->inspect(name);
  if (!seen) {
    return Outcome::retry;
  }

  if (!got->has_value()) {
    // No record: a removed sandbox, or an orphan a crash left between a create and its record's
    // removal. Ours (by label) goes; anything else by that name is not ours to touch.
    if (seen->state != WorkloadState::absent && isOurs(settings, *seen)) {
      if (!backend->remove(name)) {
        return Outcome::retry;
      }
      std::lock_guard lock(mutex);
      ++counters.reconcile.removed;
    }
    forget(id);
    return Outcome::done;
  }
  SandboxRecord record = std::move(**got);
  // Read after the record: a resume marks its sandbox pending before writing the record, so a
  // pending start or resume that this record does not show yet is seen here, never missed.
  const std::optional<std::uint64_t> pending_generation = pendingGeneration(id);
  learnRecord(record);
  learnObservation(id, *seen);

  if (record.desired == DesiredState::paused) {
    // (The pause itself cleared any pending start; a resume since then is newer than this read.)
    if (seen->state == WorkloadState::running) {
      // Known as stopped before it is: no route or view may count on it from here on (a resume
      // arriving meanwhile must bring it up again, not find it "running").
      WorkloadObservation going = *seen;
      going.state = WorkloadState::exited;
      going.address.clear();
      learnObservation(id, going);
      if (!backend->stop(name, settings.stop_grace)) {
        return Outcome::retry;
      }
      std::lock_guard lock(mutex);
      ++counters.reconcile.stopped;
    }
    return Outcome::done;
  }
  if (!record.last_error.empty()) {
    return Outcome::done;  // refused: nothing to do until a resume clears the error
  }
  if (runningWithAddress(*seen)) {
    if (pending_generation) {
      finishPending(id, *pending_generation);
    }
    return Outcome::done;
  }
  if (!pending_generation) {
    // Stopped or gone without us (see the rule at the top): record it as paused.
    record.desired = DesiredState::paused;
    record.updated_at = clock.now().time_since_epoch().count();
    auto updated = store->update(record);
    if (!updated) {
      return Outcome::retry;
    }
    if (!*updated) {
      return Outcome::again;  // a resume or pause got there first
    }
    ++record.revision;
    learnRecord(record);
    {
      std::lock_guard lock(mutex);
      ++counters.reconcile.marked_paused;
    }
    logLine(id, "container not running and not being started: recorded as paused");
    return Outcome::done;
  }
  return bringUp(record, *seen, *pending_generation);
}

SandboxService::Impl::Outcome SandboxService::Impl::bringUp(SandboxRecord& record, const WorkloadObservation& seen,
                                                            std::uint64_t generation) {
  const std::string name = workloadName(record.id);
  if (seen.state == WorkloadState::absent) {
    auto keys = unsealSandboxKeys(box, record.sealed_keys, record.owner, record.id);
    if (!keys) {
      return recordError(record, keys.error().reason, generation);
    }
    auto workspace = prepareWorkspace(settings, record);
    if (!workspace) {
      return recordError(record, workspace.error().reason, generation);
    }
    const std::map<std::string, std::string> network_labels = {
        {std::string(kManagedLabel), "network"},
        {std::string(kOwnerLabel), record.owner},
    };
    if (auto network = backend->ensureNetwork(networkName(settings, record.owner), network_labels); !network) {
      return onBackendFailure(record, network.error(), generation);
    }
    auto created = backend->create(workloadSpecFor(settings, record, *keys, std::move(*workspace)));
    if (!created && created.error().kind != BackendFailure::Kind::conflict) {
      return onBackendFailure(record, created.error(), generation);
    }
    // A conflict: it exists after all (a listing older than a create); start what is there.
    if (created) {
      std::lock_guard lock(mutex);
      ++counters.reconcile.created;
    }
  }
  auto started = backend->start(name);
  if (!started) {
    return onBackendFailure(record, started.error(), generation);
  }
  {
    std::lock_guard lock(mutex);
    ++counters.reconcile.started;
  }
  learnObservation(record.id, *started);
  if (!runningWithAddress(*started)) {
    return Outcome::retry;  // started but not observed with an address yet: look again later
  }
  finishPending(record.id, generation);
  return Outcome::done;
}

SandboxService::Impl::Outcome SandboxService::Impl::onBackendFailure(SandboxRecord& record,
                                                                     const BackendFailure& failure,
                                                                     std::uint64_t generation) {
  logLine(record.id, failure.reason);
  switch (failure.kind) {
    case BackendFailure::Kind::unavailable:
      return Outcome::retry;  // stays "starting"; the backoff is in work()
    case BackendFailure::Kind::refused:
      return recordError(record, failure.reason, generation);
    case BackendFailure::Kind::conflict:
    case BackendFailure::Kind::other: {
      std::size_t failed_before = 0;
      {
        std::lock_guard lock(mutex);
        failed_before = attempts[record.id];
      }
      if (failed_before + 1 >= settings.max_attempts_other) {
        return recordError(record, failure.reason, generation);
      }
      return Outcome::retry;
    }
  }
  return Outcome::retry;
}

SandboxService::Impl::Outcome SandboxService::Impl::recordError(SandboxRecord& record, const std::string& reason,
                                                                std::uint64_t generation) {
  record.last_error = reason.empty() ? "the backend refused the sandbox" : reason.substr(0, kMaxErrorLength);
  record.updated_at = clock.now().time_since_epoch().count();
  auto updated = store->update(record);
  if (!updated) {
    return Outcome::retry;
  }
  if (!*updated) {
    return Outcome::again;  // changed meanwhile (a pause, a remove): decide again on the new record
  }
  ++record.revision;
  clearPending(record.id, generation);
  learnRecord(record);
  std::lock_guard lock(mutex);
  ++counters.reconcile.failed;
  return Outcome::done;
}

// Looks at every record and every container of ours in one listing each, learns what it sees,
// and queues only the ids that need an action (which is what queuing every id would amount to,
// without an inspect per sandbox): containers without a record, paused sandboxes still
// running, running ones without a running container.
void SandboxService::Impl::resync() {
  const std::uint64_t listed_at = observationEpoch();
  auto workloads = backend->list(kManagedLabel, settings.managed_label_value);
  if (!workloads) {
    return;  // the backend is down: views keep their last observation; the next resync retries
  }
  auto records = store->list(std::nullopt);
  if (!records) {
    return;
  }
  std::unordered_map<std::string, const WorkloadObservation*> by_id;
  for (const auto& seen : *workloads) {
    auto label = seen.labels.find(std::string(kSandboxIdLabel));
    if (label == seen.labels.end() || seen.name != workloadName(label->second)) {
      // Ours by label, yet not named for the sandbox it names (or naming none): nothing we
      // create looks like this, and no record can own it.
      (void)backend->remove(seen.name);
      continue;
    }
    by_id.emplace(label->second, &seen);
  }
  std::vector<std::string> digests;
  digests.reserve(records->size());
  for (const auto& record : *records) {
    digests.push_back(sessionKeyDigestOf(record));
  }
  std::vector<std::string> to_queue;
  {
    std::lock_guard lock(mutex);
    bool changed = false;
    std::unordered_set<std::string> recorded;
    for (std::size_t i = 0; i < records->size(); ++i) {
      const SandboxRecord& record = (*records)[i];
      recorded.insert(record.id);
      changed |= learnRecordLocked(record, std::move(digests[i]), listed_at);
      auto found = by_id.find(record.id);
      WorkloadObservation absent;
      absent.name = workloadName(record.id);
      changed |= learnObservationLocked(record.id, found == by_id.end() ? absent : *found->second, listed_at);
      auto learnt = known.find(record.id);
      if (learnt == known.end()) {
        continue;  // removed since the listing began
      }
      const Known& entry = learnt->second;
      const bool running = entry.state == WorkloadState::running && !entry.address.empty();
      const bool wants_running = entry.desired == DesiredState::running && !entry.has_error;
      if (running != wants_running) {
        to_queue.push_back(record.id);
      }
    }
    for (const auto& [id, seen] : by_id) {
      if (recorded.count(id) == 0) {
        to_queue.push_back(id);  // an orphan: its reconcile finds no record and removes it
      }
    }
    // Known sandboxes whose records are gone (removed by another writer) are forgotten by their
    // reconcile as well.
    for (const auto& [id, entry] : known) {
      if (recorded.count(id) == 0) {
        to_queue.push_back(id);
      }
    }
    // Removals older than this listing matter to no later one.
    std::erase_if(forgotten, [&](const auto& gone) { return gone.second <= listed_at; });
    if (changed) {
      republishLocked();
    }
  }
  for (const auto& id : to_queue) {
    queue.add(id);
  }
}

// The housekeeping thread: the first resync at once (orphans removed, lost containers
// recorded as paused, the index and routes filled), then one every resync_interval, and the
// conversation links the data plane notes in between.
void SandboxService::Impl::housekeep() {
  auto next_resync = SteadyClock::now();
  std::unique_lock lock(housekeeping_mutex);
  while (!stopping) {
    if (SteadyClock::now() >= next_resync) {
      lock.unlock();
      resync();
      lock.lock();
      next_resync = SteadyClock::now() + settings.resync_interval;
      continue;
    }
    if (!noted.empty()) {
      auto [sandbox_id, conversation_id] = std::move(noted.front());
      noted.pop_front();
      lock.unlock();
      linkNow(sandbox_id, conversation_id);
      lock.lock();
      continue;
    }
    housekeeping_cv.wait_until(lock, next_resync);
  }
}

}  // namespace oh::control
