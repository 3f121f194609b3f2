#include "unit/control/store/store_under_test.h"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "support/private_postgres.h"

namespace oh::control::testing {
namespace {

class SqliteUnderTest final : public StoreUnderTest {
public:
  SqliteUnderTest() {
    std::string pattern = (std::filesystem::temp_directory_path() / "oh-store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) {
      directory_ = pattern;
    }
  }
  ~SqliteUnderTest() override {
    std::error_code ignored;
    if (!directory_.empty() && std::getenv("OH_KEEP_TEST_DIR") == nullptr) {
      std::filesystem::remove_all(directory_, ignored);
    }
  }
  bool ready() const { return !directory_.empty(); }
  const std::string& directory() const { return directory_; }

  std::string fresh() override {
    return "sqlite://" + directory_ + "/db" + std::to_string(next_++) + "/sandboxes.db";
  }

  std::string rawSql(const std::string& url, const std::string& sql) override {
    const std::string path = url.substr(std::string("sqlite://").size());
    sqlite3* db = nullptr;
    std::string error;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      error = sqlite3_errmsg(db);
    } else {
      sqlite3_busy_timeout(db, 10'000);
      char* message = nullptr;
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        error = message != nullptr ? message : "sqlite3_exec failed";
      }
      sqlite3_free(message);
    }
    sqlite3_close_v2(db);
    return error;
  }

  std::string blobLiteral(const std::string& hex) const override { return "X'" + hex + "'"; }

private:
  std::string directory_;
  std::atomic<int> next_{0};
};

class PostgresUnderTest final : public StoreUnderTest {
public:
  explicit PostgresUnderTest(std::unique_ptr<oh::testing::PrivatePostgres> cluster) : cluster_(std::move(cluster)) {}

  std::string fresh() override {
    std::string error;
    const std::string url = cluster_->createDatabase("contract_" + std::to_string(next_++), error);
    return url.empty() ? "postgresql://could-not-create-database/" + error : url;
  }

  std::string rawSql(const std::string& url, const std::string& sql) override {
    // postgresql://postgres@/NAME?host=… (PrivatePostgres::urlFor)
    const auto name_at = url.find("@/") + 2;
    return cluster_->execute(url.substr(name_at, url.find('?') - name_at), sql);
  }

  std::string blobLiteral(const std::string& hex) const override { return "'\\x" + hex + "'::bytea"; }

  oh::testing::PrivatePostgres& cluster() { return *cluster_; }

private:
  std::unique_ptr<oh::testing::PrivatePostgres> cluster_;
  std::atomic<int> next_{0};
};

std::mutex mutex;
std::unique_ptr<SqliteUnderTest> sqlite;
std::unique_ptr<PostgresUnderTest> postgres;
std::string postgres_error;

}  // namespace

StoreUnderTest* storeUnderTest(Backend backend, std::string& error) {
  const std::lock_guard lock(mutex);
  if (backend == Backend::sqlite) {
    if (!sqlite) {
      sqlite = std::make_unique<SqliteUnderTest>();
    }
    error = sqlite->ready() ? "" : "cannot create a temporary directory";
    return sqlite->ready() ? sqlite.get() : nullptr;
  }
  if (!postgres && postgres_error.empty()) {
    auto cluster = oh::testing::PrivatePostgres::start(postgres_error);
    if (cluster) {
      postgres = std::make_unique<PostgresUnderTest>(std::move(cluster));
    }
  }
  error = postgres_error;
  return postgres.get();
}

bool restartPostgres(std::string& error) {
  const std::lock_guard lock(mutex);
  if (!postgres) {
    error = "no PostgreSQL cluster was started";
    return false;
  }
  return postgres->cluster().restart(error);
}

}  // namespace oh::control::testing
