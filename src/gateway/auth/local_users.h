#pragma once
// Local accounts (the embedded default provider): a users file with one `name:argon2id-hash`
// per line, hashes from libsodium's crypto_pwhash_str (argon2id). Changes are written
// atomically (temp file in the same directory, fsync, rename) with mode 0600 under an flock,
// so a crash or a concurrent `oh-gateway users` never leaves a half-written file.
//
// Hash cost: OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE (2 passes, 64 MiB), not MODERATE
// (256 MiB): a small instance must survive a burst of logins; throttling (login_throttle.h)
// limits guessing instead. Stored hashes carry their own parameters, so raising the cost later
// only needs needsRehash() + passwd.

#include "auth/result.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace oh::gateway::auth {

using Status = Result<std::monostate>;
inline Status okStatus() { return std::monostate{}; }

struct PasswordHashParams {
  unsigned long long opslimit;
  std::size_t memlimit;
  static PasswordHashParams interactive();
  static PasswordHashParams minimumForTests();  // libsodium's minimum: fast, never for production
};

struct UserRecord {
  std::string name;
  std::string hash;  // "$argon2id$v=19$m=…,t=…,p=…$salt$hash"
};

struct UsersFile {
  std::vector<UserRecord> users;
  const UserRecord* find(std::string_view name) const;
};

constexpr std::size_t kMaxUsersFileBytes = 1024 * 1024;
constexpr std::size_t kMinPasswordBytes = 8;
constexpr std::size_t kMaxPasswordBytes = 1024;

// 1-128 characters of [A-Za-z0-9._@+-], not starting with '-' or '.' (so an email works).
bool validUsername(std::string_view name);

// Every problem is reported with its line number; a file with any problem is refused whole.
Result<UsersFile, std::vector<std::string>> parseUsersFile(std::string_view contents);
std::string serializeUsersFile(const UsersFile& file);

// Reads the file; `missing_ok` turns a missing file into an empty one (the CLI's first add).
// A file that group or others may access holds password hashes anyone on the machine could
// attack offline: it is refused (naming the file and the chmod that fixes it), unless `warning`
// is given (the users command, which rewrites the file 0600): then the message goes there.
Result<UsersFile, std::vector<std::string>> loadUsersFile(const std::string& path, bool missing_ok,
                                                          std::string* warning = nullptr);
Status saveUsersFile(const std::string& path, const UsersFile& file);

// Password checks for add/passwd: length bounds, no control characters.
Status checkNewPassword(std::string_view password);
Result<std::string> hashPassword(std::string_view password, const PasswordHashParams& params);
bool needsRehash(std::string_view hash, const PasswordHashParams& params);

// File operations (lock, load, change, atomic save).
Status addUser(const std::string& path, std::string_view name, std::string_view password,
               const PasswordHashParams& params);
Status removeUser(const std::string& path, std::string_view name);
Status setPassword(const std::string& path, std::string_view name, std::string_view password,
                   const PasswordHashParams& params);
Result<std::vector<std::string>> listUsers(const std::string& path);

// Checks a login against a loaded file. An unknown user costs the same as a wrong password
// (a dummy hash is verified), so response times do not reveal which names exist.
class LocalAccounts {
public:
  LocalAccounts(UsersFile file, PasswordHashParams params);
  bool verify(std::string_view name, std::string_view password) const;
  std::size_t size() const { return file_.users.size(); }

private:
  UsersFile file_;
  std::string dummy_hash_;
};

}  // namespace oh::gateway::auth
