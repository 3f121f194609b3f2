#pragma once
// OpenHands' remote sandbox API over a store and a workload backend (issue 13, DESIGN.md
// section 6). Every call names the owner (from the API key) and sees only that owner's
// sandboxes: any other id is "not found". Calls answer from the store at once; container work
// (create, start, stop, re-create) runs on the service's reconcile thread, which moves each
// sandbox's container toward its record's desired state (controller style: events, restarts and
// timers only enqueue ids; a crash at any line is repaired by the next reconcile).
//
//   SandboxService service(settings, store, backend, clock, random);
//   service.start();                       // reconcile every record and every labelled container
//   auto view = service.startSandbox(owner, request);   // from the API thread
//   gateway reads service.routes()         // the data plane's snapshot

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/workload_backend.h"
#include "common/random_source.h"
#include "common/result.h"
#include "common/wall_clock.h"
#include "sandbox/sandbox_routes.h"
#include "store/sandbox_store.h"

namespace oh::control {

struct SandboxServiceSettings {
  std::vector<std::string> allowed_images;   // exact references; anything else is refused (400)
  std::string workspace_root;                // {root}/{owner}/{sandboxId} mounted at /workspace
  std::string public_scheme = "https";       // of the url we return
  std::string runtime_suffix;                // "runtime.{sub}.{domain}": url host = {port}-{id}.{suffix}
  std::uint16_t public_port = 0;             // in the url when not the scheme's default
  std::string network_prefix = "oh-user-";   // the owner's network: {prefix}{owner}
  // The value of the "org.openhands.managed" label on our containers. Every container with it
  // and no record is removed at start, so one value belongs to one service: one gateway per
  // Docker host, and each test its own value (tests share Podman's storage).
  std::string managed_label_value = "sandbox";
  WorkloadLimits limits;                     // per sandbox at resource_factor 1
  double max_resource_factor = 4;            // larger factors are refused (400)
  std::size_t max_running_per_user = 4;      // a start or resume beyond it: 429
  std::size_t max_sandboxes_per_user = 100;  // records, running or not: 409 beyond
  std::chrono::seconds stop_grace{10};
  std::string seal_key;                      // 32 bytes: seals the session key and OH_SECRET_KEY
  // Container credentials (issue 15): when credentials_uri is set, every sandbox gets
  // AWS_CONTAINER_CREDENTIALS_FULL_URI = credentials_uri and its own
  // AWS_CONTAINER_AUTHORIZATION_TOKEN derived from credentials_token_key (32 bytes).
  std::string credentials_uri;               // http://169.254.170.2:8091/v1/credentials
  std::string credentials_token_key;
  std::string credentials_region;            // AWS_REGION and AWS_DEFAULT_REGION unless the app server set them

  // The reconciler: workers (one sandbox is never worked on by two at once), how often the
  // workloads are listed to notice containers that stopped or vanished behind our back, and
  // the backoff after a failure that may pass (backend unavailable): initial, doubled, capped.
  std::size_t reconcile_workers = 4;
  std::chrono::milliseconds resync_interval{std::chrono::seconds(30)};
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{std::chrono::seconds(30)};
  std::size_t max_attempts_other = 5;        // "other" backend failures before status error
};

// What the gateway renders as Prometheus metrics (a snapshot; counters only grow).
struct SandboxMetrics {
  // Gauges: every recorded sandbox, by the status the API reports.
  struct ByStatus {
    std::uint64_t starting = 0, running = 0, paused = 0, error = 0;
  } sandboxes;

  // Counters: from the call (start or resume) to the container observed running.
  struct Latency {
    std::uint64_t count = 0;
    double seconds_sum = 0;
  };
  Latency create;   // /start of a new sandbox
  Latency resume;   // /resume (a stopped container started, or a missing one re-created)

