#pragma once
// The backends the store contract suite runs against: SQLite in a temporary directory, and a
// PostgreSQL 15 cluster of the test's own (support/private_postgres.h), started once per test
// process. Each fresh() is an empty database; rawSql() reaches it behind the store's back
// (corrupting a record, faking a newer schema).

#include <memory>
#include <ostream>
#include <string>

namespace oh::control::testing {

enum class Backend { sqlite, postgresql };

inline const char* nameOf(Backend backend) { return backend == Backend::sqlite ? "sqlite" : "postgresql"; }

// How GoogleTest prints a parameter.
inline void PrintTo(Backend backend, std::ostream* out) { *out << nameOf(backend); }

class StoreUnderTest {
public:
  virtual ~StoreUnderTest() = default;
  // The URL of a new, empty database.
  virtual std::string fresh() = 0;
  // Runs SQL on the database url names; "" or the error.
  virtual std::string rawSql(const std::string& url, const std::string& sql) = 0;
  // The backend's spelling of a byte-string literal (for sealed_keys in raw SQL).
  virtual std::string blobLiteral(const std::string& hex) const = 0;
};

// The process's instance of a backend (started on first use, stopped at exit); nullptr with
// the reason in error when it cannot run here.
StoreUnderTest* storeUnderTest(Backend backend, std::string& error);

// Restarts the PostgreSQL cluster of storeUnderTest(Backend::postgresql): every client's
// connection breaks, as in a database restart or failover.
bool restartPostgres(std::string& error);

}  // namespace oh::control::testing
