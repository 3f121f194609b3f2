#include "store/postgres_sandbox_store.h"

#include <libpq-fe.h>

#include <array>
#include <charconv>
#include <ctime>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "store/libpq_handles.h"
#include "store/record_codec.h"
#include "store/schema_migrations.h"
#include "store/store_statements.h"

namespace oh::control {
namespace {

using common::failure;
using statements::RecordFilter;

// Defaults the URL may override (libpq keywords). An unreachable or wedged database must
// surface as an error the service can answer 503 with, within the app server's 15 s timeout,
// not hang the thread that holds the store:
//   connect_timeout     bounds connecting (TCP, TLS, authentication);
//   statement_timeout   bounds each statement on the server, lock waits included (a session
//                       that holds a sandbox's row, a migration that never ends);
//   keepalives_*, tcp_user_timeout  notice a peer that vanished mid-statement (TCP only).
constexpr std::array<std::pair<const char*, const char*>, 7> kConnectionDefaults{{
    {"connect_timeout", "10"},
    {"options", "-c statement_timeout=10s"},
    {"keepalives_idle", "30"},
    {"keepalives_interval", "10"},
    {"keepalives_count", "3"},
    {"tcp_user_timeout", "30000"},
    {"fallback_application_name", "oh-gateway"},
}};

// pg_advisory_xact_lock key serialising schema migrations across gateways ("ohsbstor").
constexpr const char* kMigrationLockKey = "8028075782889222002";

// foreign_key_violation: the one SQLSTATE answered specially (a link to an unknown sandbox).
constexpr std::string_view kForeignKeyViolation = "23503";

using PgResultPtr = libpq::ResultPtr;
using PgConnectionPtr = libpq::ConnectionPtr;
using libpq::oneLine;

// One statement parameter: text (NUL-free, checked by record_codec) or bytes (bytea).
struct Parameter {
  std::string value;
  bool binary = false;
};

Parameter text(std::string_view value) { return Parameter{std::string(value), false}; }
Parameter bytes(std::string_view value) { return Parameter{std::string(value), true}; }
Parameter integer(std::int64_t value) { return Parameter{std::to_string(value), false}; }

struct PgError {
  std::string reason;
  std::string sqlstate;
};

std::int64_t integerAt(const PGresult* result, int row, int column) {
  const char* value = PQgetvalue(result, row, column);
  std::int64_t parsed = 0;
  std::from_chars(value, value + PQgetlength(result, row, column), parsed);
  return parsed;
}

std::string textAt(const PGresult* result, int row, int column) {
  return std::string(PQgetvalue(result, row, column), static_cast<std::size_t>(PQgetlength(result, row, column)));
}

// bytea in text results is "\x" and hex digits.
std::string bytesAt(const PGresult* result, int row, int column) {
  std::size_t length = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result, row, column)), &length);
  std::string value(reinterpret_cast<const char*>(raw), raw == nullptr ? 0 : length);
  PQfreemem(raw);
  return value;
}

StoredRecord storedRecordAt(const PGresult* result, int row) {
  return StoredRecord{textAt(result, row, 0),     textAt(result, row, 1),    textAt(result, row, 2),
                      bytesAt(result, row, 3),    textAt(result, row, 4),    textAt(result, row, 5),
                      integerAt(result, row, 6), integerAt(result, row, 7), integerAt(result, row, 8),
                      textAt(result, row, 9)};
}

void ignoreNotice(void*, const char*) {}  // "relation already exists, skipping" and the like

class PostgresSandboxStore final : public SandboxStore {
public:
  PostgresSandboxStore(std::string url, std::string name) : url_(std::move(url)), name_(std::move(name)) {}

