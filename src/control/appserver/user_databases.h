#pragma once
// Each user's own OpenHands database (issue 14 item 1). Locally OpenHands keeps SQLite in the
// user's persistence directory by itself (services/db_session_injector.py:186-187) and nothing
// is created here; on AWS every user gets one PostgreSQL database and a login role of the same
// name, {prefix}{userKey}, created on the first start (postgres_user_databases.h).
//
// Calls block (the pool calls them on its start threads) and are thread-safe.

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace oh::control {

// What the user's app server is told: DB_NAME, DB_USER, DB_PASS
// (services/db_session_injector.py:53-61). The password is a secret: never logged.
struct DatabaseLogin {
  std::string name;
  std::string user;
  std::string password;
};

struct DatabaseDone {};

class UserDatabases {
public:
  virtual ~UserDatabases() = default;

  // Creates the user's role and database unless they exist (idempotent; concurrent calls from
  // two gateways converge) and returns the login. A key that is not a user key is refused.
  virtual common::Result<DatabaseLogin> ensure(std::string_view user_key) = 0;

  // Drops the user's database and role (an operator deleting a user's data); absent is success.
  virtual common::Result<DatabaseDone> drop(std::string_view user_key) = 0;
};

using UserDatabasesPtr = std::shared_ptr<UserDatabases>;

}  // namespace oh::control
