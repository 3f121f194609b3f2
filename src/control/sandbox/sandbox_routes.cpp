#include "sandbox/sandbox_routes.h"

#include <utility>

#include "common/text.h"

namespace oh::control {

SandboxRoutes::SandboxRoutes(std::vector<SandboxRoutePtr> routes,
                             const std::unordered_map<std::string, std::string>& conversations)
    : routes_(std::move(routes)) {
  // A key two sandboxes claim maps to nullptr: a host that could mean either reaches neither.
  const auto claim = [this](std::string key, const SandboxRoutePtr& route) {
    auto [it, inserted] = by_key_.try_emplace(std::move(key), route);
    if (!inserted && it->second != route) {
      it->second = nullptr;
    }
  };
  std::unordered_map<std::string, SandboxRoutePtr> by_exact_id;
  by_exact_id.reserve(routes_.size());
  by_key_.reserve(routes_.size() + conversations.size());
  for (const auto& route : routes_) {
    by_exact_id.emplace(route->sandbox_id, route);
    claim(common::lowercaseAscii(route->sandbox_id), route);
    if (!route->session_key_sha256.empty()) {
      auto [it, inserted] = by_session_key_.try_emplace(route->session_key_sha256, route);
      if (!inserted) {
        it->second = nullptr;
      }
    }
  }
  for (const auto& [conversation, sandbox_id] : conversations) {
    auto it = by_exact_id.find(sandbox_id);
    if (it != by_exact_id.end()) {
      claim(common::lowercaseAscii(conversation), it->second);
    }
  }
}

const SandboxRoute* SandboxRoutes::find(std::string_view lowercase_id) const {
  auto it = by_key_.find(lowercase_id);
  return it == by_key_.end() ? nullptr : it->second.get();
}

const SandboxRoute* SandboxRoutes::findBySessionKeyHash(std::string_view sha256) const {
  auto it = by_session_key_.find(sha256);
  return it == by_session_key_.end() ? nullptr : it->second.get();
}

}  // namespace oh::control
