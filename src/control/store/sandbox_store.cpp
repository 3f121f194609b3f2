#include "store/sandbox_store.h"

#include "store/postgres_sandbox_store.h"
#include "store/sqlite_sandbox_store.h"
#include "store/store_url.h"

namespace oh::control {

Result<SandboxStorePtr> openSandboxStore(std::string_view url) {
  const auto kind = storeKindOf(url);
  if (!kind) {
    return common::fail(kind.error());
  }
  if (*kind == StoreKind::sqlite) {
    auto path = sqlitePathOf(url);
    if (!path) {
      return common::fail(path.error());
    }
    return openSqliteSandboxStore(*path, redactedUrl(url));
  }
  if (auto checked = checkPostgresUrl(url); !checked) {
    return common::fail(checked.error());
  }
  return openPostgresSandboxStore(std::string(url), redactedUrl(url));
}

}  // namespace oh::control
