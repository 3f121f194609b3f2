#include "fake_sandbox_store.h"

#include <algorithm>

#include "common/text.h"

namespace oh::control::testing {
namespace {

Failure down() { return Failure{"fake store: unavailable"}; }

}  // namespace

Result<bool> FakeSandboxStore::insert(const SandboxRecord& record) {
  if (unavailable_) {
    return common::fail(down());
  }
  std::lock_guard lock(mutex_);
  for (const auto& [id, existing] : records_) {
    if (common::equalsIgnoreCase(id, record.id)) {
      return false;
    }
  }
  SandboxRecord stored = record;
  stored.revision = 1;
  stored.conversation_ids.clear();
  records_.emplace(record.id, std::move(stored));
  return true;
}

Result<std::optional<SandboxRecord>> FakeSandboxStore::get(std::string_view id) {
  if (unavailable_) {
    return common::fail(down());
  }
  return peek(std::string(id));
}

Result<std::vector<SandboxRecord>> FakeSandboxStore::list(std::optional<std::string_view> owner) {
  if (unavailable_) {
    return common::fail(down());
  }
  std::vector<SandboxRecord> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, record] : records_) {
      if (!owner || record.owner == *owner) {
        out.push_back(record);
      }
    }
  }
  for (auto& record : out) {
    record = *peek(record.id);  // with conversation ids
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
  return out;
}

Result<bool> FakeSandboxStore::update(const SandboxRecord& record) {
  if (unavailable_) {
    return common::fail(down());
  }
  if (lose_updates_ > 0) {
    --lose_updates_;
    return false;
  }
  std::lock_guard lock(mutex_);
  auto it = records_.find(record.id);
  if (it == records_.end() || it->second.revision != record.revision) {
    return false;
  }
  SandboxRecord stored = record;
  stored.revision = record.revision + 1;
  stored.created_at = it->second.created_at;
  stored.conversation_ids.clear();
  it->second = std::move(stored);
  ++updates_;
  return true;
}

Result<bool> FakeSandboxStore::remove(std::string_view id) {
  if (unavailable_) {
    return common::fail(down());
  }
  std::lock_guard lock(mutex_);
  std::erase_if(conversations_, [&](const auto& link) { return link.second == id; });
  return records_.erase(std::string(id)) != 0;
}

Result<Done> FakeSandboxStore::linkConversation(std::string_view sandbox_id, std::string_view conversation_id) {
  if (unavailable_) {
    return common::fail(down());
  }
  std::lock_guard lock(mutex_);
  if (records_.count(std::string(sandbox_id)) == 0) {
    return common::fail(Failure{"fake store: unknown sandbox"});
  }
  conversations_.insert_or_assign(std::string(conversation_id), std::string(sandbox_id));
  return Done{};
}

Result<std::size_t> FakeSandboxStore::countByOwner(std::string_view owner) {
  if (unavailable_) {
    return common::fail(down());
  }
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(records_.begin(), records_.end(), [&](const auto& entry) { return entry.second.owner == owner; }));
}

std::optional<SandboxRecord> FakeSandboxStore::peek(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = records_.find(id);
  if (it == records_.end()) {
    return std::nullopt;
  }
  SandboxRecord record = it->second;
  for (const auto& [conversation, sandbox] : conversations_) {
    if (sandbox == id) {
      record.conversation_ids.push_back(conversation);
    }
  }
  return record;
}

void FakeSandboxStore::put(const SandboxRecord& record) {
  std::lock_guard lock(mutex_);
  records_.insert_or_assign(record.id, record);
}

std::size_t FakeSandboxStore::size() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

}  // namespace oh::control::testing
