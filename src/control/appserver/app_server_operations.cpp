#include "appserver/app_server_operations.h"

#include <filesystem>
#include <system_error>

#include "appserver/app_server_workload.h"
#include "sandbox/user_key.h"

namespace oh::control {

common::Result<OperationDone> removeUserAppServer(WorkloadBackend& backend, std::string_view user_key) {
  if (!isUserKey(user_key)) {
    return common::failure("not a user key");
  }
  if (auto removed = backend.remove(appServerName(user_key)); !removed) {
    return common::failure("remove the app server: " + removed.error().reason);
  }
  return OperationDone{};
}

common::Result<OperationDone> deleteUserAppServerData(const AppServerPoolSettings& settings, WorkloadBackend& backend,
                                                      UserDatabases* databases, std::string_view user_key) {
  if (!isUserKey(user_key) || settings.data_root.empty()) {
    return common::failure("not a user key, or no data root");
  }
  std::string first_failure;
  if (auto removed = removeUserAppServer(backend, user_key); !removed) {
    first_failure = removed.error().reason;
  }
  // remove_all removes a symbolic link planted in place of the directory, not its target.
  std::error_code ec;
  std::filesystem::remove_all(userDataDirectory(settings, user_key), ec);
  if (ec && first_failure.empty()) {
    first_failure = "remove the persistence directory: " + ec.message();
  }
  if (databases != nullptr) {
    if (auto dropped = databases->drop(user_key); !dropped && first_failure.empty()) {
      first_failure = dropped.error().reason;
    }
  }
  if (!first_failure.empty()) {
    return common::failure(first_failure);
  }
  return OperationDone{};
}

}  // namespace oh::control
