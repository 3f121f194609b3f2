#pragma once
// The store's schema as numbered migrations, in both SQL dialects, and the one loop that applies
// them. Each migration runs in its own transaction that first takes the database's migration
// lock (PostgreSQL: a transaction-level advisory lock; SQLite: BEGIN IMMEDIATE), so two gateways
// starting at once apply each migration exactly once. schema_version keeps one row per applied
// migration (its primary key refuses a second copy even without the lock).

#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace oh::control {

enum class SqlDialect { sqlite, postgresql };

// The newest schema this build knows; a database at a later version refuses to open.
int latestSchemaVersion();

// How the migration loop talks to one connection.
struct MigrationSession {
  // Opens a transaction holding the migration lock, with schema_version created if absent.
  std::function<common::Result<bool>()> beginLocked;
  // MAX(version) of schema_version (0 when empty), inside that transaction.
  std::function<common::Result<int>()> currentVersion;
  // Runs statements (several, separated by ';') inside that transaction.
  std::function<common::Result<bool>(std::string_view sql)> execute;
  // Records version as applied (INSERT INTO schema_version), inside that transaction.
  std::function<common::Result<bool>(int version)> recordVersion;
  std::function<common::Result<bool>()> commit;
  std::function<void()> rollback;
};

// Brings the database to latestSchemaVersion(), one migration per transaction. store_name (the
// redacted URL) prefixes every failure.
common::Result<bool> migrateSchema(MigrationSession& session, SqlDialect dialect, std::string_view store_name);

// CREATE TABLE IF NOT EXISTS schema_version … in the dialect (run by beginLocked).
std::string_view schemaVersionTableSql(SqlDialect dialect);

}  // namespace oh::control
