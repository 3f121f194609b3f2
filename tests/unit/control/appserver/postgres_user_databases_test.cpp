// Each user's PostgreSQL database against a real PostgreSQL 15 (a private cluster): created once
// and idempotently, named from the user key, owned by the user's own role and closed to every
// other role, dropped with the user's data; keys that are not user keys refused. The admin is a
// non-superuser with CREATEDB and CREATEROLE, as a deployment's would be.

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <thread>
#include <vector>

#include "appserver/postgres_user_databases.h"
#include "appserver/user_secrets.h"
#include "support/private_postgres.h"

namespace oh::control {
namespace {

const std::string kUserA = "0123456789abcdef0123456789abcdef";
const std::string kUserB = "fedcba9876543210fedcba9876543210";
const std::string kSecret(32, 'p');

class PostgresUserDatabasesTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    std::string error;
    postgres_ = oh::testing::PrivatePostgres::start(error).release();
    ASSERT_NE(postgres_, nullptr) << error;
    ASSERT_EQ(postgres_->execute("postgres", "CREATE ROLE oh_admin LOGIN CREATEDB CREATEROLE"), "");
  }
  static void TearDownTestSuite() {
    delete postgres_;
    postgres_ = nullptr;
  }

  static std::string adminConninfo() {
    return "postgresql://oh_admin@/postgres?host=" + postgres_->socketDirectory();
  }

  // One value of a query as the superuser ("" when no row).
  static std::string scalar(const std::string& sql) {
    PGconn* connection = PQconnectdb(postgres_->urlFor("postgres").c_str());
    std::string value;
    PGresult* result = PQexec(connection, sql.c_str());
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0) {
      value = PQgetvalue(result, 0, 0);
    }
    PQclear(result);
    PQfinish(connection);
    return value;
  }

  UserDatabasesPtr databases(std::string prefix = "oh_user_") {
    auto made = makePostgresUserDatabases({adminConninfo(), std::move(prefix), kSecret});
    EXPECT_TRUE(made.ok());
    return made.ok() ? *made : nullptr;
  }

  static oh::testing::PrivatePostgres* postgres_;
};

oh::testing::PrivatePostgres* PostgresUserDatabasesTest::postgres_ = nullptr;

TEST_F(PostgresUserDatabasesTest, CreatesTheUsersDatabaseAndRoleOnceNamedFromTheKey) {
  auto db = databases();
  auto login = db->ensure(kUserA);
  ASSERT_TRUE(login.ok()) << login.error().reason;
  EXPECT_EQ(login->name, "oh_user_" + kUserA);
  EXPECT_EQ(login->user, "oh_user_" + kUserA);
  EXPECT_EQ(login->password, databasePasswordFor(kSecret, kUserA));
  EXPECT_EQ(scalar("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'oh_user_" + kUserA + "'"),
            "oh_user_" + kUserA);
  // The role logs in with a SCRAM verifier, never a stored plain password.
  EXPECT_EQ(scalar("SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'oh_user_" + kUserA + "'"),
            "SCRAM-SHA-256$");
  EXPECT_EQ(scalar("SELECT rolsuper::text || rolcreatedb::text || rolcreaterole::text FROM pg_roles WHERE rolname = "
                   "'oh_user_" + kUserA + "'"),
            "falsefalsefalse");

  auto again = db->ensure(kUserA);
  ASSERT_TRUE(again.ok()) << (again.ok() ? "" : again.error().reason);
  EXPECT_EQ(again->password, login->password);
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_database WHERE datname LIKE 'oh_user_%'"), "1");
}

