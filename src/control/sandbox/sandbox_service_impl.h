#pragma once
// The sandbox service's private state, shared by its API half (sandbox_service.cpp), its
// reconciler (reconciler.cpp) and its index of what is known (sandbox_index.cpp). Not for
// other includes.
//
// What lives where:
//   the store     every record: the truth about what each owner wants (desired state, spec, keys)
//   the backend   every container: the truth about what runs
//   this index    the last observation of each container, which sandboxes this process is
//                 bringing up (pending), links, metrics; rebuilt from the two above at start
// API calls read the store and this index; only the reconciler acts on containers (except
// /stop's removal, which must not answer before the container is gone).

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/sealed_box.h"
#include "sandbox/sandbox_addressing.h"
#include "sandbox/sandbox_service.h"
#include "sandbox/work_queue.h"

namespace oh::control {

// The inputs of a sandbox's reported status (statusOf), apart from its record.
struct StatusInputs {
  DesiredState desired = DesiredState::running;
  bool has_error = false;
  bool observed = false;  // the container was looked at since this process started
  bool running = false;   // observed running with an address
  bool pending = false;   // this process accepted a start or resume and is bringing it up
};

// "paused" | "starting" | "running" | "error"; see the rules in sandbox_service.cpp.
const char* statusOf(const StatusInputs& inputs);

struct SandboxService::Impl {
  using SteadyClock = std::chrono::steady_clock;

  // One sandbox as this process knows it.
  struct Known {
    std::string owner;
    DesiredState desired = DesiredState::running;
    bool has_error = false;
    std::int64_t revision = 0;     // of the record these fields came from
    std::int64_t created_at = 0;   // with owner, tells a re-created id from the earlier sandbox
    SandboxPorts ports;
    std::string session_key_sha256;
    WorkloadState state = WorkloadState::absent;
    std::string address;
    bool observed = false;
    std::uint64_t observed_epoch = 0;  // when (epoch_counter) state/address were written
    std::uint64_t record_epoch = 0;    // when (epoch_counter) the record fields were written
    SandboxRoutePtr route;             // immutable; replaced when any routed field changes
  };
  enum class PendingKind { create, resume };
  // A start or resume under way. The reconciler clears one only by the generation it read
  // with the record, so a reconcile working from an older read never cancels a newer resume.
  struct Pending {
    PendingKind kind = PendingKind::create;
    std::uint64_t generation = 0;
    SteadyClock::time_point since;
  };

  Impl(SandboxServiceSettings settings, SandboxStorePtr store, WorkloadBackendPtr backend,
       common::WallClock& clock, common::RandomSource& random, common::SealedBox box);

  const SandboxServiceSettings settings;
  const SandboxStorePtr store;
  const WorkloadBackendPtr backend;
  common::WallClock& clock;
  common::RandomSource& random;
  const common::SealedBox box;

  // --- the index (sandbox_index.cpp); every member below is guarded by mutex -------------------
  mutable std::mutex mutex;
  std::unordered_map<std::string, Known> known;
  std::unordered_map<std::string, Pending> pending;
  std::unordered_map<std::string, std::size_t> attempts;      // consecutive failures (backoff)
  std::unordered_map<std::string, std::string> conversations; // lowercase conversation -> sandbox id
  std::uint64_t epoch_counter = 0;  // orders what was learnt against listings begun before it
  std::unordered_map<std::string, std::uint64_t> forgotten;  // id -> epoch removed (until the next resync)
  std::uint64_t pending_counter = 0;
  SandboxMetrics counters;                                    // latency and actions (gauges computed)
  std::atomic<std::shared_ptr<const SandboxRoutes>> published{std::make_shared<const SandboxRoutes>()};

  // Records what a record says (when newer than what is known) and republishes if a route
  // changed. The Locked forms answer whether one did.
  void learnRecord(const SandboxRecord& record);
  bool learnRecordLocked(const SandboxRecord& record, std::string session_key_sha256,
                         std::optional<std::uint64_t> listed_at);
  std::string sessionKeyDigestOf(const SandboxRecord& record) const;  // locks
  // Records an observation of the container, as learnRecord. The Locked forms, for a listing
  // that began at epoch `listed_at`, keep anything learnt (or forgotten) since.
  void learnObservation(const std::string& id, const WorkloadObservation& seen);
  bool learnObservationLocked(const std::string& id, const WorkloadObservation& seen,
                              std::optional<std::uint64_t> listed_at);
  std::uint64_t observationEpoch();
  void forget(const std::string& id);
  StatusInputs statusInputs(const SandboxRecord& record) const;  // locks
  StatusInputs statusInputsLocked(const SandboxRecord& record) const;
  std::optional<std::uint64_t> pendingGeneration(const std::string& id) const;
  void markPending(const std::string& id, PendingKind kind);
  void clearPending(const std::string& id);  // the API's (under the sandbox's id lock)
  void clearPending(const std::string& id, std::uint64_t generation);
  // The container came up: the pending start or resume is over (latency counted).
  void finishPending(const std::string& id, std::uint64_t generation);
  void republishLocked();
  bool refreshRouteLocked(const std::string& id, Known& entry);  // true: the route was replaced

  // --- API helpers (sandbox_service.cpp) -----------------------------------------------------
  ApiResult<SandboxRecord> ownedRecord(std::string_view owner, std::string_view id);
  // Applies `change` (false: nothing to write) and writes the record by compare-and-set,
  // re-reading and applying it again after a lost race; the record as written.
  ApiResult<SandboxRecord> updateOwned(std::string_view owner, SandboxRecord record,
                                       const std::function<bool(SandboxRecord&)>& change);
  SandboxView viewOf(const SandboxRecord& record);
  std::mutex& lockFor(std::string_view id);
  std::array<std::mutex, 64> id_locks;  // serialise API mutations of one sandbox

  // --- the reconciler (reconciler.cpp) --------------------------------------------------------
  enum class Outcome { done, again, retry };  // again: re-read at once (lost a compare-and-set)
  Outcome reconcile(const std::string& id);
  Outcome bringUp(SandboxRecord& record, const WorkloadObservation& seen, std::uint64_t generation);
  Outcome onBackendFailure(SandboxRecord& record, const BackendFailure& failure, std::uint64_t generation);
  Outcome recordError(SandboxRecord& record, const std::string& reason, std::uint64_t generation);
  void work();
  void resync();
  void housekeep();
  void linkNow(const std::string& sandbox_id, const std::string& conversation_id);

  WorkQueue queue;
  std::vector<std::thread> workers;
  std::thread housekeeper;
  std::mutex housekeeping_mutex;
  std::condition_variable housekeeping_cv;
  bool stopping = false;                                     // guarded by housekeeping_mutex
  std::deque<std::pair<std::string, std::string>> noted;     // guarded by housekeeping_mutex
  static constexpr std::size_t kMaxNoted = 4096;
};

}  // namespace oh::control
