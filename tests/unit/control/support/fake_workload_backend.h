#pragma once
// An in-memory WorkloadBackend for the service's unit tests: workloads by name with Docker's
// rules (a name exists once: create conflicts; start/stop/remove are idempotent; an address
// while running) and injectable failures: the backend unavailable, creates refused, a create
// that conflicts once, and a slow create held at a gate until the test opens it.

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backend/workload_backend.h"

namespace oh::control::testing {

class FakeWorkloadBackend final : public WorkloadBackend {
public:
  BackendResult<BackendDone> ensureNetwork(std::string_view name,
                                           const std::map<std::string, std::string>& labels) override;
  // "10.99.{n}.1" for the n-th network ensured (from 0); other for one that is not.
  BackendResult<std::string> networkGateway(std::string_view name) override;
  // As Docker: absent is success, one with workloads on it is refused.
  BackendResult<BackendDone> removeNetwork(std::string_view name) override;
  BackendResult<BackendDone> pullImage(std::string_view image) override;
  BackendResult<WorkloadObservation> create(const WorkloadSpec& spec) override;
  BackendResult<WorkloadObservation> start(std::string_view name) override;
  BackendResult<BackendDone> stop(std::string_view name, std::chrono::seconds grace) override;
  BackendResult<BackendDone> remove(std::string_view name) override;
  BackendResult<WorkloadObservation> inspect(std::string_view name) override;
  // 64 MiB per running workload; absent or stopped ones: other (as Docker's 404/409).
  BackendResult<WorkloadUsage> usage(std::string_view name) override;
  BackendResult<std::vector<WorkloadObservation>> list(std::string_view label_key,
                                                       std::string_view label_value) override;

  // --- failures -------------------------------------------------------------------------------
  void setUnavailable(bool unavailable);               // every call: Kind::unavailable
  void refuseCreates(std::string reason);              // creates: Kind::refused ("" = stop refusing)
  void conflictNextCreate() { conflict_next_create_ = true; }  // creates the workload yet answers conflict
  void holdCreates(bool hold);                         // creates wait until released (a slow pull)
  void holdPulls(bool hold);                           // pullImage waits until released
  void refusePulls(std::string reason);                // pullImage: Kind::refused ("" = stop refusing)
  std::size_t pullsWaiting() const;
  std::vector<std::string> pulled() const;             // every image pullImage was asked for
  std::size_t createsWaiting() const;

  // --- behind the service's back ----------------------------------------------------------------
  void putWorkload(const WorkloadSpec& spec, WorkloadState state);  // e.g. an orphan
  void removeBehindBack(const std::string& name);                   // `docker rm -f`
  void exitBehindBack(const std::string& name);                     // the agent exited
  void removeAll();                                                 // an instance replaced

  // --- what happened ------------------------------------------------------------------------------
  std::optional<WorkloadSpec> specOf(const std::string& name) const;
  std::optional<WorkloadState> stateOf(const std::string& name) const;
  std::vector<std::string> networks() const;
  std::string gatewayOf(const std::string& network) const;  // "" for a network never ensured
  int creates() const;
  int starts() const;
  int stops() const;
  int removes() const;
  std::size_t size() const;

private:
  struct Workload {
    WorkloadSpec spec;
    WorkloadState state = WorkloadState::created;
    std::string address;
    std::string id;
  };
  WorkloadObservation observe(const std::string& name) const;  // mutex held
  std::optional<BackendFailure> failureLocked() const;

  mutable std::mutex mutex_;
  std::condition_variable gate_;
  std::map<std::string, Workload> workloads_;
  std::map<std::string, std::map<std::string, std::string>> networks_;
  std::map<std::string, std::string> network_gateways_;
  bool unavailable_ = false;
  std::string refuse_creates_;
  bool conflict_next_create_ = false;
  bool hold_creates_ = false;
  bool hold_pulls_ = false;
  std::size_t pulls_waiting_ = 0;
  std::string refuse_pulls_;
  std::vector<std::string> pulled_;
  std::size_t creates_waiting_ = 0;
  int creates_ = 0, starts_ = 0, stops_ = 0, removes_ = 0;
  int next_address_ = 2;
};

}  // namespace oh::control::testing
