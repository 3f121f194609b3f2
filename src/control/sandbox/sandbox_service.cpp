// The sandbox service's API half: every call answers from the store and the index at once and
// leaves container work to the reconciler (reconciler.cpp), because the app server gives each
// call 15 s and never retries (OpenHands 1.7.0 services/httpx_client_injector.py:18,27).
#include "sandbox/sandbox_service.h"

#include <functional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "common/text.h"
#include "sandbox/sandbox_keys.h"
#include "sandbox/sandbox_service_impl.h"
#include "sandbox/sandbox_workload.h"
#include "sandbox/start_validation.h"
#include "sandbox/user_key.h"

namespace oh::control {
namespace {

ApiError notFound() { return ApiError{404, "sandbox not found"}; }
ApiError storeDown() { return ApiError{503, "the sandbox store is unavailable"}; }

common::SealedBox sealedBoxOrThrow(const std::string& key) {
  auto box = common::SealedBox::create(key);
  if (!box) {
    throw std::invalid_argument("sandbox service: seal_key must be 32 bytes");
  }
  return std::move(box).value();
}

bool isConversationId(std::string_view id) {
  constexpr std::size_t kHexLength = 32;  // uuid4().hex (live_status_app_conversation_service.py:313)
  if (id.size() != kHexLength) {
    return false;
  }
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

SandboxService::SandboxService(SandboxServiceSettings settings, SandboxStorePtr store, WorkloadBackendPtr backend,
                               common::WallClock& clock, common::RandomSource& random) {
  auto box = sealedBoxOrThrow(settings.seal_key);
  impl_ = std::make_unique<Impl>(std::move(settings), std::move(store), std::move(backend), clock, random,
                                 std::move(box));
}

SandboxService::~SandboxService() { stop(); }

// ---- reads -----------------------------------------------------------------------------------

ApiResult<SandboxRecord> SandboxService::Impl::ownedRecord(std::string_view owner, std::string_view id) {
  if (!isSandboxId(id)) {
    return common::fail(notFound());
  }
  auto got = store->get(id);
  if (!got) {
    return common::fail(storeDown());
  }
  // Another owner's sandbox is "not found", exactly as one that does not exist (issue 13 item 1).
  if (!got->has_value() || (*got)->owner != owner) {
    return common::fail(notFound());
  }
  return std::move(**got);
}

ApiResult<SandboxRecord> SandboxService::Impl::updateOwned(std::string_view owner, SandboxRecord record,
                                                          const std::function<bool(SandboxRecord&)>& change) {
  const std::string id = record.id;
  for (;;) {
    if (!change(record)) {
      return record;
    }
    record.updated_at = clock.now().time_since_epoch().count();
    auto updated = store->update(record);
    if (!updated) {
      return common::fail(storeDown());
    }
    if (*updated) {
      ++record.revision;
      return record;
    }
    auto reread = ownedRecord(owner, id);  // another writer got there first (the reconciler)
    if (!reread) {
      return common::fail(reread.error());
    }
    record = std::move(*reread);
  }
}

SandboxView SandboxService::Impl::viewOf(const SandboxRecord& record) {
  SandboxView view;
  view.session_id = record.id;
  view.runtime_id = record.id;
  view.status = statusOf(statusInputs(record));
  auto keys = unsealSandboxKeys(box, record.sealed_keys, record.owner, record.id);
  if (keys) {
    view.session_api_key = std::move(keys->session_api_key);
  } else {
    view.status = "error";  // sealed under another key: the sandbox cannot be given its keys
  }
  if (view.status == "starting" || view.status == "running") {
    view.url = sandboxUrl(settings, record.id, portsOf(record.spec).agent);
  }
  return view;
}

std::mutex& SandboxService::Impl::lockFor(std::string_view id) {
  // Case-insensitive, as ids are unique in any case: variants of one id share a lock.
  std::size_t hash = 0;
  for (char c : id) {
    hash = hash * 31 + static_cast<unsigned char>(common::toLowerAscii(c));
  }
  return id_locks[hash % id_locks.size()];
}

ApiResult<SandboxView> SandboxService::get(std::string_view owner, std::string_view id) {
  auto record = impl_->ownedRecord(owner, id);
  if (!record) {
    return common::fail(record.error());
  }
  return impl_->viewOf(*record);
}

// Ids that are unknown or another owner's are left out (OpenHands matches the reply on
// session_id and skips what is missing, remote_sandbox_service.py:234-266).
ApiResult<std::vector<SandboxView>> SandboxService::batch(std::string_view owner, const std::vector<std::string>& ids) {
  std::vector<SandboxView> views;
  for (const auto& id : ids) {
    auto record = impl_->ownedRecord(owner, id);
    if (record) {
      views.push_back(impl_->viewOf(*record));
    } else if (record.error().status != 404) {
      return common::fail(record.error());
    }
  }
  return views;
}

// Only starting and running sandboxes: OpenHands 1.7.0's pause_old_sandboxes (RSS:621-661),
// called before every start and resume (RSS:447, 532), counts every listed runtime as running
// and pauses the newest beyond max_num_sandboxes - 1 (9 by default): listing paused ones too
// would pause a user's newest, running sandbox at each start once they have ten conversations.
// The other readers want active ones anyway: the poller keeps "running" (RSS:735-746) and the
// legacy key scan serves running agents' callbacks (RSS:352-406). Paused sandboxes are read
// through /sessions/{id} and /sessions/batch, which report every one.
ApiResult<std::vector<SandboxView>> SandboxService::list(std::string_view owner) {
  auto records = impl_->store->list(owner);
  if (!records) {
    return common::fail(storeDown());
  }
  std::vector<SandboxView> views;
  views.reserve(records->size());
  for (const auto& record : *records) {
    SandboxView view = impl_->viewOf(record);
    if (view.status == "starting" || view.status == "running") {
      views.push_back(std::move(view));
    }
  }
  return views;
}

// ---- changes ---------------------------------------------------------------------------------

namespace {

// How many of an owner's sandboxes count against the running limit: those starting or running.
std::size_t countActive(SandboxService::Impl& impl, const std::vector<SandboxRecord>& records, std::string_view except) {
  std::size_t active = 0;
  for (const auto& record : records) {
    if (record.id == except) {
      continue;
    }
    const std::string_view status = statusOf(impl.statusInputs(record));
    if (status == "starting" || status == "running") {
      ++active;
    }
  }
  return active;
}

// What resume, pause and remove begin with: the id locked, and the owner's record of it read
// (another owner's is "not found"); `action` does the rest under the lock.
template <typename Action>
auto withOwnedRecord(SandboxService::Impl& impl, std::string_view owner, std::string_view id, Action&& action)
    -> std::invoke_result_t<Action, SandboxRecord> {
  std::lock_guard id_lock(impl.lockFor(id));
  auto record = impl.ownedRecord(owner, id);
  if (!record) {
    return common::fail(record.error());
  }
  return std::forward<Action>(action)(std::move(*record));
}

// What start, resume and pause end with, once the record is written: the index learns it, the
// caller's view is taken before the reconciler can move it on, and its reconcile is queued.
SandboxView learnAndQueue(SandboxService::Impl& impl, const SandboxRecord& record) {
  impl.learnRecord(record);
  SandboxView view = impl.viewOf(record);
  impl.queue.add(record.id);
  return view;
}

}  // namespace

ApiResult<SandboxView> SandboxService::startSandbox(std::string_view owner, StartRequest request) {
  Impl& impl = *impl_;
  if (!isUserKey(owner)) {  // it names directories and networks
    return common::fail(ApiError{400, "the API key names no valid owner"});
  }
  if (auto refused = validateStart(impl.settings, request)) {
    return common::fail(std::move(*refused));
  }
  const std::string& id = request.session_id;
  std::lock_guard id_lock(impl.lockFor(id));

  // A repeated start of the owner's own sandbox answers what exists (idempotent); any other
  // holder of the id, or of a variant of it in another case, is a conflict.
  auto existing = impl.store->get(id);
  if (!existing) {
    return common::fail(storeDown());
  }
  if (existing->has_value()) {
    if ((*existing)->owner != owner) {
      return common::fail(ApiError{409, "sandbox id already in use"});
    }
    return impl.viewOf(**existing);
  }
  auto records = impl.store->list(owner);
  if (!records) {
    return common::fail(storeDown());
  }
  if (records->size() >= impl.settings.max_sandboxes_per_user) {
    return common::fail(ApiError{409, "at most " + std::to_string(impl.settings.max_sandboxes_per_user) +
                                          " sandboxes per user: stop one first"});
  }
  if (countActive(impl, *records, id) >= impl.settings.max_running_per_user) {
    return common::fail(ApiError{429, "at most " + std::to_string(impl.settings.max_running_per_user) +
                                          " running sandboxes per user: pause one first"});
  }

  SandboxRecord record;
  record.id = id;
  record.owner = std::string(owner);
  record.spec = std::move(request.spec);
  record.sealed_keys = sealSandboxKeys(impl.box, generateSandboxKeys(impl.random), owner, id, impl.random);
  record.desired = DesiredState::running;
  record.created_at = record.updated_at = impl.clock.now().time_since_epoch().count();
  record.revision = 1;

  impl.markPending(id, Impl::PendingKind::create);  // before the insert: the reconciler may see it at once
  auto inserted = impl.store->insert(record);
  if (!inserted || !*inserted) {
    impl.clearPending(id);
    if (!inserted) {
      return common::fail(storeDown());
    }
    // Lost a race: the same owner's concurrent start (answer it), or a case variant (conflict).
    auto winner = impl.store->get(id);
    if (winner && winner->has_value() && (*winner)->owner == owner) {
      return impl.viewOf(**winner);
    }
    return common::fail(ApiError{409, "sandbox id already in use"});
  }
  return learnAndQueue(impl, record);
}

ApiResult<SandboxView> SandboxService::resume(std::string_view owner, std::string_view id_in) {
  Impl& impl = *impl_;
  return withOwnedRecord(impl, owner, id_in, [&](SandboxRecord record) -> ApiResult<SandboxView> {
    const std::string id = record.id;
    const std::string_view status = statusOf(impl.statusInputs(record));
    // Resumed already (two resumes at once: the second lands here). "starting" without a pending
    // start of ours is a sandbox not looked at since this process started (an instance replaced):
    // it is resumed like a paused one, or the first resync would record it paused after the
    // resume was answered.
    if (status == "starting" && impl.pendingGeneration(id)) {
      return impl.viewOf(record);
    }
    // "running" is what the index saw at its last resync, up to resync_interval ago: the
    // container may be gone since. A reconcile of a pending sandbox looks, and re-creates it if
    // so (a running one is left as it is), instead of answering "running" for a container the
    // owner cannot reach until the next resync records it paused.
    if (status == "running") {
      impl.markPending(id, Impl::PendingKind::resume);
      impl.queue.add(id);
      return impl.viewOf(record);
    }
    auto records = impl.store->list(owner);
    if (!records) {
      return common::fail(storeDown());
    }
    if (countActive(impl, *records, id) >= impl.settings.max_running_per_user) {
      return common::fail(ApiError{429, "at most " + std::to_string(impl.settings.max_running_per_user) +
                                            " running sandboxes per user: pause one first"});
    }
    // Pending first, then the write: a reconcile that read the record before this write fails its
    // own compare-and-set and re-reads, so it cannot take this sandbox for one stopped behind our
    // back. The write always happens (even when desired is running already) for that reason.
    impl.markPending(id, Impl::PendingKind::resume);
    auto written = impl.updateOwned(owner, std::move(record), [](SandboxRecord& r) {
      r.desired = DesiredState::running;
      r.last_error.clear();
      return true;
    });
    if (!written) {
      impl.clearPending(id);
      return common::fail(written.error());
    }
    return learnAndQueue(impl, *written);
  });
}

ApiResult<SandboxView> SandboxService::pause(std::string_view owner, std::string_view id_in) {
  Impl& impl = *impl_;
  return withOwnedRecord(impl, owner, id_in, [&](SandboxRecord record) -> ApiResult<SandboxView> {
    const std::string id = record.id;
    auto written = impl.updateOwned(owner, std::move(record), [](SandboxRecord& r) {
      const bool change = r.desired != DesiredState::paused;
      r.desired = DesiredState::paused;
      return change;
    });
    if (!written) {
      return common::fail(written.error());
    }
    impl.clearPending(id);
    return learnAndQueue(impl, *written);
  });
}

// The container goes first and the record after it: a record never vanishes while its
// container runs. A create still under way on a worker finishes before the reconcile queued
// here runs, and that reconcile, finding no record, removes what it made. The workspace
// directory is kept (retention is not configurable yet).
ApiResult<bool> SandboxService::remove(std::string_view owner, std::string_view id_in) {
  Impl& impl = *impl_;
  return withOwnedRecord(impl, owner, id_in, [&](SandboxRecord record) -> ApiResult<bool> {
    const std::string& id = record.id;
    auto removed = impl.backend->remove(workloadName(id));
    if (!removed) {
      const bool unavailable = removed.error().kind == BackendFailure::Kind::unavailable;
      return common::fail(ApiError{unavailable ? 503u : 500u, "the sandbox's container could not be removed"});
    }
    auto deleted = impl.store->remove(id);
    if (!deleted) {
      return common::fail(storeDown());
    }
    {
      std::lock_guard lock(impl.mutex);
      ++impl.counters.reconcile.removed;
    }
    impl.forget(id);
    impl.queue.add(id);
    return true;
  });
}

// ---- links, routes, metrics ------------------------------------------------------------------

void SandboxService::linkConversation(std::string_view sandbox_id, std::string_view conversation_id) {
  impl_->linkNow(std::string(sandbox_id), std::string(conversation_id));
}

void SandboxService::Impl::linkNow(const std::string& sandbox_id, const std::string& conversation_id) {
  if (!isConversationId(conversation_id)) {
    return;
  }
  {
    std::lock_guard lock(mutex);
    auto sandbox = known.find(sandbox_id);
    if (sandbox == known.end()) {
      return;
    }
    if (auto linked = conversations.find(conversation_id); linked != conversations.end()) {
      if (linked->second == sandbox_id) {
        return;
      }
      auto current = known.find(linked->second);
      if (current != known.end() && current->second.owner != sandbox->second.owner) {
        return;  // never moved to another owner's sandbox
      }
    }
  }
  if (!store->linkConversation(sandbox_id, conversation_id)) {
    return;  // not published unless stored: a restart must not lose what routes showed
  }
  std::lock_guard lock(mutex);
  if (known.count(sandbox_id) != 0) {
    conversations.insert_or_assign(conversation_id, sandbox_id);
    republishLocked();
  }
}

void SandboxService::noteConversation(std::string_view sandbox_id, std::string_view conversation_id) {
  const SandboxRoutesPtr snapshot = routes();
  if (const SandboxRoute* route = snapshot->find(conversation_id); route != nullptr && route->sandbox_id == sandbox_id) {
    return;  // published already: the common case, on every request of a linked conversation
  }
  if (!isConversationId(conversation_id) || !isSandboxId(sandbox_id)) {
    return;
  }
  {
    std::lock_guard lock(impl_->housekeeping_mutex);
    if (impl_->noted.size() >= Impl::kMaxNoted) {
      return;  // the housekeeper is behind: the next request notes it again
    }
    impl_->noted.emplace_back(sandbox_id, conversation_id);
  }
  impl_->housekeeping_cv.notify_one();
}

SandboxRoutesPtr SandboxService::routes() const { return impl_->published.load(); }

SandboxMetrics SandboxService::metrics() const {
  std::lock_guard lock(impl_->mutex);
  SandboxMetrics out = impl_->counters;
  out.sandboxes = {};
  for (const auto& [id, entry] : impl_->known) {
    StatusInputs in;
    in.desired = entry.desired;
    in.has_error = entry.has_error;
    in.observed = entry.observed;
    in.running = entry.state == WorkloadState::running && !entry.address.empty();
    in.pending = impl_->pending.count(id) != 0;
    const std::string_view status = statusOf(in);
    auto& by = out.sandboxes;
    (status == "running" ? by.running : status == "starting" ? by.starting : status == "error" ? by.error : by.paused)++;
  }
  return out;
}

}  // namespace oh::control