TEST_F(PostgresUserDatabasesTest, ConcurrentFirstStartsConverge) {
  auto db = databases("oh_race_");
  std::vector<std::thread> threads;
  std::vector<bool> ok(6, false);
  for (std::size_t i = 0; i < ok.size(); ++i) {
    threads.emplace_back([&, i] {
      auto login = db->ensure(kUserB);
      ok[i] = login.ok();
      if (!login.ok()) {
        ADD_FAILURE() << login.error().reason;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (bool each : ok) {
    EXPECT_TRUE(each);
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_database WHERE datname = 'oh_race_" + kUserB + "'"), "1");
}

// OpenHands' migrations create their tables in the public schema as the user's role: in
// PostgreSQL 15 that right comes from pg_database_owner, which only an INHERIT role uses. A role
// made NOINHERIT (as an earlier version did) is mended by the next ensure.
TEST_F(PostgresUserDatabasesTest, TheUsersRoleMayCreateItsTablesInPublic) {
  auto db = databases("oh_tables_");
  const std::string name = "oh_tables_" + kUserA;
  ASSERT_EQ(postgres_->execute("postgres", "CREATE ROLE " + name + " LOGIN NOINHERIT"), "");
  ASSERT_TRUE(db->ensure(kUserA).ok());
  // Over the socket (trust) as the role itself: its privileges, not the password, are the point.
  PGconn* connection =
      PQconnectdb(("host=" + postgres_->socketDirectory() + " user=" + name + " dbname=" + name).c_str());
  ASSERT_EQ(PQstatus(connection), CONNECTION_OK) << PQerrorMessage(connection);
  PGresult* created = PQexec(connection, "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)");
  EXPECT_EQ(PQresultStatus(created), PGRES_COMMAND_OK) << PQresultErrorMessage(created);
  PQclear(created);
  PQfinish(connection);
  EXPECT_EQ(scalar("SELECT rolinherit::text FROM pg_roles WHERE rolname = '" + name + "'"), "true");
}

TEST_F(PostgresUserDatabasesTest, AnotherUsersRoleCannotConnect) {
  auto db = databases("oh_iso_");
  ASSERT_TRUE(db->ensure(kUserA).ok());
  ASSERT_TRUE(db->ensure(kUserB).ok());
  const std::string a = "oh_iso_" + kUserA, b = "oh_iso_" + kUserB;
  EXPECT_EQ(scalar("SELECT has_database_privilege('" + a + "', '" + a + "', 'CONNECT')::text"), "true");
  EXPECT_EQ(scalar("SELECT has_database_privilege('" + b + "', '" + a + "', 'CONNECT')::text"), "false");
  EXPECT_EQ(scalar("SELECT has_database_privilege('" + a + "', '" + b + "', 'CONNECT')::text"), "false");
}

TEST_F(PostgresUserDatabasesTest, DropRemovesDatabaseAndRoleAndIsIdempotent) {
  auto db = databases("oh_drop_");
  ASSERT_TRUE(db->ensure(kUserA).ok());
  ASSERT_TRUE(db->drop(kUserA).ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_database WHERE datname = 'oh_drop_" + kUserA + "'"), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'oh_drop_" + kUserA + "'"), "0");
  EXPECT_TRUE(db->drop(kUserA).ok());
}

TEST_F(PostgresUserDatabasesTest, KeysThatAreNotUserKeysAreRefusedBeforeAnyStatement) {
  auto db = databases();
  for (const std::string& key : {std::string(""), std::string("x\"; DROP DATABASE postgres; --"),
                                std::string("0123456789ABCDEF0123456789ABCDEF"), kUserA + "00",
                                std::string("0123456789abcdef0123456789abcde")}) {
    EXPECT_FALSE(db->ensure(key).ok()) << key;
    EXPECT_FALSE(db->drop(key).ok()) << key;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_database WHERE datname = 'postgres'"), "1");
}

TEST_F(PostgresUserDatabasesTest, UnusablePrefixesAndShortSecretsAreRefused) {
  for (const std::string& prefix : {std::string(""), std::string("Oh_"), std::string("1oh_"), std::string("oh-user-"), std::string("oh\"_"), std::string(32, 'a')}) {
    EXPECT_FALSE(makePostgresUserDatabases({adminConninfo(), prefix, kSecret}).ok()) << prefix;
  }
  EXPECT_FALSE(makePostgresUserDatabases({adminConninfo(), "oh_user_", "short"}).ok());
  EXPECT_FALSE(makePostgresUserDatabases({"", "oh_user_", kSecret}).ok());
}

TEST_F(PostgresUserDatabasesTest, AnUnreachableAdminDatabaseIsAFailureNotAHang) {
  auto db = makePostgresUserDatabases({"postgresql://oh_admin@/postgres?host=/nonexistent&connect_timeout=2",
                                       "oh_user_", kSecret});
  ASSERT_TRUE(db.ok());
  auto login = (*db)->ensure(kUserA);
  ASSERT_FALSE(login.ok());
  EXPECT_NE(login.error().reason.find("cannot connect"), std::string::npos);
}

}  // namespace
}  // namespace oh::control
