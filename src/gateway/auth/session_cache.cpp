#include "auth/session_cache.h"

#include <algorithm>
#include <functional>

namespace oh::gateway::auth {

SessionCache::SessionCache(std::size_t max_entries) : max_per_shard_(std::max<std::size_t>(1, max_entries / 16)) {}

namespace {

std::string cacheKey(std::string_view purpose, std::string_view cookie_value) {
  std::string key;
  key.reserve(purpose.size() + 1 + cookie_value.size());
  key += purpose;
  key += '\n';
  key += cookie_value;
  return key;
}

}  // namespace

SessionCache::Shard& SessionCache::shardFor(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % shards_.size()];
}

SessionPtr SessionCache::find(std::string_view purpose, std::string_view cookie_value, std::chrono::sys_seconds now) {
  const std::string key = cacheKey(purpose, cookie_value);
  Shard& shard = shardFor(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.entries.find(key);
  if (it == shard.entries.end()) {
    return nullptr;
  }
  if (renewalDecision(*it->second, now) != SessionState::valid) {
    shard.entries.erase(it);
    return nullptr;
  }
  return it->second;
}

void SessionCache::insert(std::string_view purpose, std::string_view cookie_value, SessionPtr session) {
  std::string key = cacheKey(purpose, cookie_value);
  Shard& shard = shardFor(key);
  std::lock_guard lock(shard.mutex);
  if (shard.entries.size() >= max_per_shard_ && shard.entries.find(key) == shard.entries.end()) {
    shard.entries.erase(shard.entries.begin());
  }
  shard.entries.insert_or_assign(std::move(key), std::move(session));
}

void SessionCache::clear() {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    s.entries.clear();
  }
}

std::size_t SessionCache::size() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.entries.size();
  }
  return n;
}

Result<SessionPtr> openSessionCached(const SealedBox& box, SessionCache& cache, std::string_view cookie_value,
                                     std::chrono::sys_seconds now, std::string_view purpose) {
  if (SessionPtr hit = cache.find(purpose, cookie_value, now)) {
    return hit;
  }
  auto opened = openSession(box, cookie_value, now, purpose);
  if (!opened) {
    return fail(opened.error());
  }
  auto session = std::make_shared<const Session>(std::move(opened).value());
  if (renewalDecision(*session, now) == SessionState::valid) {
    cache.insert(purpose, cookie_value, session);
  }
  return SessionPtr(session);
}

}  // namespace oh::gateway::auth
