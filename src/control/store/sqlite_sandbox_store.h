#pragma once
// The embedded store: one SQLite file (created 0600, its directory 0700), WAL journal, a busy
// timeout so two processes on one file wait instead of failing, and one connection guarded by
// a mutex (the API thread and the reconciler share it).

#include <string>

#include "store/sandbox_store.h"

namespace oh::control {

// Opens (creating, then migrating) the database at an absolute path. url_for_messages is how
// failures name it.
Result<SandboxStorePtr> openSqliteSandboxStore(const std::string& path, const std::string& url_for_messages);

}  // namespace oh::control
