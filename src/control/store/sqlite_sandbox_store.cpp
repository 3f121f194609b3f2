#include "store/sqlite_sandbox_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>

#include "store/record_codec.h"
#include "store/schema_migrations.h"

namespace oh::control {
namespace {

using common::failure;

// Long enough for another process's migration or burst of writes, short enough that a
// wedged peer surfaces as an error (the service answers 503) rather than a hung request.
constexpr int kBusyTimeoutMs = 10'000;

constexpr const char* kRecordColumns =
    "id, owner, spec, sealed_keys, desired, last_error, created_at, updated_at, revision";

// One prepared statement; finalized on destruction.
class Statement {
public:
  Statement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
  Statement(Statement&& other) noexcept : db_(other.db_), statement_(std::exchange(other.statement_, nullptr)) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement() { sqlite3_finalize(statement_); }

  // Binds parameters 1, 2, … in order. SQLITE_TRANSIENT: SQLite copies the bytes.
  Statement& text(std::string_view value) {
    bindResult(sqlite3_bind_text(statement_, next_++, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& blob(std::string_view value) {
    bindResult(sqlite3_bind_blob(statement_, next_++, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& integer(std::int64_t value) {
    bindResult(sqlite3_bind_int64(statement_, next_++, value));
    return *this;
  }

  // true: a row is ready; false: done. A failure carries SQLite's message and extended code.
  Result<bool> step() {
    if (bind_error_ != SQLITE_OK) {
      return failure(std::string("cannot bind a parameter: ") + sqlite3_errstr(bind_error_));
    }
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc == SQLITE_DONE) {
      return false;
    }
    last_code_ = sqlite3_extended_errcode(db_);
    return failure(std::string(sqlite3_errmsg(db_)));
  }
  int lastCode() const { return last_code_; }

  std::string columnText(int column) const {
    const auto* data = sqlite3_column_text(statement_, column);
    return data == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(data),
                                         static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
  }
  std::string columnBlob(int column) const {
    const void* data = sqlite3_column_blob(statement_, column);
    return data == nullptr ? std::string()
                           : std::string(static_cast<const char*>(data),
                                         static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
  }
  std::int64_t columnInt(int column) const { return sqlite3_column_int64(statement_, column); }

private:
  void bindResult(int rc) {
    if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) {
      bind_error_ = rc;
    }
  }

  sqlite3* db_;
  sqlite3_stmt* statement_;
  int next_ = 1;
  int bind_error_ = SQLITE_OK;
  int last_code_ = SQLITE_OK;
};

// A row of kRecordColumns as a record (without conversation ids). A row whose stored spec or
// state no longer reads is a failure naming that sandbox.
Result<SandboxRecord> recordFrom(const Statement& row) {
  SandboxRecord record;
  record.id = row.columnText(0);
  record.owner = row.columnText(1);
  auto spec = decodeSpec(row.columnText(2));
  if (!spec) {
    return failure("sandbox " + record.id + ": " + spec.error().reason);
  }
  record.spec = std::move(*spec);
  record.sealed_keys = row.columnBlob(3);
  const auto desired = parseDesiredState(row.columnText(4));
  if (!desired) {
    return failure("sandbox " + record.id + ": the stored desired state is neither running nor paused");
  }
  record.desired = *desired;
  record.last_error = row.columnText(5);
  record.created_at = row.columnInt(6);
  record.updated_at = row.columnInt(7);
  record.revision = row.columnInt(8);
  return record;
}

// Creates the missing directories of path's parent, each 0700 (existing ones are left as they are).
Result<bool> createParentDirectories(const std::filesystem::path& path) {
  std::filesystem::path partial;
  for (const auto& part : path.parent_path()) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return failure("cannot create directory " + partial.string() + ": " + std::strerror(errno));
    }
  }
  return true;
}

// Creates the file 0600 before SQLite does (SQLite would use 0644 less the umask); its -wal and
// -shm files take the database file's mode.
Result<bool> createPrivateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return failure("cannot create " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  return true;
}

class SqliteSandboxStore final : public SandboxStore {
public:
  SqliteSandboxStore(sqlite3* db, std::string name) : db_(db), name_(std::move(name)) {}
  ~SqliteSandboxStore() override { sqlite3_close_v2(db_); }
  SqliteSandboxStore(const SqliteSandboxStore&) = delete;
  SqliteSandboxStore& operator=(const SqliteSandboxStore&) = delete;

  // Settings every connection needs, then the schema.
  Result<bool> prepareDatabase() {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    if (auto done = execute("PRAGMA foreign_keys = ON"); !done) {
      return failed("cannot enable foreign keys", done.error());
    }
    if (auto journal = switchToWal(); !journal) {
      return journal;
    }
    MigrationSession session{
        .beginLocked = [this]() -> Result<bool> {
          if (auto begun = execute("BEGIN IMMEDIATE"); !begun) {
            return begun;
          }
          return execute(std::string(schemaVersionTableSql(SqlDialect::sqlite)));
        },
        .currentVersion = [this]() -> Result<int> {
          auto statement = prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
          if (!statement) {
            return common::fail(statement.error());
          }
          auto has_row = statement->step();
          if (!has_row) {
            return common::fail(has_row.error());
          }
          return static_cast<int>(statement->columnInt(0));
        },
        .execute = [this](std::string_view sql) { return execute(std::string(sql)); },
        .recordVersion = [this](int version) -> Result<bool> {
          auto statement = prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)");
          if (!statement) {
            return common::fail(statement.error());
          }
          statement->integer(version).integer(static_cast<std::int64_t>(std::time(nullptr)));
          return statement->step();
        },
        .commit = [this]() { return execute("COMMIT"); },
        .rollback = [this]() { (void)execute("ROLLBACK"); },
    };
    return migrateSchema(session, SqlDialect::sqlite, name_);
  }

  // SandboxStore
  Result<bool> insert(const SandboxRecord& record) override {
    if (auto storable = checkStorable(record); !storable) {
      return failed("cannot insert", storable.error());
    }
    const std::lock_guard lock(mutex_);
    auto statement = prepare(std::string("INSERT INTO sandboxes (") + kRecordColumns +
                             ", id_lower) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING");
    if (!statement) {
      return failed("cannot insert sandbox " + record.id, statement.error());
    }
    statement->text(record.id).text(record.owner).text(encodeSpec(record.spec)).blob(record.sealed_keys);
    statement->text(desiredStateName(record.desired)).text(record.last_error);
    statement->integer(record.created_at).integer(record.updated_at).text(idKey(record.id));
    if (auto stepped = statement->step(); !stepped) {
      return failed("cannot insert sandbox " + record.id, stepped.error());
    }
    return sqlite3_changes(db_) == 1;
  }

  Result<std::optional<SandboxRecord>> get(std::string_view id) override {
    if (!checkStorableText("id", id)) {
      return std::optional<SandboxRecord>();  // nothing with such an id can have been stored
    }
    const std::lock_guard lock(mutex_);
    const std::string what = "cannot read sandbox " + std::string(id);
    auto statement = prepare(std::string("SELECT ") + kRecordColumns + " FROM sandboxes WHERE id = ?");
    if (!statement) {
      return failed(what, statement.error());
    }
    statement->text(id);
    auto has_row = statement->step();
    if (!has_row) {
      return failed(what, has_row.error());
    }
    if (!*has_row) {
      return std::optional<SandboxRecord>();
    }
    auto record = recordFrom(*statement);
    if (!record) {
      return failed("cannot read", record.error());
    }
    auto links = prepare("SELECT conversation_id FROM sandbox_conversations WHERE sandbox_id = ? ORDER BY conversation_id");
    if (!links) {
      return failed(what, links.error());
    }
    links->text(id);
    for (;;) {
      auto link = links->step();
      if (!link) {
        return failed(what, link.error());
      }
      if (!*link) {
        break;
      }
      record->conversation_ids.push_back(links->columnText(0));
    }
    return std::optional<SandboxRecord>(std::move(*record));
  }

  Result<std::vector<SandboxRecord>> list(std::optional<std::string_view> owner) override {
    if (owner && !checkStorableText("owner", *owner)) {
      return std::vector<SandboxRecord>();
    }
    const std::lock_guard lock(mutex_);
    const std::string what = owner ? "cannot list the sandboxes of " + std::string(*owner) : "cannot list sandboxes";
    // One read transaction: the links match the records (WAL readers see one snapshot).
    if (auto begun = execute("BEGIN"); !begun) {
      return failed(what, begun.error());
    }
    auto listed = listInTransaction(owner, what);
    (void)execute(listed ? "COMMIT" : "ROLLBACK");
    return listed;
  }

  Result<bool> update(const SandboxRecord& record) override {
    if (!checkStorableText("id", record.id)) {
      return false;
    }
    if (auto storable = checkStorable(record); !storable) {
      return failed("cannot update", storable.error());
    }
    const std::lock_guard lock(mutex_);
    auto statement = prepare(
        "UPDATE sandboxes SET owner = ?, spec = ?, sealed_keys = ?, desired = ?, last_error = ?, updated_at = ?, "
        "revision = revision + 1 WHERE id = ? AND revision = ?");
    if (!statement) {
      return failed("cannot update sandbox " + record.id, statement.error());
    }
    statement->text(record.owner).text(encodeSpec(record.spec)).blob(record.sealed_keys);
    statement->text(desiredStateName(record.desired)).text(record.last_error).integer(record.updated_at);
    statement->text(record.id).integer(record.revision);
    if (auto stepped = statement->step(); !stepped) {
      return failed("cannot update sandbox " + record.id, stepped.error());
    }
    return sqlite3_changes(db_) == 1;
  }

  Result<bool> remove(std::string_view id) override {
    if (!checkStorableText("id", id)) {
      return false;
    }
    const std::lock_guard lock(mutex_);
    // The conversation links go with it (ON DELETE CASCADE, foreign_keys is on).
    auto statement = prepare("DELETE FROM sandboxes WHERE id = ?");
    if (!statement) {
      return failed("cannot remove sandbox " + std::string(id), statement.error());
    }
    statement->text(id);
    if (auto stepped = statement->step(); !stepped) {
      return failed("cannot remove sandbox " + std::string(id), stepped.error());
    }
    return sqlite3_changes(db_) == 1;
  }

  Result<Done> linkConversation(std::string_view sandbox_id, std::string_view conversation_id) override {
    const std::string what =
        "cannot link conversation " + std::string(conversation_id) + " to sandbox " + std::string(sandbox_id);
    if (auto storable = checkStorableText("the conversation id", conversation_id); !storable) {
      return failed(what, storable.error());
    }
    if (conversation_id.empty()) {
      return failure("sandbox store " + name_ + ": " + what + ": the conversation id is empty");
    }
    if (!checkStorableText("id", sandbox_id)) {
      return failure("sandbox store " + name_ + ": " + what + ": there is no such sandbox");
    }
    const std::lock_guard lock(mutex_);
    auto statement = prepare(
        "INSERT INTO sandbox_conversations (conversation_id, sandbox_id) VALUES (?, ?) "
        "ON CONFLICT (conversation_id) DO UPDATE SET sandbox_id = excluded.sandbox_id");
    if (!statement) {
      return failed(what, statement.error());
    }
    statement->text(conversation_id).text(sandbox_id);
    if (auto stepped = statement->step(); !stepped) {
      if (statement->lastCode() == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return failure("sandbox store " + name_ + ": " + what + ": there is no such sandbox");
      }
      return failed(what, stepped.error());
    }
    return Done{};
  }

  Result<std::size_t> countByOwner(std::string_view owner) override {
    if (!checkStorableText("owner", owner)) {
      return std::size_t{0};
    }
    const std::lock_guard lock(mutex_);
    const std::string what = "cannot count the sandboxes of " + std::string(owner);
    auto statement = prepare("SELECT COUNT(*) FROM sandboxes WHERE owner = ?");
    if (!statement) {
      return failed(what, statement.error());
    }
    statement->text(owner);
    auto has_row = statement->step();
    if (!has_row) {
      return failed(what, has_row.error());
    }
    return static_cast<std::size_t>(statement->columnInt(0));
  }

private:
  // WAL: readers do not block the writer, and a crash loses no committed transaction.
  Result<bool> switchToWal() {
    auto mode = prepare("PRAGMA journal_mode = WAL");
    auto row = mode ? mode->step() : Result<bool>(common::fail(mode.error()));
    if (!row) {
      return failed("cannot read it as a SQLite database (switching to WAL)", row.error());
    }
    if (!*row || mode->columnText(0) != "wal") {
      return failure("sandbox store " + name_ + ": cannot switch to the WAL journal");
    }
    return true;
  }

  Result<std::vector<SandboxRecord>> listInTransaction(std::optional<std::string_view> owner, const std::string& what) {
    const std::string where = owner ? " WHERE owner = ?" : "";
    auto rows = prepare(std::string("SELECT ") + kRecordColumns + " FROM sandboxes" + where + " ORDER BY created_at, id");
    if (!rows) {
      return failed(what, rows.error());
    }
    std::vector<SandboxRecord> records;
    std::map<std::string, std::size_t, std::less<>> index_of;
    if (owner) {
      rows->text(*owner);
    }
    for (;;) {
      auto has_row = rows->step();
      if (!has_row) {
        return failed(what, has_row.error());
      }
      if (!*has_row) {
        break;
      }
      auto record = recordFrom(*rows);
      if (!record) {
        return failed(what, record.error());
      }
      index_of.emplace(record->id, records.size());
      records.push_back(std::move(*record));
    }
    auto links = prepare(std::string("SELECT c.sandbox_id, c.conversation_id FROM sandbox_conversations c ") +
                         "JOIN sandboxes s ON s.id = c.sandbox_id" + (owner ? " WHERE s.owner = ?" : "") +
                         " ORDER BY c.conversation_id");
    if (!links) {
      return failed(what, links.error());
    }
    if (owner) {
      links->text(*owner);
    }
    for (;;) {
      auto has_row = links->step();
      if (!has_row) {
        return failed(what, has_row.error());
      }
      if (!*has_row) {
        break;
      }
      if (const auto found = index_of.find(links->columnText(0)); found != index_of.end()) {
        records[found->second].conversation_ids.push_back(links->columnText(1));
      }
    }
    return records;
  }

  Result<Statement> prepare(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size() + 1), &statement, nullptr) != SQLITE_OK) {
      sqlite3_finalize(statement);
      return failure(std::string(sqlite3_errmsg(db_)));
    }
    return Statement(db_, statement);
  }

  // Runs statements without parameters or results.
  Result<bool> execute(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string reason = message != nullptr ? message : sqlite3_errmsg(db_);
      sqlite3_free(message);
      return failure(std::move(reason));
    }
    return true;
  }

  common::Fail<Failure> failed(const std::string& what, const Failure& cause) const {
    return failure("sandbox store " + name_ + ": " + what + ": " + cause.reason);
  }

  std::mutex mutex_;
  sqlite3* db_;
  const std::string name_;
};

}  // namespace

Result<SandboxStorePtr> openSqliteSandboxStore(const std::string& path, const std::string& url_for_messages) {
  const auto in_store = [&](const Failure& cause) {
    return failure("sandbox store " + url_for_messages + ": " + cause.reason);
  };
  if (auto made = createParentDirectories(path); !made) {
    return in_store(made.error());
  }
  if (auto made = createPrivateFile(path); !made) {
    return in_store(made.error());
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return in_store(Failure{"cannot open: " + reason});
  }
  auto store = std::make_shared<SqliteSandboxStore>(db, url_for_messages);
  if (auto ready = store->prepareDatabase(); !ready) {
    return common::fail(ready.error());
  }
  return SandboxStorePtr(std::move(store));
}

}  // namespace oh::control
