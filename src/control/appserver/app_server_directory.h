#pragma once
// The one thing the data plane asks about users' OpenHands app servers (issue 14, DESIGN.md
// section 6): one stock app-server container per signed-in user, started on demand, culled
// when idle, adopted after a gateway restart. The control plane's pool (app_server_pool.h)
// implements it; the gateway's gate holds one and never sees Docker, the store or the spec.
//
// Every call is made on data-plane worker threads for every main-site request, so none may
// block: a start runs on the pool's own threads and the caller reads its progress.
//
//   auto view = directory.ensure(userKey);      // starts the server when none runs
//   if (view.phase == AppServerPhase::ready)    // forward to view.address:view.port
//   else                                        // start page (browser) or 503 + Retry-After

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace oh::control {

// Where a user's server is on its way up; the start page shows these in order.
enum class AppServerPhase {
  stopped,     // no container running (never started, culled, or stopped by an operator)
  pulling,     // the pinned image is being pulled
  creating,    // the user's network, directories, database and container are being created
  starting,    // the container is starting
  waiting,     // running; waiting for its health endpoint to answer
  ready,       // healthy: forward to address:port
  failed,      // the last start failed: `detail` says why (no secrets); the log has more
  at_capacity, // not started: the maximum of running servers is reached and none is idle
};

// "stopped", "pulling", … for the start page and JSON.
constexpr std::string_view phaseName(AppServerPhase phase) {
  switch (phase) {
    case AppServerPhase::stopped: return "stopped";
    case AppServerPhase::pulling: return "pulling";
    case AppServerPhase::creating: return "creating";
    case AppServerPhase::starting: return "starting";
    case AppServerPhase::waiting: return "waiting";
    case AppServerPhase::ready: return "ready";
    case AppServerPhase::failed: return "failed";
    case AppServerPhase::at_capacity: return "at_capacity";
  }
  return "unknown";
}

struct AppServerView {
  AppServerPhase phase = AppServerPhase::stopped;
  std::string address;          // the container's IP while ready, else ""
  std::uint16_t port = 0;       // the app server's port while ready, else 0
  std::string detail;           // progress or failure, for the start page (no secrets, no paths)
  std::chrono::system_clock::time_point phase_since{};  // when this phase began
};

class AppServerDirectory {
public:
  virtual ~AppServerDirectory() = default;

  // The user's server as it is now. When none runs (stopped, or failed longer ago than the
  // retry delay) a start is queued, unless at capacity with no idle server to cull. Counts as
  // activity. `user_key` is control::userKeyForSubject(identity.sub) (user_key.h).
  virtual AppServerView ensure(std::string_view user_key) = 0;

  // The same without starting anything or counting activity (status polls, operators).
  virtual AppServerView peek(std::string_view user_key) const = 0;

  // A request was relayed to the user's server: it is not idle.
  virtual void touch(std::string_view user_key) = 0;

  // A WebSocket (or any long-lived relay) to the user's server opened or closed: a server with
  // one open is never culled. Every opened() is followed by exactly one closed().
  virtual void connectionOpened(std::string_view user_key) = 0;
  virtual void connectionClosed(std::string_view user_key) = 0;
};

using AppServerDirectoryPtr = std::shared_ptr<AppServerDirectory>;

}  // namespace oh::control
