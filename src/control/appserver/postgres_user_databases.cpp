#include "appserver/postgres_user_databases.h"

#include <libpq-fe.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "appserver/user_secrets.h"
#include "sandbox/user_key.h"
#include "store/libpq_handles.h"

namespace oh::control {
namespace {

// SQLSTATEs a concurrent ensure from another gateway produces: the object exists, as asked.
constexpr std::string_view kDuplicateDatabase = "42P04";
constexpr std::string_view kDuplicateObject = "42710";    // a role
constexpr std::string_view kUniqueViolation = "23505";    // pg_authid/pg_database races

constexpr std::size_t kMaxPrefix = 31;  // + 32 hex = 63, PostgreSQL's identifier limit

using Connection = libpq::ConnectionPtr;
using PgResult = libpq::ResultPtr;
using libpq::oneLine;

struct Freed {
  void operator()(char* text) const { PQfreemem(text); }
};
using PgText = std::unique_ptr<char, Freed>;

bool prefixUsable(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > kMaxPrefix || (prefix.front() >= '0' && prefix.front() <= '9')) {
    return false;
  }
  for (char c : prefix) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

void ignoreNotice(void*, const char*) {}

struct StatementFailure {
  std::string reason;
  std::string sqlstate;
};

class PostgresUserDatabases final : public UserDatabases {
public:
  explicit PostgresUserDatabases(PostgresUserDatabaseOptions options) : options_(std::move(options)) {}

  common::Result<DatabaseLogin> ensure(std::string_view user_key) override {
    auto session = openFor(user_key);
    if (!session) {
      return common::fail(session.error());
    }
    PGconn* pg = session->connection.get();
    const std::string& name = session->name;
    const std::string identifier = quoted(pg, name);
    const std::string password = databasePasswordFor(options_.secret_key, user_key);
    PgText verifier(PQencryptPasswordConn(pg, password.c_str(), name.c_str(), "scram-sha-256"));
    if (!verifier) {
      return common::failure("user database " + name + ": cannot compute the password verifier: " +
                             oneLine(PQerrorMessage(pg)));
    }
    PgText literal(PQescapeLiteral(pg, verifier.get(), std::strlen(verifier.get())));
    if (!literal) {
      return common::failure("user database " + name + ": cannot quote the password verifier");
    }
    // The role: created, or its password brought in step with the secret key (a rotated key
    // file takes effect at the user's next start). Never the password itself in the text.
    const bool role_exists = exists(pg, "SELECT 1 FROM pg_roles WHERE rolname = $1", name);
    // INHERIT: in PostgreSQL 15 the public schema belongs to pg_database_owner, whose rights
    // the database's owner has only by inheritance; a NOINHERIT role (as earlier versions made
    // it, hence INHERIT in the ALTER too) may not create its tables there. The role is granted
    // no other role, so it inherits nothing else. (ALTER names no attribute but INHERIT and the
    // password: a CREATEROLE admin may not touch SUPERUSER.)
    const std::string role_sql =
        role_exists ? "ALTER ROLE " + identifier + " INHERIT PASSWORD " + literal.get()
                    : "CREATE ROLE " + identifier + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT PASSWORD " +
                          literal.get();
    if (auto done = execute(pg, role_sql); !done && done.error().sqlstate != kDuplicateObject &&
                                           done.error().sqlstate != kUniqueViolation) {
      return failed(name, role_exists ? "cannot set the role's password" : "cannot create the role", done.error());
    }
    if (!exists(pg, "SELECT 1 FROM pg_database WHERE datname = $1", name)) {
      // A non-superuser admin (CREATEROLE) may give a database to a role it is a member of
      // (PostgreSQL 15); membership granted to an admin that has it already is a notice.
      (void)execute(pg, "GRANT " + identifier + " TO CURRENT_USER");
      if (auto done = execute(pg, "CREATE DATABASE " + identifier + " OWNER " + identifier);
          !done && done.error().sqlstate != kDuplicateDatabase && done.error().sqlstate != kUniqueViolation) {
        return failed(name, "cannot create the database", done.error());
      }
    }
    // Every database grants CONNECT and TEMPORARY to PUBLIC by default: every other user's role.
    if (auto done = execute(pg, "REVOKE ALL ON DATABASE " + identifier + " FROM PUBLIC"); !done) {
      return failed(name, "cannot close the database to other roles", done.error());
    }
    return DatabaseLogin{name, name, password};
  }

