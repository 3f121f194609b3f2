#pragma once
// Test doubles for routing to users' app servers: an AppServerDirectory whose views the test
// sets and which counts every call, and a sandbox route source over fixed routes.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "appserver/app_server_directory.h"
#include "sandbox/sandbox_routes.h"

namespace oh::gateway::testing {

class FakeAppServers final : public control::AppServerDirectory {
public:
  void set(const std::string& user_key, control::AppServerView view) {
    std::lock_guard lock(mutex_);
    views_[user_key] = std::move(view);
  }
  void setReady(const std::string& user_key, std::string address, std::uint16_t port) {
    control::AppServerView view;
    view.phase = control::AppServerPhase::ready;
    view.address = std::move(address);
    view.port = port;
    set(user_key, std::move(view));
  }

  control::AppServerView ensure(std::string_view user_key) override {
    std::lock_guard lock(mutex_);
    ensured_.emplace_back(user_key);
    return viewOf(user_key);
  }
  control::AppServerView peek(std::string_view user_key) const override {
    std::lock_guard lock(mutex_);
    ++peeks_;
    return viewOf(user_key);
  }
  void touch(std::string_view user_key) override {
    std::lock_guard lock(mutex_);
    ++touches_[std::string(user_key)];
  }
  void connectionOpened(std::string_view user_key) override {
    std::lock_guard lock(mutex_);
    ++opened_[std::string(user_key)];
  }
  void connectionClosed(std::string_view user_key) override {
    std::lock_guard lock(mutex_);
    ++closed_[std::string(user_key)];
  }

  std::vector<std::string> ensured() const {
    std::lock_guard lock(mutex_);
    return ensured_;
  }
  int peeks() const {
    std::lock_guard lock(mutex_);
    return peeks_;
  }
  int touches(const std::string& user_key) const { return countOf(touches_, user_key); }
  int opened(const std::string& user_key) const { return countOf(opened_, user_key); }
  int closed(const std::string& user_key) const { return countOf(closed_, user_key); }

private:
  // Unknown users are stopped (a start is "queued": the view says pulling).
  control::AppServerView viewOf(std::string_view user_key) const {
    auto it = views_.find(std::string(user_key));
    if (it != views_.end()) {
      return it->second;
    }
    control::AppServerView pulling;
    pulling.phase = control::AppServerPhase::pulling;
    return pulling;
  }
  int countOf(const std::map<std::string, int>& counts, const std::string& user_key) const {
    std::lock_guard lock(mutex_);
    auto it = counts.find(user_key);
    return it == counts.end() ? 0 : it->second;
  }

  mutable std::mutex mutex_;
  std::map<std::string, control::AppServerView> views_;
  std::vector<std::string> ensured_;
  mutable int peeks_ = 0;
  std::map<std::string, int> touches_, opened_, closed_;
};

class FixedSandboxRoutes final : public control::SandboxRouteSource {
public:
  explicit FixedSandboxRoutes(std::vector<control::SandboxRoutePtr> routes)
      : routes_(std::make_shared<const control::SandboxRoutes>(std::move(routes),
                                                               std::unordered_map<std::string, std::string>{})) {}
  control::SandboxRoutesPtr routes() const override { return routes_; }
  void noteConversation(std::string_view, std::string_view) override {}

private:
  control::SandboxRoutesPtr routes_;
};

}  // namespace oh::gateway::testing
