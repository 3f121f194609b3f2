#include "store/sqlite_sandbox_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <thread>

#include "store/record_codec.h"
#include "store/schema_migrations.h"
#include "store/store_statements.h"

namespace oh::control {
namespace {

using common::failure;
using statements::RecordFilter;

// Long enough for another process's migration or burst of writes, short enough that a
// wedged peer surfaces as an error (the service answers 503) rather than a hung request.
constexpr int kBusyTimeoutMs = 10'000;

// One prepared statement, parameters bound in order; finalized on destruction.
class Statement {
public:
  Statement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
  Statement(Statement&& other) noexcept : db_(other.db_), statement_(std::exchange(other.statement_, nullptr)) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement() { sqlite3_finalize(statement_); }

  // SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.
  Statement& text(std::string_view value) {
    return bound(sqlite3_bind_text(statement_, next_++, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
  }
  Statement& blob(std::string_view value) {
    return bound(sqlite3_bind_blob(statement_, next_++, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
  }
  Statement& integer(std::int64_t value) { return bound(sqlite3_bind_int64(statement_, next_++, value)); }

  // true: a row is ready; false: done. A failure carries SQLite's message (lastCode() its code).
  Result<bool> step() {
    if (bind_error_ != SQLITE_OK) {
      return failure(std::string("cannot bind a parameter: ") + sqlite3_errstr(bind_error_));
    }
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
      return rc == SQLITE_ROW;
    }
    last_code_ = sqlite3_extended_errcode(db_);
    return failure(std::string(sqlite3_errmsg(db_)));
  }

  // Calls visit() on each row until the end or a failure.
  template <class Visit>
  Result<bool> forEachRow(Visit visit) {
    for (;;) {
      auto row = step();
      if (!row || !*row) {
        return row ? Result<bool>(true) : row;
      }
      visit(*this);
    }
  }

  int lastCode() const { return last_code_; }

  std::string columnText(int column) const {
    const auto* data = sqlite3_column_text(statement_, column);
    return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), columnBytes(column));
  }
  std::string columnBlob(int column) const {
    const void* data = sqlite3_column_blob(statement_, column);
    return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), columnBytes(column));
  }
  std::int64_t columnInt(int column) const { return sqlite3_column_int64(statement_, column); }

private:
  std::size_t columnBytes(int column) const { return static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)); }

  Statement& bound(int rc) {
    if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) {
      bind_error_ = rc;
    }
    return *this;
  }

  sqlite3* db_;
  sqlite3_stmt* statement_;
  int next_ = 1;
  int bind_error_ = SQLITE_OK;
  int last_code_ = SQLITE_OK;
};

