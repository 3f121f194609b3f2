#pragma once
// An in-memory SandboxStore for the service's unit tests: the interface's rules (ids unique in
// any case, compare-and-set on revision, conversation links) and injectable failures (the
// store down, a compare-and-set lost to "another writer").

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "store/sandbox_store.h"

namespace oh::control::testing {

class FakeSandboxStore final : public SandboxStore {
public:
  Result<bool> insert(const SandboxRecord& record) override;
  Result<std::optional<SandboxRecord>> get(std::string_view id) override;
  Result<std::vector<SandboxRecord>> list(std::optional<std::string_view> owner) override;
  Result<bool> update(const SandboxRecord& record) override;
  Result<bool> remove(std::string_view id) override;
  Result<Done> linkConversation(std::string_view sandbox_id, std::string_view conversation_id) override;
  Result<std::size_t> countByOwner(std::string_view owner) override;

  // Every call fails (a database that cannot be reached) while set.
  void setUnavailable(bool unavailable) { unavailable_ = unavailable; }
  // The next n updates answer false as if another writer had got there first (nothing written).
  void loseNextUpdates(int n) { lose_updates_ = n; }

  // Direct access for assertions and for setting up a state (bypasses failures).
  std::optional<SandboxRecord> peek(const std::string& id) const;
  void put(const SandboxRecord& record);
  std::size_t size() const;
  int updates() const { return updates_; }

private:
  mutable std::mutex mutex_;
  std::map<std::string, SandboxRecord> records_;           // by exact id
  std::map<std::string, std::string> conversations_;       // conversation -> sandbox id
  std::atomic<bool> unavailable_{false};
  std::atomic<int> lose_updates_{0};
  std::atomic<int> updates_{0};
};

}  // namespace oh::control::testing
