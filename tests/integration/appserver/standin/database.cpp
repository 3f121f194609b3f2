#include "database.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <charconv>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <mutex>

namespace oh::appserver_standin {

namespace {

using common::failure;

// "$1" → "?1": SQLite numbers ?NNN parameters the way PostgreSQL numbers $N.
std::string sqliteDialect(std::string_view sql) {
  std::string out(sql);
  for (char& c : out) {
    if (c == '$') c = '?';
  }
  return out;
}

class SqliteDatabase final : public Database {
public:
  explicit SqliteDatabase(std::string path) : path_(std::move(path)) {}
  ~SqliteDatabase() override {
    if (db_ != nullptr) sqlite3_close(db_);
  }
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  common::Result<bool> open() {
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      return failure("cannot open " + path_ + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
    }
    sqlite3_busy_timeout(db_, 5000);
    return true;
  }

  common::Result<std::vector<SqlRow>> run(std::string_view sql, const std::vector<SqlValue>& params) override {
    const std::lock_guard lock(mutex_);
    const std::string text = sqliteDialect(sql);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, text.c_str(), static_cast<int>(text.size()), &statement, nullptr) != SQLITE_OK) {
      return failure(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = sqlite3_bind_parameter_index(statement, ("?" + std::to_string(i + 1)).c_str());
      if (index == 0) continue;
      if (params[i]) {
        sqlite3_bind_text(statement, index, params[i]->data(), static_cast<int>(params[i]->size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_null(statement, index);
      }
    }
    std::vector<SqlRow> rows;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      SqlRow row;
      for (int column = 0; column < sqlite3_column_count(statement); ++column) {
        const auto* text_value = sqlite3_column_text(statement, column);
        if (text_value == nullptr) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(reinterpret_cast<const char*>(text_value),
                                       static_cast<std::size_t>(sqlite3_column_bytes(statement, column))));
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) return failure(std::string("sqlite: ") + sqlite3_errmsg(db_));
    return rows;
  }

  bool postgres() const override { return false; }
  std::string describe() const override { return "SQLite " + path_; }

private:
  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

class PostgresDatabase final : public Database {
public:
  explicit PostgresDatabase(DatabaseConfig config) : config_(std::move(config)) {}
  ~PostgresDatabase() override {
    if (connection_ != nullptr) PQfinish(connection_);
  }
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  common::Result<bool> open() {
    const std::string port = std::to_string(config_.port);
    const char* keys[] = {"host", "port", "dbname", "user", "password", "connect_timeout", "application_name", nullptr};
    const char* values[] = {config_.host->c_str(), port.c_str(), config_.name.c_str(), config_.user.c_str(),
                            config_.password.c_str(), "10", "openhands-app-server-standin", nullptr};
    connection_ = PQconnectdbParams(keys, values, 0);
    if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) {
      return failure("cannot connect to PostgreSQL " + describe() + ": " +
                     (connection_ ? PQerrorMessage(connection_) : "out of memory"));
    }
    auto timezone = run("SET TIME ZONE 'UTC'", {});
    if (!timezone) return failure(timezone.error().reason);
    return true;
  }

  common::Result<std::vector<SqlRow>> run(std::string_view sql, const std::vector<SqlValue>& params) override {
    const std::lock_guard lock(mutex_);
    // One reconnect: a PostgreSQL restart must not need an app-server restart.
    if (PQstatus(connection_) != CONNECTION_OK) PQreset(connection_);
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
    const std::string text(sql);
    PGresult* result = PQexecParams(connection_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                    values.data(), nullptr, nullptr, 0);
    const auto status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      std::string message = PQresultErrorMessage(result);
      PQclear(result);
      return failure("postgresql: " + message);
    }
    std::vector<SqlRow> rows;
    for (int row = 0; row < PQntuples(result); ++row) {
      SqlRow out;
      for (int column = 0; column < PQnfields(result); ++column) {
        if (PQgetisnull(result, row, column)) {
          out.emplace_back(std::nullopt);
        } else {
          out.emplace_back(std::string(PQgetvalue(result, row, column),
                                       static_cast<std::size_t>(PQgetlength(result, row, column))));
        }
      }
      rows.push_back(std::move(out));
    }
    PQclear(result);
    return rows;
  }

