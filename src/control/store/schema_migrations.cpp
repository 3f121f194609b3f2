#include "store/schema_migrations.h"

#include <array>

namespace oh::control {
namespace {

using common::failure;
using common::Result;

struct Migration {
  int version;
  std::string_view what;      // for messages
  std::string_view sqlite;
  std::string_view postgresql;
};

// Append only, versions 1, 2, … in order: a released migration never changes (databases
// already ran it).
// Text columns are compared bytewise in both dialects (SQLite's BINARY, PostgreSQL's "C"), so
// list() orders ids the same everywhere. id_lower is the id as a host name compares it
// (record_codec.h idKey), computed by us, not by a locale-dependent lower().
constexpr std::array kMigrations{
    Migration{1, "create sandboxes and sandbox_conversations",
              R"sql(
CREATE TABLE sandboxes (
  id TEXT NOT NULL PRIMARY KEY,
  id_lower TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  spec TEXT NOT NULL,
  sealed_keys BLOB NOT NULL,
  desired TEXT NOT NULL CHECK (desired IN ('running', 'paused')),
  last_error TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  revision INTEGER NOT NULL
);
CREATE INDEX sandboxes_by_owner ON sandboxes (owner, created_at, id);
CREATE INDEX sandboxes_by_age ON sandboxes (created_at, id);
CREATE TABLE sandbox_conversations (
  conversation_id TEXT NOT NULL PRIMARY KEY,
  sandbox_id TEXT NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE
);
CREATE INDEX sandbox_conversations_by_sandbox ON sandbox_conversations (sandbox_id);
)sql",
              R"sql(
CREATE TABLE sandboxes (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  id_lower TEXT COLLATE "C" NOT NULL UNIQUE,
  owner TEXT COLLATE "C" NOT NULL,
  spec TEXT NOT NULL,
  sealed_keys BYTEA NOT NULL,
  desired TEXT NOT NULL CHECK (desired IN ('running', 'paused')),
  last_error TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  revision BIGINT NOT NULL
);
CREATE INDEX sandboxes_by_owner ON sandboxes (owner, created_at, id);
CREATE INDEX sandboxes_by_age ON sandboxes (created_at, id);
CREATE TABLE sandbox_conversations (
  conversation_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  sandbox_id TEXT COLLATE "C" NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE
);
CREATE INDEX sandbox_conversations_by_sandbox ON sandbox_conversations (sandbox_id);
)sql"},
};

}  // namespace

int latestSchemaVersion() { return kMigrations.back().version; }

std::string_view schemaVersionTableSql(SqlDialect dialect) {
  return dialect == SqlDialect::sqlite
             ? "CREATE TABLE IF NOT EXISTS schema_version "
               "(version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)"
             : "CREATE TABLE IF NOT EXISTS schema_version "
               "(version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)";
}

Result<bool> migrateSchema(MigrationSession& session, SqlDialect dialect, std::string_view store_name) {
  const auto failed = [&](const std::string& step, const std::string& reason) {
    return failure("sandbox store " + std::string(store_name) + ": " + step + ": " + reason);
  };
  for (;;) {
    if (auto begun = session.beginLocked(); !begun) {
      return failed("cannot take the migration lock", begun.error().reason);
    }
    const auto current = session.currentVersion();
    if (!current) {
      session.rollback();
      return failed("cannot read schema_version", current.error().reason);
    }
    if (*current > latestSchemaVersion()) {
      session.rollback();
      return failed("refusing to open",
                    "its schema is at version " + std::to_string(*current) + ", newer than this build knows (" +
                        std::to_string(latestSchemaVersion()) + "); run a build at least as new");
    }
    if (*current == latestSchemaVersion()) {
      if (auto committed = session.commit(); !committed) {
        return failed("cannot end the migration check", committed.error().reason);
      }
      return true;
    }
    const Migration& next = kMigrations[static_cast<std::size_t>(*current)];
    const std::string step = "migration " + std::to_string(next.version) + " (" + std::string(next.what) + ")";
    auto applied = session.execute(dialect == SqlDialect::sqlite ? next.sqlite : next.postgresql);
    if (applied) {
      applied = session.recordVersion(next.version);
    }
    if (applied) {
      applied = session.commit();
    }
    if (!applied) {
      session.rollback();
      return failed(step + " failed", applied.error().reason);
    }
  }
}

}  // namespace oh::control
