#include "fake_workload_backend.h"

namespace oh::control::testing {
namespace {

BackendFailure unavailableFailure() { return BackendFailure{BackendFailure::Kind::unavailable, "fake backend: unavailable"}; }

}  // namespace

std::optional<BackendFailure> FakeWorkloadBackend::failureLocked() const {
  if (unavailable_) {
    return unavailableFailure();
  }
  return std::nullopt;
}

WorkloadObservation FakeWorkloadBackend::observe(const std::string& name) const {
  WorkloadObservation seen;
  seen.name = name;
  auto it = workloads_.find(name);
  if (it == workloads_.end()) {
    return seen;
  }
  seen.backend_id = it->second.id;
  seen.state = it->second.state;
  seen.address = it->second.state == WorkloadState::running ? it->second.address : "";
  seen.labels = it->second.spec.labels;
  return seen;
}

BackendResult<BackendDone> FakeWorkloadBackend::ensureNetwork(std::string_view name,
                                                              const std::map<std::string, std::string>& labels) {
  std::lock_guard lock(mutex_);
  if (auto failure = failureLocked()) {
    return common::fail(*failure);
  }
  networks_.try_emplace(std::string(name), labels);
  network_gateways_.try_emplace(std::string(name), "10.99." + std::to_string(network_gateways_.size()) + ".1");
  return BackendDone{};
}

BackendResult<std::string> FakeWorkloadBackend::networkGateway(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto failure = failureLocked()) {
    return common::fail(*failure);
  }
  if (networks_.count(std::string(name)) == 0) {
    return common::fail(BackendFailure{BackendFailure::Kind::other, "fake backend: no network " + std::string(name)});
  }
  return network_gateways_.at(std::string(name));
}

std::string FakeWorkloadBackend::gatewayOf(const std::string& network) const {
  std::lock_guard lock(mutex_);
  auto it = network_gateways_.find(network);
  return it == network_gateways_.end() ? std::string() : it->second;
}

BackendResult<BackendDone> FakeWorkloadBackend::removeNetwork(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto failure = failureLocked()) {
    return common::fail(*failure);
  }
  for (const auto& [workload_name, workload] : workloads_) {
    if (workload.spec.network == name) {
      return common::fail(BackendFailure{BackendFailure::Kind::refused, "fake backend: network has members"});
    }
  }
  networks_.erase(std::string(name));
  return BackendDone{};
}

BackendResult<BackendDone> FakeWorkloadBackend::pullImage(std::string_view image) {
  std::unique_lock lock(mutex_);
  ++pulls_waiting_;
  gate_.wait(lock, [this] { return !hold_pulls_; });
  --pulls_waiting_;
  if (auto failure = failureLocked()) {
    return common::fail(*failure);
  }
  if (!refuse_pulls_.empty()) {
    return common::fail(BackendFailure{BackendFailure::Kind::refused, refuse_pulls_});
  }
  pulled_.emplace_back(image);
  return BackendDone{};
}

void FakeWorkloadBackend::holdPulls(bool hold) {
  {
    std::lock_guard lock(mutex_);
    hold_pulls_ = hold;
  }
  gate_.notify_all();
}

void FakeWorkloadBackend::refusePulls(std::string reason) {
  std::lock_guard lock(mutex_);
  refuse_pulls_ = std::move(reason);
}

std::size_t FakeWorkloadBackend::pullsWaiting() const {
  std::lock_guard lock(mutex_);
  return pulls_waiting_;
}

std::vector<std::string> FakeWorkloadBackend::pulled() const {
  std::lock_guard lock(mutex_);
  return pulled_;
}

BackendResult<WorkloadObservation> FakeWorkloadBackend::create(const WorkloadSpec& spec) {
  std::unique_lock lock(mutex_);
  ++creates_waiting_;
  gate_.wait(lock, [this] { return !hold_creates_; });
  --creates_waiting_;
  if (auto failure = failureLocked()) {
    return common::fail(*failure);
  }
  if (!refuse_creates_.empty()) {
    return common::fail(BackendFailure{BackendFailure::Kind::refused, refuse_creates_});
  }
  if (workloads_.count(spec.name) != 0) {
    return common::fail(BackendFailure{BackendFailure::Kind::conflict, "fake backend: name in use"});
  }
  if (networks_.count(spec.network) == 0) {
    return common::fail(BackendFailure{BackendFailure::Kind::refused, "fake backend: no such network"});
  }
  ++creates_;
  workloads_[spec.name] = Workload{spec, WorkloadState::created, "", "id-" + std::to_string(creates_)};
  if (conflict_next_create_) {
    conflict_next_create_ = false;  // as if a create we never heard back from had succeeded
    return common::fail(BackendFailure{BackendFailure::Kind::conflict, "fake backend: name in use"});
  }
  return observe(spec.name);
}

