#include "credentials/credential_cache.h"

namespace oh::gateway::credentials {

using control::aws::AwsCredentials;

CredentialCache::CredentialCache(Fetch fetch, const common::WallClock& clock, Options options)
    : fetch_(std::move(fetch)), clock_(clock), options_(options) {}

bool CredentialCache::fresh(const AwsCredentials& credentials, common::UnixSeconds now) const {
  return !credentials.expiration || now + options_.refresh_before_expiry < *credentials.expiration;
}

bool CredentialCache::valid(const AwsCredentials& credentials, common::UnixSeconds now) {
  return !credentials.expiration || now < *credentials.expiration;
}

void CredentialCache::get(const std::string& key, CredentialsDone done) {
  const common::UnixSeconds now = clock_.now();
  std::optional<CredentialsResult> answer;  // set when the cache answers without a fetch
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      dropExpiredLocked(now);
      it = entries_.try_emplace(key).first;
    }
    Entry& entry = it->second;
    if (!entry.waiting.empty()) {
      ++joined_;
      entry.waiting.push_back(std::move(done));
      return;
    }
    if (entry.credentials && fresh(*entry.credentials, now)) {
      ++hits_;
      answer.emplace(*entry.credentials);
    } else if (entry.failed_at && now < *entry.failed_at + options_.failure_hold) {
      answer.emplace(common::failure(entry.failure));
    } else {
      entry.waiting.push_back(std::move(done));
    }
  }
  if (answer) {
    done(std::move(*answer));
    return;
  }
  ++fetches_;
  fetch_(key, [this, key](CredentialsResult result) { finish(key, std::move(result)); });
}

void CredentialCache::finish(const std::string& key, CredentialsResult result) {
  const common::UnixSeconds now = clock_.now();
  std::vector<CredentialsDone> waiting;
  {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[key];
    waiting.swap(entry.waiting);
    if (result) {
      entry.credentials = *result;
      entry.failed_at.reset();
    } else {
      ++failures_;
      entry.failed_at = now;
      entry.failure = result.error().reason;
      if (entry.credentials && valid(*entry.credentials, now)) {
        ++stale_;
        result = *entry.credentials;  // still valid: better than an error
      }
    }
  }
  for (auto& done : waiting) {
    done(result);
  }
}

void CredentialCache::dropExpiredLocked(common::UnixSeconds now) {
  if (entries_.size() < options_.max_keys) {
    return;
  }
  std::erase_if(entries_, [now](const auto& item) {
    const Entry& entry = item.second;
    return entry.waiting.empty() && (!entry.credentials || !valid(*entry.credentials, now));
  });
}

CredentialCache::Stats CredentialCache::stats() const {
  return Stats{hits_.load(), fetches_.load(), failures_.load(), joined_.load(), stale_.load()};
}

}  // namespace oh::gateway::credentials
