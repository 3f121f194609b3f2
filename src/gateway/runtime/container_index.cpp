#include "runtime/container_index.h"

#include <utility>

#include "runtime/runtime_address.h"

namespace oh::gateway {
namespace {

// Higher wins: a running container over a stopped one (OpenHands may leave an exited sandbox
// beside the resumed one), then a conversation label over a name.
int rank(const ContainerRecord& record, bool from_label) {
  return (record.running() ? 2 : 0) + (from_label ? 1 : 0);
}

}  // namespace

std::string conversationKeyFromName(std::string_view name) {
  for (std::string_view prefix : {kAgentServerNamePrefix, kLegacyRuntimeNamePrefix}) {
    if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix) {
      return normaliseConversationId(name.substr(prefix.size()));
    }
  }
  return {};
}

ContainerIndex::ContainerIndex(std::vector<ContainerRecordPtr> containers) : all_(std::move(containers)) {
  build();
}

void ContainerIndex::build() {
  by_id_.clear();
  by_key_.clear();
  by_id_.reserve(all_.size());
  struct Best {
    ContainerRecordPtr record;
    int rank = -1;
    bool ambiguous = false;
  };
  std::unordered_map<std::string, Best> best;
  best.reserve(all_.size());
  const auto offer = [&best](const std::string& key, const ContainerRecordPtr& record, bool from_label) {
    if (key.empty()) {
      return;
    }
    Best& slot = best[key];
    const int r = rank(*record, from_label);
    if (r > slot.rank) {
      slot = Best{record, r, false};
    } else if (r == slot.rank && slot.record != record) {
      slot.ambiguous = true;
    }
  };
  for (const ContainerRecordPtr& record : all_) {
    if (!record) {
      continue;
    }
    by_id_[record->id] = record;
    offer(record->conversation_id, record, true);
    offer(record->name_id, record, false);
  }
  by_key_.reserve(best.size());
  for (auto& [key, slot] : best) {
    if (!slot.ambiguous) {
      by_key_.emplace(key, std::move(slot.record));
    }
  }
  // Only a running container holds its published ports; two claiming one port (a stale
  // listing) make it unroutable rather than routed to the wrong sandbox.
  by_host_port_.clear();
  std::unordered_map<std::uint16_t, bool> ambiguous_port;
  for (const ContainerRecordPtr& record : all_) {
    if (!record || !record->running()) {
      continue;
    }
    for (const PortMapping& mapping : record->ports) {
      if (mapping.host_port == 0) {
        continue;
      }
      const auto [it, inserted] = by_host_port_.emplace(mapping.host_port, record);
      if (!inserted && it->second != record) {
        ambiguous_port[mapping.host_port] = true;
      }
    }
  }
  for (const auto& [port, unused] : ambiguous_port) {
    by_host_port_.erase(port);
  }
}

const ContainerRecord* ContainerIndex::findByHostPort(std::uint16_t host_port) const {
  const auto it = by_host_port_.find(host_port);
  return it == by_host_port_.end() ? nullptr : it->second.get();
}

const ContainerRecord* ContainerIndex::find(std::string_view conversation_id) const {
  const auto it = by_key_.find(conversation_id);
  return it == by_key_.end() ? nullptr : it->second.get();
}

std::shared_ptr<const ContainerIndex> ContainerIndex::with(std::string_view container_id,
                                                           ContainerRecordPtr record) const {
  std::vector<ContainerRecordPtr> next;
  next.reserve(all_.size() + 1);
  for (const ContainerRecordPtr& existing : all_) {
    if (existing && existing->id != container_id) {
      next.push_back(existing);
    }
  }
  if (record) {
    next.push_back(std::move(record));
  }
  return std::make_shared<const ContainerIndex>(std::move(next));
}

}  // namespace oh::gateway
