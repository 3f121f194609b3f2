#pragma once
// The local accounts as the sign-in sees them: loaded at build, then re-read when the users
// file changes on disk, so `oh-gateway users add|remove|passwd` take effect without a SIGHUP
// (the first user of a fresh local install can sign in right after creating it).
//
// Re-reading builds a LocalAccounts, which hashes a dummy password (argon2id, ~64 MiB): it only
// ever runs on the blocking pool. The request path only stats the file, at most once per
// kCheckInterval, and queues the re-read when the file changed. Private to oh_gateway_signin.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/account_fingerprint.h"
#include "auth/local_users.h"
#include "auth/session.h"

namespace oh::gateway::signin {

class UsersFileSource : public std::enable_shared_from_this<UsersFileSource> {
public:
  // Password-hash fingerprints of one account under the current cookie key and, after a key
  // rotation, the previous one (sessions signed in before the rotation carry that one).
  struct Fingerprints {
    std::string current;
    std::string previous;
  };
  enum class SessionCheck { ok, unknown_account, password_changed };
  struct Accounts {
    auth::LocalAccounts accounts;
    std::unordered_map<std::string, Fingerprints> by_name;
    // What a session of `name` signed in now carries; "" for an unknown name.
    std::string fingerprintOf(const std::string& name) const;
    // Every request of a local account: one hash lookup and a 16-byte constant-time compare.
    SessionCheck check(const auth::Session& session) const;
  };
  static constexpr std::chrono::seconds kCheckInterval{2};

  // Loads the file (problems joined with "; "); one that group or others may access is refused.
  // `current_key`/`previous_key`: the cookie keys the fingerprints are derived from.
  static std::variant<std::shared_ptr<UsersFileSource>, std::string> load(const std::string& path,
                                                                          auth::PasswordHashParams params,
                                                                          std::string_view current_key,
                                                                          std::optional<std::string_view> previous_key);

  std::shared_ptr<const Accounts> current() const;

  // Request path (any thread, cheap): at most every kCheckInterval, stats the file; when it
  // changed, hands a re-read to `submit` (the blocking pool).
  void checkSoon(const std::function<bool(std::function<void()>)>& submit);

  // Blocking (pool thread): re-reads now if the file changed. A broken file is logged and the
  // accounts loaded before are kept.
  void refreshIfChanged();

private:
  struct Stamp {
    ino_t inode = 0;
    off_t size = -1;
    std::int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  static Stamp stampOf(const std::string& path);

  UsersFileSource(std::string path, auth::PasswordHashParams params, auth::AccountFingerprinter current,
                  std::optional<auth::AccountFingerprinter> previous)
      : path_(std::move(path)), params_(params), current_(std::move(current)), previous_(std::move(previous)) {}
  std::shared_ptr<const Accounts> accountsOf(auth::UsersFile file) const;

  const std::string path_;
  const auth::PasswordHashParams params_;
  const auth::AccountFingerprinter current_;
  const std::optional<auth::AccountFingerprinter> previous_;
  mutable std::mutex mutex_;  // stamp_ and re-reads; readers of the accounts never take it
  std::atomic<std::shared_ptr<const Accounts>> accounts_;
  Stamp stamp_;
  std::atomic<std::int64_t> next_check_ns_{0};
  std::atomic<bool> reload_queued_{false};
};

}  // namespace oh::gateway::signin
