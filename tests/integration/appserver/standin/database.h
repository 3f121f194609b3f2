#pragma once
// The stand-in app server's database: SQLite in the persistence directory or PostgreSQL through
// libpq, as the real one chooses (services/db_session_injector.py:170-187), behind one small
// interface: parameterised statements ($1, $2, … in both dialects), rows of nullable text.
// One connection guarded by a mutex: the stand-in's traffic is one user's.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app_config.h"
#include "common/result.h"

namespace oh::appserver_standin {

using SqlValue = std::optional<std::string>;
using SqlRow = std::vector<SqlValue>;

class Database {
public:
  virtual ~Database() = default;
  // Runs one statement; the rows it returns (none for a write).
  virtual common::Result<std::vector<SqlRow>> run(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
  virtual bool postgres() const = 0;
  // "PostgreSQL db@host" or the SQLite file: for the start-up log line (never the password).
  virtual std::string describe() const = 0;
};

common::Result<std::unique_ptr<Database>> openDatabase(const AppConfig& config);

// Brings the schema to the state the real one's alembic revisions 001-009 leave for the tables
// the stand-in uses (app_lifespan/alembic/versions/; run at start-up by
// app_lifespan/oss_app_lifespan_service.py:12-38): app_conversation_start_task,
// v1_remote_sandbox, conversation_metadata, and alembic_version = '009'. Idempotent.
common::Result<bool> migrate(Database& database);

// The row offset a page_id names: the services page by offset and start from the beginning when
// page_id is not an integer (RSS:296-305; sql_app_conversation_info_service.py likewise).
long offsetOfPage(const std::optional<std::string>& page_id);

// A timestamp column read back, as ISO 8601 with an explicit UTC offset.
std::string isoTimestamp(const SqlValue& value);
// The current UTC time as the stand-in writes it.
std::string nowTimestamp();

}  // namespace oh::appserver_standin
