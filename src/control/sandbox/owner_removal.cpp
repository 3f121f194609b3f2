// SandboxService::removeOwner: everything of one owner's, for `oh-gateway user delete-data`
// (issue 14). Through the service's own operations (remove(), the backend's calls), so a gateway
// running beside the command sees records and containers go the way /stop makes them go.

#include <filesystem>
#include <system_error>

#include "sandbox/sandbox_addressing.h"
#include "sandbox/sandbox_service.h"
#include "sandbox/sandbox_service_impl.h"
#include "sandbox/sandbox_workload.h"  // kOwnerLabel, kManagedLabel
#include "sandbox/user_key.h"

namespace oh::control {
namespace {

ApiError backendError(const BackendFailure& failure, std::string what) {
  const bool unavailable = failure.kind == BackendFailure::Kind::unavailable;
  return ApiError{unavailable ? 503u : 500u, std::move(what) + ": " + failure.reason};
}

}  // namespace

ApiResult<OwnerRemoval> SandboxService::removeOwner(std::string_view owner) {
  Impl& impl = *impl_;
  if (!isUserKey(owner)) {  // it names a directory and a network
    return common::fail(ApiError{400, "not a user key"});
  }
  OwnerRemoval removal;
  auto records = impl.store->list(owner);
  if (!records) {
    return common::fail(ApiError{503, "the sandbox store is unavailable"});
  }
  for (const SandboxRecord& record : *records) {
    auto removed = remove(owner, record.id);
    if (!removed && removed.error().status != 404) {  // 404: removed meanwhile
      return common::fail(removed.error());
    }
    removal.sandboxes.push_back(record.id);
  }
  // Containers of ours with this owner and no record (a crash between create and record, or a
  // store restored from a backup): what the reconcile at a gateway's start would remove.
  auto workloads = impl.backend->list(kOwnerLabel, owner);
  if (!workloads) {
    return common::fail(backendError(workloads.error(), "list the owner's containers"));
  }
  for (const WorkloadObservation& workload : *workloads) {
    const auto managed = workload.labels.find(std::string(kManagedLabel));
    if (managed == workload.labels.end() || managed->second != impl.settings.managed_label_value) {
      continue;  // the owner's app server, or not ours
    }
    if (auto removed = impl.backend->remove(workload.name); !removed) {
      return common::fail(backendError(removed.error(), "remove container " + workload.name));
    }
    ++removal.orphan_containers;
  }
  // The owner's directory holds each sandbox's workspace ({root}/{owner}/{id}); remove_all
  // removes a symbolic link planted in its place, not what it points to.
  if (impl.settings.workspace_root.empty()) {
    return common::fail(ApiError{500, "no workspace root is configured"});
  }
  const std::filesystem::path directory = std::filesystem::path(impl.settings.workspace_root) / std::string(owner);
  std::error_code ec;
  removal.workspaces = std::filesystem::remove_all(directory, ec) > 0;
  if (ec) {
    return common::fail(ApiError{500, "remove the workspaces: " + ec.message()});
  }
  removal.network = networkName(impl.settings, owner);
  if (auto removed = impl.backend->removeNetwork(removal.network); !removed) {
    return common::fail(backendError(removed.error(), "remove network " + removal.network));
  }
  return removal;
}

}  // namespace oh::control
