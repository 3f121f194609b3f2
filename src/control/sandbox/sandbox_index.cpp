// The service's index: what this process knows of each sandbox between store reads and
// container observations, the route snapshot built from it, and the status rules.
#include <utility>

#include "sandbox/sandbox_keys.h"
#include "sandbox/sandbox_service_impl.h"

namespace oh::control {

// The status OpenHands sees (remote_sandbox_service.py:58-64 maps it; only "paused" is resumed
// by its UI, frontend use-sandbox-recovery.ts:56-107):
//   paused     the owner paused it; or its container stopped or vanished without us (an
//              instance replaced, a crash, someone's `docker rm`): the record stays and a
//              resume brings the container back (issue 13: "A sandbox whose container is gone
//              but whose record remains is paused")
//   error      the backend refused to create or start it (the reason is in the record)
//   running    its container runs and has an address
//   starting   a start or resume of ours is under way, or this process has not looked at
//              its container yet (just after a restart)
const char* statusOf(const StatusInputs& in) {
  if (in.desired == DesiredState::paused) {
    return "paused";
  }
  if (in.has_error) {
    return "error";
  }
  if (in.running) {
    return "running";
  }
  if (in.pending || !in.observed) {
    return "starting";
  }
  return "paused";
}

SandboxService::Impl::Impl(SandboxServiceSettings settings_in, SandboxStorePtr store_in, WorkloadBackendPtr backend_in,
                           common::WallClock& clock_in, common::RandomSource& random_in, common::SealedBox box_in)
    : settings(std::move(settings_in)),
      store(std::move(store_in)),
      backend(std::move(backend_in)),
      clock(clock_in),
      random(random_in),
      box(std::move(box_in)) {}

// A record of the same sandbox as the entry, not of an earlier one with the same id (stopped,
// then started again): only then may an older revision be ignored and the digest reused.
static bool sameIncarnation(const SandboxService::Impl::Known& entry, const SandboxRecord& record) {
  return entry.revision != 0 && entry.owner == record.owner && entry.created_at == record.created_at;
}

std::string SandboxService::Impl::sessionKeyDigestOf(const SandboxRecord& record) const {
  {
    std::lock_guard lock(mutex);
    auto it = known.find(record.id);
    if (it != known.end() && sameIncarnation(it->second, record) && !it->second.session_key_sha256.empty()) {
      return it->second.session_key_sha256;  // the keys never change: no AES-GCM open
    }
  }
  auto keys = unsealSandboxKeys(box, record.sealed_keys, record.owner, record.id);
  return keys ? sessionKeyDigest(keys->session_api_key) : std::string();
}

void SandboxService::Impl::learnRecord(const SandboxRecord& record) {
  std::string digest = sessionKeyDigestOf(record);
  std::lock_guard lock(mutex);
  if (learnRecordLocked(record, std::move(digest), std::nullopt)) {
    republishLocked();
  }
}

bool SandboxService::Impl::learnRecordLocked(const SandboxRecord& record, std::string session_key_sha256,
                                             std::optional<std::uint64_t> listed_at) {
  if (listed_at) {
    // A listing is older than anything learnt or forgotten since it began: it must neither
    // bring back a removed sandbox nor replace a newer sandbox's owner with an earlier one's.
    if (auto gone = forgotten.find(record.id); gone != forgotten.end() && gone->second > *listed_at) {
      return false;
    }
    if (auto it = known.find(record.id); it != known.end() && it->second.record_epoch > *listed_at) {
      return false;
    }
  }
  Known& entry = known[record.id];
  if (sameIncarnation(entry, record) && record.revision < entry.revision) {
    return false;  // an older read than one already learnt
  }
  entry.record_epoch = ++epoch_counter;
  entry.owner = record.owner;
  entry.created_at = record.created_at;
  entry.desired = record.desired;
  entry.has_error = !record.last_error.empty();
  entry.revision = record.revision;
  entry.ports = portsOf(record.spec);
  entry.session_key_sha256 = std::move(session_key_sha256);
  bool changed = false;
  for (const auto& conversation : record.conversation_ids) {
    changed |= conversations.try_emplace(conversation, record.id).second;
  }
  return refreshRouteLocked(record.id, entry) || changed;
}

std::uint64_t SandboxService::Impl::observationEpoch() {
  std::lock_guard lock(mutex);
  return epoch_counter;
}

void SandboxService::Impl::learnObservation(const std::string& id, const WorkloadObservation& seen) {
  std::lock_guard lock(mutex);
  if (learnObservationLocked(id, seen, std::nullopt)) {
    republishLocked();
  }
}

bool SandboxService::Impl::learnObservationLocked(const std::string& id, const WorkloadObservation& seen,
                                                  std::optional<std::uint64_t> listed_at) {
  auto it = known.find(id);
  if (it == known.end()) {
    return false;  // no record (an orphan on its way out)
  }
  Known& entry = it->second;
  if (listed_at && entry.observed && entry.observed_epoch > *listed_at) {
    return false;  // a reconcile looked after this (slower) listing began
  }
  entry.state = seen.state;
  entry.address = seen.state == WorkloadState::running ? seen.address : std::string();
  entry.observed = true;
  entry.observed_epoch = ++epoch_counter;
  return refreshRouteLocked(id, entry);
}

void SandboxService::Impl::forget(const std::string& id) {
  std::lock_guard lock(mutex);
  forgotten.insert_or_assign(id, ++epoch_counter);
  known.erase(id);
  pending.erase(id);
  attempts.erase(id);
  std::erase_if(conversations, [&](const auto& link) { return link.second == id; });
  republishLocked();
}

StatusInputs SandboxService::Impl::statusInputs(const SandboxRecord& record) const {
  std::lock_guard lock(mutex);
  return statusInputsLocked(record);
}

StatusInputs SandboxService::Impl::statusInputsLocked(const SandboxRecord& record) const {
  StatusInputs in;
  in.desired = record.desired;
  in.has_error = !record.last_error.empty();
  in.pending = pending.count(record.id) != 0;
  if (auto it = known.find(record.id); it != known.end()) {
    in.observed = it->second.observed;
    in.running = it->second.state == WorkloadState::running && !it->second.address.empty();
  }
  return in;
}

std::optional<std::uint64_t> SandboxService::Impl::pendingGeneration(const std::string& id) const {
  std::lock_guard lock(mutex);
  auto it = pending.find(id);
  return it == pending.end() ? std::nullopt : std::optional<std::uint64_t>(it->second.generation);
}

void SandboxService::Impl::markPending(const std::string& id, PendingKind kind) {
  std::lock_guard lock(mutex);
  pending.insert_or_assign(id, Pending{kind, ++pending_counter, SteadyClock::now()});
}

void SandboxService::Impl::clearPending(const std::string& id) {
  std::lock_guard lock(mutex);
  pending.erase(id);
}

void SandboxService::Impl::clearPending(const std::string& id, std::uint64_t generation) {
  std::lock_guard lock(mutex);
  if (auto it = pending.find(id); it != pending.end() && it->second.generation == generation) {
    pending.erase(it);
  }
}

// Latency is measured on the steady clock: it is a metric, never a decision, and the injected
// wall clock has whole seconds only.
void SandboxService::Impl::finishPending(const std::string& id, std::uint64_t generation) {
  std::lock_guard lock(mutex);
  auto it = pending.find(id);
  if (it == pending.end() || it->second.generation != generation) {
    return;
  }
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - it->second.since).count();
  SandboxMetrics::Latency& latency =
      it->second.kind == PendingKind::create ? counters.create : counters.resume;
  ++latency.count;
  latency.seconds_sum += seconds;
  pending.erase(it);
}