  common::Result<DatabaseDone> drop(std::string_view user_key) override {
    auto session = openFor(user_key);
    if (!session) {
      return common::fail(session.error());
    }
    PGconn* pg = session->connection.get();
    const std::string& name = session->name;
    const std::string identifier = quoted(pg, name);
    // FORCE ends the app server's sessions (it is being removed with its data).
    if (auto done = execute(pg, "DROP DATABASE IF EXISTS " + identifier + " WITH (FORCE)"); !done) {
      return failed(name, "cannot drop the database", done.error());
    }
    if (auto done = execute(pg, "DROP ROLE IF EXISTS " + identifier); !done) {
      return failed(name, "cannot drop the role", done.error());
    }
    return DatabaseDone{};
  }

private:
  // A connection holding the user's lock, for a user key's role and database.
  struct Session {
    Connection connection;
    std::string name;
  };

  common::Result<Session> openFor(std::string_view user_key) const {
    if (!isUserKey(user_key)) {
      return common::failure("user database: not a user key");
    }
    std::string name = userDatabaseName(options_.name_prefix, user_key);
    auto connection = connect();
    if (!connection) {
      return common::fail(connection.error());
    }
    if (auto locked = lockUser(connection->get(), name); !locked) {
      return common::fail(locked.error());
    }
    return Session{std::move(*connection), std::move(name)};
  }

  common::Result<Connection> connect() const {
    Connection connection(PQconnectdb(options_.admin_conninfo.c_str()));
    if (!connection || PQstatus(connection.get()) != CONNECTION_OK) {
      // libpq's message names the host and the failure, never the password.
      return common::failure("user databases: cannot connect to the admin database: " +
                             oneLine(connection ? PQerrorMessage(connection.get()) : "out of memory"));
    }
    PQsetNoticeProcessor(connection.get(), ignoreNotice, nullptr);
    (void)execute(connection.get(), "SET statement_timeout = '30s'");
    return connection;
  }

  // One gateway at a time works on a user's role and database (two catalog updates of one role
  // at once fail with "tuple concurrently updated"); the lock goes with the session.
  static common::Result<DatabaseDone> lockUser(PGconn* pg, const std::string& name) {
    const std::array<const char*, 1> values{name.c_str()};
    PgResult result(PQexecParams(pg, "SELECT pg_advisory_lock(hashtextextended($1, 0))", 1, nullptr, values.data(),
                                 nullptr, nullptr, 0));
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
      return common::failure("user database " + name + ": cannot lock: " + oneLine(PQresultErrorMessage(result.get())));
    }
    return DatabaseDone{};
  }

  static std::string quoted(PGconn* pg, const std::string& name) {
    PgText identifier(PQescapeIdentifier(pg, name.c_str(), name.size()));
    return identifier ? std::string(identifier.get()) : "\"" + name + "\"";  // name is [a-z0-9_]
  }

  static bool exists(PGconn* pg, const char* sql, const std::string& name) {
    const std::array<const char*, 1> values{name.c_str()};
    PgResult result(PQexecParams(pg, sql, 1, nullptr, values.data(), nullptr, nullptr, 0));
    return PQresultStatus(result.get()) == PGRES_TUPLES_OK && PQntuples(result.get()) > 0;
  }

  static common::Result<DatabaseDone, StatementFailure> execute(PGconn* pg, const std::string& sql) {
    PgResult result(PQexec(pg, sql.c_str()));
    if (PQresultStatus(result.get()) == PGRES_COMMAND_OK || PQresultStatus(result.get()) == PGRES_TUPLES_OK) {
      return DatabaseDone{};
    }
    const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
    return common::fail(StatementFailure{oneLine(PQresultErrorMessage(result.get())), state ? state : ""});
  }

  // The server's message, which names objects and never echoes a statement's literals.
  static common::Fail<common::Failure> failed(const std::string& name, std::string_view what,
                                              const StatementFailure& why) {
    return common::failure("user database " + name + ": " + std::string(what) + ": " + why.reason);
  }

  PostgresUserDatabaseOptions options_;
};

}  // namespace

std::string userDatabaseName(std::string_view prefix, std::string_view user_key) {
  std::string name(prefix);
  name.append(user_key);
  return name;
}

common::Result<UserDatabasesPtr> makePostgresUserDatabases(PostgresUserDatabaseOptions options) {
  if (!prefixUsable(options.name_prefix)) {
    return common::failure("the database name prefix must be [a-z_][a-z0-9_]*, at most 31 characters");
  }
  if (options.secret_key.size() < 32) {
    return common::failure("the app-server secret key must be at least 32 bytes");
  }
  if (options.admin_conninfo.empty()) {
    return common::failure("no admin connection for users' databases");
  }
  return UserDatabasesPtr(std::make_shared<PostgresUserDatabases>(std::move(options)));
}

}  // namespace oh::control