  // Counters: what the reconciler did to workloads and records.
  struct Actions {
    std::uint64_t created = 0;         // a container created (new, or re-created on resume)
    std::uint64_t started = 0;         // a container started
    std::uint64_t stopped = 0;         // a container stopped (pause)
    std::uint64_t removed = 0;         // a container removed (stop, or an orphan without a record)
    std::uint64_t marked_paused = 0;   // a record paused because its container stopped or vanished
    std::uint64_t retried = 0;         // a reconcile retried after a failure that may pass
    std::uint64_t failed = 0;          // a sandbox put in status error (refused by the backend)
  } reconcile;
};

// One sandbox as the API reports it (the fields OpenHands reads, remote_sandbox_service.py:137-189).
struct SandboxView {
  std::string session_id;
  std::string runtime_id;
  std::string status;            // "starting" | "running" | "paused" | "error" (lowercase)
  std::string url;               // set while starting or running
  std::string session_api_key;   // always present (the app server indexes it)
};

// The failures the API maps to HTTP: 400, 404, 409, 429, 503 (with Retry-After).
struct ApiError {
  unsigned status = 500;
  std::string message;           // sent to the caller: never a secret
};

template <class T>
using ApiResult = common::Result<T, ApiError>;

// What removeOwner() removed.
struct OwnerRemoval {
  std::vector<std::string> sandboxes;   // ids of the records removed (their containers with them)
  std::size_t orphan_containers = 0;    // containers of the owner's that had no record
  bool workspaces = false;              // {workspace_root}/{owner} existed and was removed
  std::string network;                  // the network's name (removed, or absent already)
};

// The body of POST /start, parsed (sandbox_api.h) but not yet validated.
struct StartRequest {
  std::string session_id;
  SandboxSpec spec;
  std::string runtime_class;     // refused unless empty
};

class SandboxService final : public SandboxRouteSource {
public:
  // settings.seal_key must be 32 bytes (the gateway's configuration checks it first); the
  // constructor throws std::invalid_argument otherwise. clock and random outlive the service.
  SandboxService(SandboxServiceSettings settings, SandboxStorePtr store, WorkloadBackendPtr backend,
                 common::WallClock& clock, common::RandomSource& random);
  ~SandboxService() override;  // stops the reconcile thread

  // Reconciles every record against every workload carrying our label (orphans removed,
  // missing ones left paused), then follows the queue. Returns at once.
  void start();
  void stop();

  ApiResult<SandboxView> startSandbox(std::string_view owner, StartRequest request);
  ApiResult<SandboxView> get(std::string_view owner, std::string_view id);
  ApiResult<std::vector<SandboxView>> batch(std::string_view owner, const std::vector<std::string>& ids);
  ApiResult<std::vector<SandboxView>> list(std::string_view owner);
  ApiResult<SandboxView> resume(std::string_view owner, std::string_view id);
  ApiResult<SandboxView> pause(std::string_view owner, std::string_view id);
  ApiResult<bool> remove(std::string_view owner, std::string_view id);  // /stop

  // Everything the sandbox service keeps of one owner, for `oh-gateway user delete-data`: every
  // sandbox removed as remove() does (container first, then record), containers of ours with
  // that owner and no record too, the owner's workspace directory, and last the owner's network
  // (the owner's app server must be gone from it first). Idempotent; 400 for a key that is not a
  // user key, 503/500 when the engine or store refuses (what was removed stays removed).
  ApiResult<OwnerRemoval> removeOwner(std::string_view owner);

  // Read from the app server (sandbox_id on its conversation records): conversation -> sandbox,
  // stored and published at once (blocks on the store). A conversation id is 32 lowercase hex
  // digits; one already linked to another owner's sandbox is never moved.
  void linkConversation(std::string_view sandbox_id, std::string_view conversation_id);

  SandboxMetrics metrics() const;

  // SandboxRouteSource
  SandboxRoutesPtr routes() const override;
  // Queued (bounded; a link already published returns at once) and linked by the service's
  // housekeeping thread, as linkConversation.
  void noteConversation(std::string_view sandbox_id, std::string_view conversation_id) override;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace oh::control