bool SandboxService::Impl::refreshRouteLocked(const std::string& id, Known& entry) {
  SandboxRoute route;
  route.sandbox_id = id;
  route.owner = entry.owner;
  route.address = entry.address;
  route.agent_port = entry.ports.agent;
  route.vscode_port = entry.ports.vscode;
  route.worker_1_port = entry.ports.worker_1;
  route.worker_2_port = entry.ports.worker_2;
  route.session_key_sha256 = entry.session_key_sha256;
  const SandboxRoute* old = entry.route.get();
  if (old != nullptr && old->owner == route.owner && old->address == route.address &&
      old->agent_port == route.agent_port && old->vscode_port == route.vscode_port &&
      old->worker_1_port == route.worker_1_port && old->worker_2_port == route.worker_2_port &&
      old->session_key_sha256 == route.session_key_sha256) {
    return false;
  }
  entry.route = std::make_shared<const SandboxRoute>(std::move(route));
  return true;
}

// Whole snapshots, built under the lock so they are published in order. O(sandboxes) per
// change: a few milliseconds at 10,000 sandboxes, paid on the control plane, never by a request.
void SandboxService::Impl::republishLocked() {
  std::vector<SandboxRoutePtr> routes;
  routes.reserve(known.size());
  for (const auto& [id, entry] : known) {
    if (entry.route) {
      routes.push_back(entry.route);
    }
  }
  published.store(std::make_shared<const SandboxRoutes>(std::move(routes), conversations));
}

}  // namespace oh::control
