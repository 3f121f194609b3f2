#pragma once
// Where workloads run (DESIGN.md section 6): a backend creates, starts, stops, removes and
// observes workloads described in its own vocabulary, free of Docker specifics, so that an ECS
// backend would be a second implementation and not a rewrite. The Docker backend
// (docker_backend.h) speaks the Docker Engine API over a Unix socket (Docker or Podman).
//
// Calls block (they run on the control plane's threads, never on the data plane's) and are
// thread-safe. A name is the workload's stable identity: creating a name that exists is a
// conflict, so a crash between two calls is repaired by observing, never by guessing.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace oh::control {

struct WorkloadLimits {
  double cpus = 0;               // 0 = unlimited
  std::uint64_t memory_bytes = 0; // 0 = unlimited
  std::int64_t pids = 0;         // 0 = unlimited
  std::uint64_t disk_bytes = 0;  // the writable layer; 0 = unlimited (Docker: overlay2 on xfs with pquota)
};

// Why a create with a disk limit failed where the engine's storage cannot enforce one; never a
// silent start without the limit.
inline constexpr std::string_view kDiskLimitUnsupported =
    "sandbox.limits.disk_mb is set, but the engine's storage cannot limit a container's disk here "
    "(Docker and Podman need overlay on xfs mounted with pquota); set it to 0 or move the engine's storage";

struct WorkloadSpec {
  std::string name;                       // unique on the backend, e.g. "oh-sandbox-{id}"
  std::string image;
  std::vector<std::string> command;       // replaces the image's entrypoint (empty = the image's)
  std::string working_dir;
  std::vector<std::pair<std::string, std::string>> environment;
  std::map<std::string, std::string> labels;  // owner, sandbox id, "managed by" marker
  std::string user;                       // "uid:gid" or "" (the image's)
  std::vector<std::uint32_t> supplementary_groups;
  std::string network;                    // the owner's network; must exist (ensureNetwork)
  std::string workspace;                  // a handle the backend mounts at /workspace (Docker: host dir)
  WorkloadLimits limits;
};

enum class WorkloadState { absent, created, running, exited };

// What a running workload uses now (operators' listings).
struct WorkloadUsage {
  std::uint64_t memory_bytes = 0;  // resident, without the reclaimable page cache
};

// What the backend sees of one workload.
struct WorkloadObservation {
  std::string name;
  std::string backend_id;                 // Docker's container id ("" when absent)
  WorkloadState state = WorkloadState::absent;
  std::string address;                    // IP on its network while running, else ""
  std::map<std::string, std::string> labels;
};

// Why a call failed, in the vocabulary the service maps to HTTP answers.
struct BackendFailure {
  enum class Kind {
    unavailable,  // the backend cannot be reached or timed out: retry later (503)
    conflict,     // the name exists already (create)
    refused,      // the backend refused the request as given (bad image, bad option): not retried
    other,
  };
  Kind kind = Kind::other;
  std::string reason;  // for logs and the sandbox's error status; never a secret (no env values)
};

template <class T>
using BackendResult = common::Result<T, BackendFailure>;

struct BackendDone {};

class WorkloadBackend {
public:
  virtual ~WorkloadBackend() = default;

  // Creates the network if it does not exist (idempotent), with these labels.
  virtual BackendResult<BackendDone> ensureNetwork(std::string_view name,
                                                   const std::map<std::string, std::string>& labels) = 0;

  // The address the network's members see as their gateway, which is where the host, and a
  // process on the host's network such as oh-gateway, reaches them from (an app server trusts
  // X-Forwarded-For from it alone). "" when the backend cannot tell: callers then trust nobody.
  virtual BackendResult<std::string> networkGateway(std::string_view name) {
    (void)name;
    return std::string();
  }

  // Removes the network; absent already is success. One with members left is refused. A backend
  // without networks of its own (ECS) keeps this default.
  virtual BackendResult<BackendDone> removeNetwork(std::string_view name) {
    (void)name;
    return BackendDone{};
  }

  // Makes the image present (pulled when missing; present already is success), so a caller can
  // report a pull apart from the create (the app-server start page). Optional: create pulls a
  // missing image itself, and a backend with nothing to pull (ECS) keeps this default.
  virtual BackendResult<BackendDone> pullImage(std::string_view image) {
    (void)image;
    return BackendDone{};
  }

  // Creates the workload, not started. The image is pulled when missing locally.
  virtual BackendResult<WorkloadObservation> create(const WorkloadSpec& spec) = 0;

  // Starts a created or exited workload; running already is success. Returns it observed.
  virtual BackendResult<WorkloadObservation> start(std::string_view name) = 0;

  // Stops it (SIGTERM, then SIGKILL after grace); absent or stopped already is success.
  virtual BackendResult<BackendDone> stop(std::string_view name, std::chrono::seconds grace) = 0;

  // Removes it, stopping it first; absent already is success.
  virtual BackendResult<BackendDone> remove(std::string_view name) = 0;

  // What a running workload uses (Docker: one stats sample). Optional: the default says the
  // backend cannot tell (unavailable), and callers show no figure.
  virtual BackendResult<WorkloadUsage> usage(std::string_view name) {
    (void)name;
    return common::fail(BackendFailure{BackendFailure::Kind::unavailable, "this backend reports no usage"});
  }

  // One workload by name; state absent when there is none.
  virtual BackendResult<WorkloadObservation> inspect(std::string_view name) = 0;

  // Every workload carrying this label with this value (reconcile at start).
  virtual BackendResult<std::vector<WorkloadObservation>> list(std::string_view label_key,
                                                               std::string_view label_value) = 0;
};

using WorkloadBackendPtr = std::shared_ptr<WorkloadBackend>;

}  // namespace oh::control
