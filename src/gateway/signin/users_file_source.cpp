#include "signin/users_file_source.h"

#include <sys/stat.h>

#include <spdlog/spdlog.h>

namespace oh::gateway::signin {
namespace {

std::string joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const std::string& p : problems) {
    out += (out.empty() ? "" : "; ") + p;
  }
  return out;
}

std::int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string UsersFileSource::Accounts::fingerprintOf(const std::string& name) const {
  const auto it = by_name.find(name);
  return it == by_name.end() ? std::string() : it->second.current;
}

UsersFileSource::SessionCheck UsersFileSource::Accounts::check(const auth::Session& session) const {
  const auto it = by_name.find(session.sub);
  if (it == by_name.end()) {
    return SessionCheck::unknown_account;
  }
  if (auth::fingerprintMatches(session.account_fingerprint, it->second.current) ||
      auth::fingerprintMatches(session.account_fingerprint, it->second.previous)) {
    return SessionCheck::ok;
  }
  return SessionCheck::password_changed;
}

std::shared_ptr<const UsersFileSource::Accounts> UsersFileSource::accountsOf(auth::UsersFile file) const {
  std::unordered_map<std::string, Fingerprints> by_name;
  for (const auth::UserRecord& user : file.users) {
    by_name[user.name] = Fingerprints{current_.fingerprint(user.name, user.hash),
                                      previous_ ? previous_->fingerprint(user.name, user.hash) : std::string()};
  }
  return std::make_shared<const Accounts>(Accounts{auth::LocalAccounts(std::move(file), params_), std::move(by_name)});
}

UsersFileSource::Stamp UsersFileSource::stampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Stamp{};
  }
  return Stamp{st.st_ino, st.st_size, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::variant<std::shared_ptr<UsersFileSource>, std::string> UsersFileSource::load(const std::string& path,
                                                                                 auth::PasswordHashParams params,
                                                                                 std::string_view current_key,
                                                                                 std::optional<std::string_view> previous_key) {
  const Stamp stamp = stampOf(path);
  auto users = auth::loadUsersFile(path, false);
  if (!users) {
    return joined(users.error());
  }
  std::optional<auth::AccountFingerprinter> previous;
  if (previous_key) {
    previous.emplace(*previous_key);
  }
  std::shared_ptr<UsersFileSource> source(
      new UsersFileSource(path, params, auth::AccountFingerprinter(current_key), std::move(previous)));
  source->accounts_.store(source->accountsOf(std::move(users).value()), std::memory_order_release);
  source->stamp_ = stamp;
  source->next_check_ns_ = steadyNs() + std::chrono::nanoseconds(kCheckInterval).count();
  return source;
}

std::shared_ptr<const UsersFileSource::Accounts> UsersFileSource::current() const {
  return accounts_.load(std::memory_order_acquire);  // every signed-in request: no mutex
}

void UsersFileSource::checkSoon(const std::function<bool(std::function<void()>)>& submit) {
  const std::int64_t now = steadyNs();
  std::int64_t due = next_check_ns_.load(std::memory_order_relaxed);
  if (now < due ||
      !next_check_ns_.compare_exchange_strong(due, now + std::chrono::nanoseconds(kCheckInterval).count())) {
    return;  // not yet, or another thread is checking
  }
  const Stamp stamp = stampOf(path_);
  {
    std::lock_guard lock(mutex_);
    if (stamp == stamp_) {
      return;
    }
  }
  if (reload_queued_.exchange(true)) {
    return;
  }
  if (!submit([self = shared_from_this()] {
        self->reload_queued_ = false;
        self->refreshIfChanged();
      })) {
    reload_queued_ = false;  // the pool is saturated: the next check tries again
  }
}

void UsersFileSource::refreshIfChanged() {
  const Stamp stamp = stampOf(path_);
  {
    std::lock_guard lock(mutex_);
    if (stamp == stamp_) {
      return;
    }
  }
  auto users = auth::loadUsersFile(path_, false);
  if (!users) {
    spdlog::error("auth.users_file changed but cannot be used, keeping the accounts loaded before: {}",
                  joined(users.error()));
    std::lock_guard lock(mutex_);
    stamp_ = stamp;  // do not retry a broken file on every check; its next change will be read
    return;
  }
  auto accounts = accountsOf(std::move(users).value());
  spdlog::info("auth.users_file re-read: {} accounts", accounts->by_name.size());
  std::lock_guard lock(mutex_);
  accounts_.store(std::move(accounts), std::memory_order_release);
  stamp_ = stamp;
}

}  // namespace oh::gateway::signin