BackendResult<WorkloadObservation> FakeWorkloadBackend::start(std::string_view name_in) {
  std::lock_guard lock(mutex_);
  if (auto failure = failureLocked()) {
    return common::fail(*failure);
  }
  const std::string name(name_in);
  auto it = workloads_.find(name);
  if (it == workloads_.end()) {
    return common::fail(BackendFailure{BackendFailure::Kind::other, "fake backend: no such workload"});
  }
  if (it->second.state != WorkloadState::running) {
    ++starts_;
    it->second.state = WorkloadState::running;
    it->second.address = "10.88.0." + std::to_string(next_address_++);
  }
  return observe(name);
}

BackendResult<BackendDone> FakeWorkloadBackend::stop(std::string_view name, std::chrono::seconds) {
  std::lock_guard lock(mutex_);
  if (auto failure = failureLocked()) {
    return common::fail(*failure);
  }
  auto it = workloads_.find(std::string(name));
  if (it != workloads_.end() && it->second.state == WorkloadState::running) {
    ++stops_;
    it->second.state = WorkloadState::exited;
    it->second.address.clear();
  }
  return BackendDone{};
}

BackendResult<BackendDone> FakeWorkloadBackend::remove(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto failure = failureLocked()) {
    return common::fail(*failure);
  }
  if (workloads_.erase(std::string(name)) != 0) {
    ++removes_;
  }
  return BackendDone{};
}

BackendResult<WorkloadObservation> FakeWorkloadBackend::inspect(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto failure = failureLocked()) {
    return common::fail(*failure);
  }
  return observe(std::string(name));
}

BackendResult<WorkloadUsage> FakeWorkloadBackend::usage(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto failure = failureLocked()) {
    return common::fail(*failure);
  }
  auto it = workloads_.find(std::string(name));
  if (it == workloads_.end() || it->second.state != WorkloadState::running) {
    return common::fail(BackendFailure{BackendFailure::Kind::other, "fake backend: not running"});
  }
  return WorkloadUsage{64ull << 20};
}

BackendResult<std::vector<WorkloadObservation>> FakeWorkloadBackend::list(std::string_view label_key,
                                                                          std::string_view label_value) {
  std::lock_guard lock(mutex_);
  if (auto failure = failureLocked()) {
    return common::fail(*failure);
  }
  std::vector<WorkloadObservation> out;
  for (const auto& [name, workload] : workloads_) {
    auto label = workload.spec.labels.find(std::string(label_key));
    if (label != workload.spec.labels.end() && label->second == label_value) {
      out.push_back(observe(name));
    }
  }
  return out;
}

void FakeWorkloadBackend::setUnavailable(bool unavailable) {
  std::lock_guard lock(mutex_);
  unavailable_ = unavailable;
}

void FakeWorkloadBackend::refuseCreates(std::string reason) {
  std::lock_guard lock(mutex_);
  refuse_creates_ = std::move(reason);
}

void FakeWorkloadBackend::holdCreates(bool hold) {
  {
    std::lock_guard lock(mutex_);
    hold_creates_ = hold;
  }
  gate_.notify_all();
}

std::size_t FakeWorkloadBackend::createsWaiting() const {
  std::lock_guard lock(mutex_);
  return creates_waiting_;
}

void FakeWorkloadBackend::putWorkload(const WorkloadSpec& spec, WorkloadState state) {
  std::lock_guard lock(mutex_);
  workloads_[spec.name] = Workload{spec, state, state == WorkloadState::running ? "10.88.1.1" : "", "planted"};
}

void FakeWorkloadBackend::removeBehindBack(const std::string& name) {
  std::lock_guard lock(mutex_);
  workloads_.erase(name);
}

void FakeWorkloadBackend::exitBehindBack(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = workloads_.find(name);
  if (it != workloads_.end()) {
    it->second.state = WorkloadState::exited;
    it->second.address.clear();
  }
}

void FakeWorkloadBackend::removeAll() {
  std::lock_guard lock(mutex_);
  workloads_.clear();
}

std::optional<WorkloadSpec> FakeWorkloadBackend::specOf(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = workloads_.find(name);
  return it == workloads_.end() ? std::nullopt : std::optional<WorkloadSpec>(it->second.spec);
}

std::optional<WorkloadState> FakeWorkloadBackend::stateOf(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = workloads_.find(name);
  return it == workloads_.end() ? std::nullopt : std::optional<WorkloadState>(it->second.state);
}

std::vector<std::string> FakeWorkloadBackend::networks() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, labels] : networks_) {
    out.push_back(name);
  }
  return out;
}

int FakeWorkloadBackend::creates() const { std::lock_guard lock(mutex_); return creates_; }
int FakeWorkloadBackend::starts() const { std::lock_guard lock(mutex_); return starts_; }
int FakeWorkloadBackend::stops() const { std::lock_guard lock(mutex_); return stops_; }
int FakeWorkloadBackend::removes() const { std::lock_guard lock(mutex_); return removes_; }
std::size_t FakeWorkloadBackend::size() const { std::lock_guard lock(mutex_); return workloads_.size(); }

}  // namespace oh::control::testing
