#pragma once
// UserDatabases on PostgreSQL (Aurora on AWS): for user key K, a login role and a database both
// named {prefix}K, the database owned by the role and closed to PUBLIC, so one user's app server
// cannot open another's database even with its own valid login. Created through an admin
// connection (a role with CREATEDB and CREATEROLE, or Aurora's master user); the role's password
// is databasePasswordFor(secret_key, K) (user_secrets.h), sent as a SCRAM verifier computed here
// (PQencryptPasswordConn), so the server's statement log never holds it.
//
//   auto databases = makePostgresUserDatabases({.admin_conninfo = "host=… user=oh_admin …",
//                                               .name_prefix = "oh_user_", .secret_key = key});
//   auto login = databases.value()->ensure(userKey);   // DB_NAME, DB_USER, DB_PASS

#include <string>

#include "appserver/user_databases.h"

namespace oh::control {

struct PostgresUserDatabaseOptions {
  std::string admin_conninfo;            // libpq conninfo or URL
  std::string name_prefix = "oh_user_";  // [a-z_][a-z0-9_]*, at most 31 characters
  std::string secret_key;                // 32+ bytes
};

// Refuses an unusable prefix or a short key (nothing connects until ensure or drop).
common::Result<UserDatabasesPtr> makePostgresUserDatabases(PostgresUserDatabaseOptions options);

// {prefix}{userKey}: the database's and the role's name.
std::string userDatabaseName(std::string_view prefix, std::string_view user_key);

}  // namespace oh::control