  Result<bool> connectAndMigrate() {
    const std::lock_guard lock(mutex_);
    if (auto connected = connect(); !connected) {
      return failed("cannot open", connected.error().reason);
    }
    MigrationSession session{
        .beginLocked = [this]() -> Result<bool> {
          const std::string lock_sql = "SELECT pg_advisory_xact_lock(" + std::string(kMigrationLockKey) + ")";
          for (const std::string_view sql : {std::string_view("BEGIN"), std::string_view(lock_sql),
                                             schemaVersionTableSql(SqlDialect::postgresql)}) {
            if (auto done = run(sql, {}); !done) {
              return failure(done.error().reason);
            }
          }
          return true;
        },
        .currentVersion = [this]() -> Result<int> {
          auto version = run("SELECT COALESCE(MAX(version), 0) FROM schema_version", {});
          if (!version) {
            return failure(version.error().reason);
          }
          return static_cast<int>(integerAt(version->get(), 0, 0));
        },
        .execute = [this](std::string_view sql) -> Result<bool> {
          // The simple-query protocol runs several statements; migrations have no parameters.
          PgResultPtr result(PQexec(connection_.get(), std::string(sql).c_str()));
          if (PQresultStatus(result.get()) != PGRES_COMMAND_OK && PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
            return failure(oneLine(PQresultErrorMessage(result.get())));
          }
          return true;
        },
        .recordVersion = [this](int version) -> Result<bool> {
          auto recorded = run("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                              {integer(version), integer(static_cast<std::int64_t>(std::time(nullptr)))});
          return recorded ? Result<bool>(true) : failure(recorded.error().reason);
        },
        .commit = [this]() -> Result<bool> {
          auto done = run("COMMIT", {});
          return done ? Result<bool>(true) : failure(done.error().reason);
        },
        .rollback = [this]() { (void)run("ROLLBACK", {}); },
    };
    return migrateSchema(session, SqlDialect::postgresql, name_);
  }

  // SandboxStore
  Result<bool> insert(const SandboxRecord& record) override {
    if (auto storable = checkStorable(record); !storable) {
      return failed("cannot insert", storable.error().reason);
    }
    const std::lock_guard lock(mutex_);
    auto inserted = write(statements::kInsert,
        {text(record.id), text(record.owner), text(encodeSpec(record.spec)), bytes(record.sealed_keys),
         text(desiredStateName(record.desired)), text(record.last_error), integer(record.created_at),
         integer(record.updated_at), text(idKey(record.id))});
    if (!inserted) {
      return failed("cannot insert sandbox " + record.id, inserted.error().reason);
    }
    return rowsAffected(*inserted) == 1;
  }

  Result<std::optional<SandboxRecord>> get(std::string_view id) override {
    if (!checkStorableText("id", id)) {
      return std::optional<SandboxRecord>();  // nothing with such an id can have been stored
    }
    const std::lock_guard lock(mutex_);
    auto records = readRecords(RecordFilter::id, text(id), "cannot read sandbox " + std::string(id));
    if (!records) {
      return common::fail(records.error());
    }
    if (records->empty()) {
      return std::optional<SandboxRecord>();
    }
    return std::optional<SandboxRecord>(std::move(records->front()));
  }

  Result<std::vector<SandboxRecord>> list(std::optional<std::string_view> owner) override {
    if (owner && !checkStorableText("owner", *owner)) {
      return std::vector<SandboxRecord>();
    }
    const std::lock_guard lock(mutex_);
    if (owner) {
      return readRecords(RecordFilter::owner, text(*owner), "cannot list the sandboxes of " + std::string(*owner));
    }
    return readRecords(RecordFilter::all, std::nullopt, "cannot list sandboxes");
  }

  Result<bool> update(const SandboxRecord& record) override {
    if (!checkStorableText("id", record.id)) {
      return false;
    }
    if (auto storable = checkStorable(record); !storable) {
      return failed("cannot update", storable.error().reason);
    }
    const std::lock_guard lock(mutex_);
    auto updated = write(statements::kUpdate,
        {text(record.owner), text(encodeSpec(record.spec)), bytes(record.sealed_keys),
         text(desiredStateName(record.desired)), text(record.last_error), integer(record.updated_at), text(record.id),
         integer(record.revision)});
    if (!updated) {
      return failed("cannot update sandbox " + record.id, updated.error().reason);
    }
    return rowsAffected(*updated) == 1;
  }

  Result<bool> remove(std::string_view id) override {
    if (!checkStorableText("id", id)) {
      return false;
    }
    const std::lock_guard lock(mutex_);
    auto removed = write(statements::kRemove, {text(id)});
    if (!removed) {
      return failed("cannot remove sandbox " + std::string(id), removed.error().reason);
    }
    return rowsAffected(*removed) == 1;
  }

  Result<Done> linkConversation(std::string_view sandbox_id, std::string_view conversation_id) override {
    const std::string what =
        "cannot link conversation " + std::string(conversation_id) + " to sandbox " + std::string(sandbox_id);
    if (auto storable = checkStorableText("the conversation id", conversation_id); !storable) {
      return failed(what, storable.error().reason);
    }
    if (conversation_id.empty()) {
      return failed(what, "the conversation id is empty");
    }
    if (!checkStorableText("id", sandbox_id)) {
      return failed(what, "there is no such sandbox");
    }
    const std::lock_guard lock(mutex_);
    auto linked = write(statements::kLink, {text(conversation_id), text(sandbox_id)});
    if (!linked) {
      return failed(what, linked.error().sqlstate == kForeignKeyViolation ? "there is no such sandbox"
                                                                          : linked.error().reason);
    }
    return Done{};
  }

  Result<std::size_t> countByOwner(std::string_view owner) override {
    if (!checkStorableText("owner", owner)) {
      return std::size_t{0};
    }
    const std::lock_guard lock(mutex_);
    auto counted = read([&]() { return run(statements::kCountByOwner, {text(owner)}); });
    if (!counted) {
      return failed("cannot count the sandboxes of " + std::string(owner), counted.error().reason);
    }
    return static_cast<std::size_t>(integerAt(counted->get(), 0, 0));
  }

private:
  Result<bool> connect() {
    // Defaults first, then the URL expanded over them ("dbname" with expand_dbname): libpq
    // keeps the last value of a keyword, so what the URL sets wins.
    std::vector<const char*> keywords;
    std::vector<const char*> values;
    for (const auto& [keyword, value] : kConnectionDefaults) {
      keywords.push_back(keyword);
      values.push_back(value);
    }
    keywords.insert(keywords.end(), {"dbname", nullptr});
    values.insert(values.end(), {url_.c_str(), nullptr});
    connection_.reset(PQconnectdbParams(keywords.data(), values.data(), 1));
    if (connection_ == nullptr) {
      return failure("cannot connect: out of memory");
    }
    if (PQstatus(connection_.get()) != CONNECTION_OK) {
      return failure("cannot connect: " + oneLine(PQerrorMessage(connection_.get())));
    }
    PQsetNoticeProcessor(connection_.get(), ignoreNotice, nullptr);
    return true;
  }

  // A connection that broke (a database restart, a failover) is re-established before the next
  // statement, with the URL's settings again.
  Result<bool, PgError> ensureConnected() {
    if (connection_ != nullptr && PQstatus(connection_.get()) == CONNECTION_OK) {
      return true;
    }
    if (auto connected = connect(); !connected) {
      return common::fail(PgError{connected.error().reason, {}});
    }
    return true;
  }

  // One statement with bound parameters (never interpolated), text results.
  Result<PgResultPtr, PgError> run(std::string_view sql, const std::vector<Parameter>& parameters) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (const Parameter& parameter : parameters) {
      values.push_back(parameter.value.c_str());
      lengths.push_back(static_cast<int>(parameter.value.size()));
      formats.push_back(parameter.binary ? 1 : 0);
    }
    PgResultPtr result(PQexecParams(connection_.get(), std::string(sql).c_str(), static_cast<int>(parameters.size()),
                                    nullptr, values.data(), lengths.data(), formats.data(), 0));
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const char* sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
      const char* message = result != nullptr ? PQresultErrorMessage(result.get()) : PQerrorMessage(connection_.get());
      return common::fail(PgError{oneLine(message), sqlstate != nullptr ? sqlstate : ""});
    }
    return result;
  }

  // A read is safe to repeat: when the connection broke under it, reconnect and try once more.
  template <class Read>
  auto read(Read attempt) -> decltype(attempt()) {
    if (auto connected = ensureConnected(); !connected) {
      return common::fail(connected.error());
    }
    auto first = attempt();
    if (first || PQstatus(connection_.get()) == CONNECTION_OK) {
      return first;
    }
    if (auto connected = ensureConnected(); !connected) {
      return common::fail(connected.error());
    }
    return attempt();
  }

  // A write is not repeated: had it reached the database before the connection broke, a repeat
  // would report "exists" or "lost the race" for our own change. The next call reconnects.
  Result<PgResultPtr, PgError> write(std::string_view sql, const std::vector<Parameter>& parameters) {
    if (auto connected = ensureConnected(); !connected) {
      return common::fail(connected.error());
    }
    auto result = run(sql, parameters);
    if (!result && PQstatus(connection_.get()) != CONNECTION_OK) {
      return common::fail(PgError{
          result.error().reason + " (the connection broke: the write may or may not have been applied)",
          result.error().sqlstate});
    }
    return result;
  }

  // Records matching filter with their conversation ids, oldest first: one statement.
  Result<std::vector<SandboxRecord>> readRecords(RecordFilter filter, std::optional<Parameter> parameter,
                                                 const std::string& what) {
    std::vector<Parameter> parameters;
    if (parameter) {
      parameters.push_back(std::move(*parameter));
    }
    auto rows = read([&]() { return run(statements::selectRecords(filter, true), parameters); });
    if (!rows) {
      return failed(what, rows.error().reason);
    }
    std::vector<SandboxRecord> records;
    for (int row = 0; row < PQntuples(rows->get()); ++row) {
      auto record = decodeRecord(storedRecordAt(rows->get(), row));
      if (!record) {
        return failed(what, record.error().reason);
      }
      records.push_back(std::move(*record));
    }
    return records;
  }

  static std::size_t rowsAffected(const PgResultPtr& result) {
    std::size_t count = 0;
    const std::string_view tuples = PQcmdTuples(result.get());
    std::from_chars(tuples.data(), tuples.data() + tuples.size(), count);
    return count;
  }

  common::Fail<Failure> failed(const std::string& what, const std::string& reason) const {
    return failure("sandbox store " + name_ + ": " + what + ": " + reason);
  }

  std::mutex mutex_;
  PgConnectionPtr connection_;
  const std::string url_;   // no password in it (checkPostgresUrl); kept to reconnect
  const std::string name_;  // redacted, for messages
};

}  // namespace

Result<SandboxStorePtr> openPostgresSandboxStore(const std::string& url, const std::string& url_for_messages) {
  auto store = std::make_shared<PostgresSandboxStore>(url, url_for_messages);
  if (auto ready = store->connectAndMigrate(); !ready) {
    return common::fail(ready.error());
  }
  return SandboxStorePtr(std::move(store));
}

}  // namespace oh::control
