#pragma once
// What an operator does to one user's app server, as blocking calls over the backend: the
// pool's workers run them for the admin listener, and `oh-gateway` runs them from the command
// line against the same engine when no gateway is running.

#include <string_view>

#include "appserver/app_server_pool_settings.h"
#include "appserver/user_databases.h"
#include "backend/workload_backend.h"
#include "common/result.h"

namespace oh::control {

struct OperationDone {};

// Removes the user's app-server container (absent is success); the data stays.
common::Result<OperationDone> removeUserAppServer(WorkloadBackend& backend, std::string_view user_key);

// Removes the container, then the user's persistence directory, then their database (databases
// may be null: SQLite lives in the directory). Each step runs even when an earlier one found
// nothing; the first failure is returned after the others are tried.
common::Result<OperationDone> deleteUserAppServerData(const AppServerPoolSettings& settings, WorkloadBackend& backend,
                                                      UserDatabases* databases, std::string_view user_key);

}  // namespace oh::control
