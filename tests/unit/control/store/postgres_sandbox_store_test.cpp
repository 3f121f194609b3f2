// What only the PostgreSQL store does: connecting (unreachable servers, timeouts, missing
// databases) and reconnecting after the database restarts.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "store/sandbox_store.h"
#include "unit/control/store/store_under_test.h"

namespace oh::control {
namespace {

// A loopback TCP port that completes handshakes (the kernel's backlog) but never answers: a
// database behind a black-holing network, as far as a client can tell.
class SilentListener {
public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0 && ::listen(fd_, 16) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~SilentListener() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  int port() const { return port_; }

private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback port with nothing listening (bound, then closed).
int closedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), length);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class PostgresSandboxStore : public ::testing::Test {
protected:
  void SetUp() override {
    std::string error;
    backend_ = testing::storeUnderTest(testing::Backend::postgresql, error);
    ASSERT_NE(backend_, nullptr) << error;
  }
  testing::StoreUnderTest* backend_ = nullptr;
};

// This test verifies that a refused connection is a failure naming the (redacted) URL.
TEST_F(PostgresSandboxStore, ARefusedConnectionIsAClearFailure) {
  const std::string url = "postgresql://oh@127.0.0.1:" + std::to_string(closedPort()) + "/oh?sslmode=disable";
  auto store = openSandboxStore(url);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().reason.find(url), std::string::npos) << store.error().reason;
  EXPECT_NE(store.error().reason.find("cannot connect"), std::string::npos) << store.error().reason;
}

// This test verifies that a server that never answers ends in a failure (connect_timeout), not
// a hang: the URL's own timeout applies.
TEST_F(PostgresSandboxStore, ASilentServerTimesOutInsteadOfHanging) {
  SilentListener silent;
  ASSERT_NE(silent.port(), 0);
  const std::string url =
      "postgresql://oh@127.0.0.1:" + std::to_string(silent.port()) + "/oh?sslmode=disable&connect_timeout=2";
  auto store = openSandboxStore(url);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().reason.find("timeout"), std::string::npos) << store.error().reason;
}

// This test verifies that a database that does not exist is named in the failure.
TEST_F(PostgresSandboxStore, AMissingDatabaseIsAClearFailure) {
  const std::string fresh = backend_->fresh();
  const std::string missing = fresh.substr(0, fresh.rfind('/')) + "/no_such_database" + fresh.substr(fresh.find('?'));
  auto store = openSandboxStore(missing);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().reason.find("no_such_database"), std::string::npos) << store.error().reason;
}

// This test verifies that the URL's own settings reach libpq and win over the store's defaults
// (here application_name over the fallback "oh-gateway"; sslmode and the rest travel the same way).
TEST_F(PostgresSandboxStore, TheUrlsSettingsPassThrough) {
  const std::string url = backend_->fresh();
  auto plain = openSandboxStore(url);
  ASSERT_TRUE(plain) << plain.error().reason;
  auto named = openSandboxStore(url + "&application_name=store-contract");
  ASSERT_TRUE(named) << named.error().reason;
  // A division by zero unless a session of that name is connected.
  const auto a_session_named = [&](const std::string& name) {
    return backend_->rawSql(
        url, "SELECT 1 / (SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '" + name + "')::int");
  };
  EXPECT_EQ(a_session_named("oh-gateway"), "");
  EXPECT_EQ(a_session_named("store-contract"), "");
  EXPECT_NE(a_session_named("nobody"), "");  // the check can fail
}

// This test verifies that a statement the database cannot finish (another session holds the
// row) fails after the default statement timeout instead of holding the store forever, and that
// the store works again once the row is free.
TEST_F(PostgresSandboxStore, AStatementStuckOnALockTimesOut) {
  const std::string url = backend_->fresh();
  auto opened = openSandboxStore(url);
  ASSERT_TRUE(opened) << opened.error().reason;
  SandboxStorePtr store = *opened;
  SandboxRecord record;
  record.id = "locked";
  record.owner = "owner-a";
  ASSERT_TRUE(store->insert(record).value());

  PGconn* holder = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(holder), CONNECTION_OK) << PQerrorMessage(holder);
  for (const char* sql : {"BEGIN", "SELECT id FROM sandboxes WHERE id = 'locked' FOR UPDATE"}) {
    PGresult* result = PQexec(holder, sql);
    EXPECT_NE(PQresultStatus(result), PGRES_FATAL_ERROR) << PQresultErrorMessage(result);
    PQclear(result);
  }
  record.revision = 1;
  auto stuck = store->update(record);
  ASSERT_FALSE(stuck);
  EXPECT_NE(stuck.error().reason.find("statement timeout"), std::string::npos) << stuck.error().reason;
  PQfinish(holder);  // ends the transaction, releasing the row

  auto freed = store->update(record);
  ASSERT_TRUE(freed) << freed.error().reason;
  EXPECT_TRUE(*freed);
}

// This test verifies that the store survives a database restart: reads reconnect at once; a
// write on the broken connection fails saying its outcome is unknown, and the next one works.
TEST_F(PostgresSandboxStore, ReconnectsAfterTheDatabaseRestarts) {
  auto opened = openSandboxStore(backend_->fresh());
  ASSERT_TRUE(opened) << opened.error().reason;
  SandboxStorePtr store = *opened;
  SandboxRecord record;
  record.id = "survivor";
  record.owner = "owner-a";
  ASSERT_TRUE(store->insert(record).value());

  std::string error;
  ASSERT_TRUE(testing::restartPostgres(error)) << error;
  auto found = store->get("survivor");
  ASSERT_TRUE(found) << found.error().reason;
  EXPECT_TRUE(found->has_value());

  ASSERT_TRUE(testing::restartPostgres(error)) << error;
  record.id = "second";
  // The old connection's server process is gone, so the write cannot have been applied, but
  // the store cannot know that in general: it says so instead of repeating the write.
  auto first_write = store->insert(record);
  ASSERT_FALSE(first_write);
  EXPECT_NE(first_write.error().reason.find("may or may not"), std::string::npos) << first_write.error().reason;
  auto retried = store->insert(record);
  ASSERT_TRUE(retried) << retried.error().reason;
  EXPECT_TRUE(*retried);
  EXPECT_TRUE(store->get("second").value().has_value());
  EXPECT_EQ(store->countByOwner("owner-a").value(), 2u);
}

}  // namespace
}  // namespace oh::control