StoredRecord storedRecordAt(const Statement& row) {
  return StoredRecord{row.columnText(0), row.columnText(1), row.columnText(2), row.columnBlob(3), row.columnText(4),
                      row.columnText(5), row.columnInt(6), row.columnInt(7), row.columnInt(8), row.columnText(9)};
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
    // FULL: a committed sandbox survives a power loss too (WAL's NORMAL would keep the file
    // consistent but could drop the last commits); the store writes rarely.
    if (auto done = execute("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL"); !done) {
      return failed("cannot enable foreign keys and full sync", done.error());
    }
    if (auto journal = switchToWal(); !journal) {
      return journal;
    }
    MigrationSession session{
        .beginLocked = [this]() -> Result<bool> {
          auto begun = execute("BEGIN IMMEDIATE");
          return begun ? execute(std::string(schemaVersionTableSql(SqlDialect::sqlite))) : begun;
        },
        .currentVersion = [this]() -> Result<int> {
          std::int64_t version = 0;
          auto read = run("SELECT COALESCE(MAX(version), 0) FROM schema_version",
                          [](Statement&) {}, [&](const Statement& row) { version = row.columnInt(0); });
          return read ? Result<int>(static_cast<int>(version)) : common::fail(read.error());
        },
        .execute = [this](std::string_view sql) { return execute(std::string(sql)); },
        .recordVersion = [this](int version) {
          return run("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)", [&](Statement& statement) {
            statement.integer(version).integer(static_cast<std::int64_t>(std::time(nullptr)));
          });
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
    return changedOneRow("cannot insert sandbox " + record.id, statements::kInsert, [&](Statement& statement) {
      statement.text(record.id).text(record.owner).text(encodeSpec(record.spec)).blob(record.sealed_keys);
      statement.text(desiredStateName(record.desired)).text(record.last_error);
      statement.integer(record.created_at).integer(record.updated_at).text(idKey(record.id));
    });
  }

  Result<std::optional<SandboxRecord>> get(std::string_view id) override {
    if (!checkStorableText("id", id)) {
      return std::optional<SandboxRecord>();  // nothing with such an id can have been stored
    }
    const std::lock_guard lock(mutex_);
    auto records = readRecords(RecordFilter::id, id, "cannot read sandbox " + std::string(id));
    if (!records) {
      return common::fail(records.error());
    }
    return records->empty() ? std::optional<SandboxRecord>() : std::optional<SandboxRecord>(std::move(records->front()));
  }

  Result<std::vector<SandboxRecord>> list(std::optional<std::string_view> owner) override {
    if (owner && !checkStorableText("owner", *owner)) {
      return std::vector<SandboxRecord>();
    }
    const std::lock_guard lock(mutex_);
    if (owner) {
      return readRecords(RecordFilter::owner, *owner, "cannot list the sandboxes of " + std::string(*owner));
    }
    return readRecords(RecordFilter::all, {}, "cannot list sandboxes");
  }

  Result<bool> update(const SandboxRecord& record) override {
    if (!checkStorableText("id", record.id)) {
      return false;
    }
    if (auto storable = checkStorable(record); !storable) {
      return failed("cannot update", storable.error());
    }
    const std::lock_guard lock(mutex_);
    return changedOneRow("cannot update sandbox " + record.id, statements::kUpdate, [&](Statement& statement) {
      statement.text(record.owner).text(encodeSpec(record.spec)).blob(record.sealed_keys);
      statement.text(desiredStateName(record.desired)).text(record.last_error).integer(record.updated_at);
      statement.text(record.id).integer(record.revision);
    });
  }

  Result<bool> remove(std::string_view id) override {
    if (!checkStorableText("id", id)) {
      return false;
    }
    const std::lock_guard lock(mutex_);
    return changedOneRow("cannot remove sandbox " + std::string(id), statements::kRemove,
                         [&](Statement& statement) { statement.text(id); });
  }

  Result<Done> linkConversation(std::string_view sandbox_id, std::string_view conversation_id) override {
    const std::string what =
        "cannot link conversation " + std::string(conversation_id) + " to sandbox " + std::string(sandbox_id);
    if (auto storable = checkStorableText("the conversation id", conversation_id); !storable) {
      return failed(what, storable.error());
    }
    if (conversation_id.empty() || !checkStorableText("id", sandbox_id)) {
      return failed(what, Failure{conversation_id.empty() ? "the conversation id is empty" : "there is no such sandbox"});
    }
    const std::lock_guard lock(mutex_);
    int code = SQLITE_OK;
    auto linked = run(
        statements::kLink, [&](Statement& statement) { statement.text(conversation_id).text(sandbox_id); },
        [](const Statement&) {}, &code);
    if (!linked) {
      return failed(what, code == SQLITE_CONSTRAINT_FOREIGNKEY ? Failure{"there is no such sandbox"} : linked.error());
    }
    return Done{};
  }

  Result<std::size_t> countByOwner(std::string_view owner) override {
    if (!checkStorableText("owner", owner)) {
      return std::size_t{0};
    }
    const std::lock_guard lock(mutex_);
    std::int64_t count = 0;
    auto counted = run(
        statements::kCountByOwner, [&](Statement& statement) { statement.text(owner); },
        [&](const Statement& row) { count = row.columnInt(0); });
    if (!counted) {
      return failed("cannot count the sandboxes of " + std::string(owner), counted.error());
    }
    return static_cast<std::size_t>(count);
  }

private:
  // WAL: readers do not block the writer, and a crash loses no committed transaction. Changing
  // the journal mode needs the file to itself, and SQLite answers "busy" at once rather than call
  // the busy handler when another connection is in the middle of something (two gateways
  // opening a new file together): retry within the busy timeout.
  Result<bool> switchToWal() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    for (;;) {
      std::string mode;
      int code = SQLITE_OK;
      auto switched = run(
          "PRAGMA journal_mode = WAL", [](Statement&) {}, [&](const Statement& row) { mode = row.columnText(0); },
          &code);
      if (!switched && (code & 0xff) == SQLITE_BUSY && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      if (!switched) {
        return failed("cannot read it as a SQLite database (switching to WAL)", switched.error());
      }
      if (mode != "wal") {
        return failure("sandbox store " + name_ + ": cannot switch to the WAL journal (got \"" + mode + "\")");
      }
      return true;
    }
  }

  // Records matching filter with their conversation ids, oldest first: one statement.
  Result<std::vector<SandboxRecord>> readRecords(RecordFilter filter, std::string_view value, const std::string& what) {
    std::vector<SandboxRecord> records;
    std::optional<Failure> unreadable;
    const auto bind = [&](Statement& statement) {
      if (filter != RecordFilter::all) {
        statement.text(value);
      }
    };
    auto read = run(statements::selectRecords(filter, false), bind, [&](const Statement& row) {
      auto record = decodeRecord(storedRecordAt(row));
      if (record) {
        records.push_back(std::move(*record));
      } else if (!unreadable) {
        unreadable = record.error();
      }
    });
    if (!read || unreadable) {
      return failed(what, read ? *unreadable : read.error());
    }
    return records;
  }

  // Prepares sql, binds its parameters, and passes each row to visit. code (if given) receives
  // SQLite's extended result code of a failure.
  template <class Bind, class Visit>
  Result<bool> run(std::string_view sql, Bind bind, Visit visit, int* code = nullptr) {
    sqlite3_stmt* prepared = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &prepared, nullptr) != SQLITE_OK) {
      sqlite3_finalize(prepared);
      return failure(std::string(sqlite3_errmsg(db_)));
    }
    Statement statement(db_, prepared);
    bind(statement);
    auto done = statement.forEachRow(visit);
    if (!done && code != nullptr) {
      *code = statement.lastCode();
    }
    return done;
  }

  template <class Bind>
  Result<bool> run(std::string_view sql, Bind bind) {
    return run(sql, bind, [](const Statement&) {});
  }

  // A write that names one row: true when it changed it.
  template <class Bind>
  Result<bool> changedOneRow(const std::string& what, std::string_view sql, Bind bind) {
    if (auto done = run(sql, bind); !done) {
      return failed(what, done.error());
    }
    return sqlite3_changes(db_) == 1;
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
  // NOMUTEX: the store's own mutex serialises every use of the connection.
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