  bool postgres() const override { return true; }
  std::string describe() const override {
    return "PostgreSQL " + config_.name + "@" + *config_.host + ":" + std::to_string(config_.port);
  }

private:
  DatabaseConfig config_;
  PGconn* connection_ = nullptr;
  std::mutex mutex_;
};

// The columns each dialect gives the types alembic asked for (sa.UUID, DateTime(timezone=True)).
struct Dialect {
  const char* uuid;
  const char* timestamp;
};

std::vector<std::string> schemaStatements(const Dialect& d) {
  const std::string uuid = d.uuid;
  const std::string ts = d.timestamp;
  return {
      // 001.py:30-66
      "CREATE TABLE app_conversation_start_task (id " + uuid + " NOT NULL PRIMARY KEY, created_by_user_id VARCHAR, "
      "status VARCHAR, detail VARCHAR, app_conversation_id " + uuid + ", sandbox_id VARCHAR, agent_server_url VARCHAR, "
      "request JSON, created_at " + ts + " DEFAULT CURRENT_TIMESTAMP, updated_at " + ts + ")",
      "CREATE INDEX ix_app_conversation_start_task_created_at ON app_conversation_start_task (created_at)",
      "CREATE INDEX ix_app_conversation_start_task_created_by_user_id ON app_conversation_start_task (created_by_user_id)",
      "CREATE INDEX ix_app_conversation_start_task_updated_at ON app_conversation_start_task (updated_at)",
      // 001.py:127-157 and 006.py:23-30 (session_api_key_hash)
      "CREATE TABLE v1_remote_sandbox (id VARCHAR NOT NULL PRIMARY KEY, created_by_user_id VARCHAR, "
      "sandbox_spec_id VARCHAR, created_at " + ts + " DEFAULT CURRENT_TIMESTAMP, session_api_key_hash VARCHAR)",
      "CREATE INDEX ix_v1_remote_sandbox_created_at ON v1_remote_sandbox (created_at)",
      "CREATE INDEX ix_v1_remote_sandbox_created_by_user_id ON v1_remote_sandbox (created_by_user_id)",
      "CREATE INDEX ix_v1_remote_sandbox_sandbox_spec_id ON v1_remote_sandbox (sandbox_spec_id)",
      "CREATE INDEX ix_v1_remote_sandbox_session_api_key_hash ON v1_remote_sandbox (session_api_key_hash)",
      // 001.py:158-197, 003 (parent_conversation_id), 004 (public), 005 (user_id nullable, no
      // github_user_id), 008 (tags), 009 (agent_kind)
      "CREATE TABLE conversation_metadata (conversation_id VARCHAR NOT NULL PRIMARY KEY, user_id VARCHAR, "
      "selected_repository VARCHAR, selected_branch VARCHAR, git_provider VARCHAR, title VARCHAR, last_updated_at " + ts +
      ", created_at " + ts + ", trigger VARCHAR, pr_number JSON, accumulated_cost FLOAT, prompt_tokens INTEGER, "
      "completion_tokens INTEGER, total_tokens INTEGER, max_budget_per_task FLOAT, cache_read_tokens INTEGER, "
      "cache_write_tokens INTEGER, reasoning_tokens INTEGER, context_window INTEGER, per_turn_token INTEGER, "
      "llm_model VARCHAR, conversation_version VARCHAR NOT NULL, sandbox_id VARCHAR, parent_conversation_id VARCHAR, "
      "public BOOLEAN, tags JSON, agent_kind VARCHAR)",
      "CREATE INDEX ix_conversation_metadata_conversation_version ON conversation_metadata (conversation_version)",
      "CREATE INDEX ix_conversation_metadata_sandbox_id ON conversation_metadata (sandbox_id)",
      "CREATE INDEX ix_conversation_metadata_parent_conversation_id ON conversation_metadata (parent_conversation_id)",
      "CREATE INDEX ix_conversation_metadata_public ON conversation_metadata (public)",
  };
}

}  // namespace

common::Result<std::unique_ptr<Database>> openDatabase(const AppConfig& config) {
  if (config.database.host) {
    auto database = std::make_unique<PostgresDatabase>(config.database);
    auto opened = database->open();
    if (!opened) return failure(opened.error().reason);
    return std::unique_ptr<Database>(std::move(database));
  }
  std::error_code ignored;
  std::filesystem::create_directories(config.persistence_dir, ignored);
  auto database = std::make_unique<SqliteDatabase>(config.persistence_dir + "/openhands.db");
  auto opened = database->open();
  if (!opened) return failure(opened.error().reason);
  return std::unique_ptr<Database>(std::move(database));
}

common::Result<bool> migrate(Database& database) {
  auto table = database.run("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)");
  if (!table) return failure(table.error().reason);
  auto version = database.run("SELECT version_num FROM alembic_version");
  if (!version) return failure(version.error().reason);
  if (!version->empty()) {
    if (version->front().front() == std::optional<std::string>("009")) return true;
    return failure("database is at alembic revision " + version->front().front().value_or("?") +
                   ", not 009 (the stand-in migrates empty databases only)");
  }
  const Dialect dialect = database.postgres() ? Dialect{"UUID", "TIMESTAMP WITH TIME ZONE"}
                                              : Dialect{"CHAR(32)", "DATETIME"};
  auto begun = database.run("BEGIN");
  if (!begun) return failure(begun.error().reason);
  for (const std::string& statement : schemaStatements(dialect)) {
    auto done = database.run(statement);
    if (!done) {
      (void)database.run("ROLLBACK");
      return failure(done.error().reason);
    }
  }
  auto stamped = database.run("INSERT INTO alembic_version (version_num) VALUES ('009')");
  if (!stamped) {
    (void)database.run("ROLLBACK");
    return failure(stamped.error().reason);
  }
  auto committed = database.run("COMMIT");
  if (!committed) return failure(committed.error().reason);
  return true;
}

long offsetOfPage(const std::optional<std::string>& page_id) {
  if (!page_id) return 0;
  long offset = 0;
  const auto [end, error] = std::from_chars(page_id->data(), page_id->data() + page_id->size(), offset);
  if (error != std::errc() || end != page_id->data() + page_id->size() || offset < 0) return 0;
  return offset;
}

std::string isoTimestamp(const SqlValue& value) {
  if (!value) return {};
  std::string out = *value;
  if (out.size() > 10 && out[10] == ' ') out[10] = 'T';
  if (out.size() > 3 && (out.compare(out.size() - 3, 3, "+00") == 0)) out += ":00";
  if (out.find('+') == std::string::npos && out.back() != 'Z') out += "Z";
  return out;
}

std::string nowTimestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long long>(micros));
  return buffer;
}

}  // namespace oh::appserver_standin
