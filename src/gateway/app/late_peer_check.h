#pragma once
// The sandbox API listener's peer check, bound after the listener starts: the app-server pool
// that knows the app servers' addresses is built after the sandbox API (it is given the API's
// address). Until bound, and when never bound (no [appserver]), only loopback peers are
// admitted (SandboxApiServerOptions::app_server_user). Thread-safe: bind() once from the main
// thread, the predicate from the listener's threads.

#include <atomic>
#include <memory>
#include <string_view>

#include "http/sandbox_api_server.h"

namespace oh::gateway {

class LatePeerCheck : public std::enable_shared_from_this<LatePeerCheck> {
public:
  // What the listener is given; it keeps this object alive.
  AppServerUserLookup lookup() {
    return [self = shared_from_this()](std::string_view ip) -> std::optional<std::string> {
      const auto check = self->check_.load();
      return check ? (*check)(ip) : std::nullopt;
    };
  }

  void bind(AppServerUserLookup check) {
    check_.store(std::make_shared<const AppServerUserLookup>(std::move(check)));
  }

private:
  std::atomic<std::shared_ptr<const AppServerUserLookup>> check_;
};

}  // namespace oh::gateway
