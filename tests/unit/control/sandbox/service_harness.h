#pragma once
// A sandbox service over the in-memory store and backend (tests/unit/control/support), with a
// workspace root in a temporary directory and settings small enough to exercise the limits,
// retries and resyncs quickly.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/random_source.h"
#include "common/wall_clock.h"
#include "fake_sandbox_store.h"
#include "fake_workload_backend.h"
#include "sandbox/sandbox_service.h"

namespace oh::control::testing {

inline const std::string kOwnerA = "0123456789abcdef0123456789abcdef";
inline const std::string kOwnerB = "fedcba9876543210fedcba9876543210";
inline const std::string kImage = "ghcr.io/openhands/agent-server:1.20.1-python";
inline const std::string kSealKey(32, 'k');

class FixedClock final : public common::WallClock {
public:
  common::UnixSeconds now() const override { return common::UnixSeconds(std::chrono::seconds(1'800'000'000)); }
};

// What OpenHands 1.7.0 sends to /start (remote_sandbox_service.py:482-492 with the default
// spec of remote_sandbox_spec_service.py:21-37 and the worker ports of :284-285).
inline StartRequest openHandsStart(const std::string& id) {
  StartRequest request;
  request.session_id = id;
  request.spec.image = kImage;
  request.spec.command = {"/usr/local/bin/openhands-agent-server", "--port", "60000"};
  request.spec.working_dir = "/workspace";
  request.spec.environment = {
      {"OPENVSCODE_SERVER_ROOT", "/openhands/.openvscode-server"},
      {"LOG_JSON", "true"},
      {"OH_ENABLE_VNC", "0"},
      {"OH_CONVERSATIONS_PATH", "/workspace/conversations"},
      {"OH_BASH_EVENTS_DIR", "/workspace/bash_events"},
      {"OH_VSCODE_PORT", "60001"},
      {"WORKER_1", "12000"},
      {"WORKER_2", "12001"},
  };
  request.spec.resource_factor = 1;
  request.spec.run_as_user = 10001;
  request.spec.run_as_group = 10001;
  request.spec.fs_group = 10001;
  return request;
}

// Polls for up to 20 s (a deadline for a hung test, not a timing assertion).
inline bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

class ServiceHarness {
public:
  ServiceHarness() {
    root_ = std::filesystem::temp_directory_path() /
            ("oh-sandbox-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::remove_all(root_);
  }
  ~ServiceHarness() {
    service.reset();
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  SandboxServiceSettings settings() const {
    SandboxServiceSettings s;
    s.allowed_images = {kImage};
    s.workspace_root = (root_ / "workspaces").string();
    s.runtime_suffix = "runtime.example.com";
    s.limits = WorkloadLimits{.cpus = 2, .memory_bytes = 4ull << 30, .pids = 1024};
    s.max_running_per_user = 3;
    s.max_sandboxes_per_user = 5;
    s.seal_key = kSealKey;
    s.reconcile_workers = 2;
    s.resync_interval = std::chrono::milliseconds(50);
    s.retry_initial = std::chrono::milliseconds(5);
    s.retry_max = std::chrono::milliseconds(20);
    return s;
  }

  SandboxService& startService(std::optional<SandboxServiceSettings> custom = std::nullopt) {
    service = std::make_unique<SandboxService>(custom ? *custom : settings(), store, backend, clock, random);
    service->start();
    return *service;
  }
  // A gateway restart: a new service over the same store and backend.
  SandboxService& restartService() {
    service.reset();
    return startService();
  }

  std::string status(const std::string& owner, const std::string& id) {
    auto view = service->get(owner, id);
    return view ? view->status : "http " + std::to_string(view.error().status);
  }
  bool becomes(const std::string& owner, const std::string& id, const std::string& wanted) {
    return eventually([&] { return status(owner, id) == wanted; });
  }
  std::filesystem::path workspaceOf(const std::string& owner, const std::string& id) const {
    return root_ / "workspaces" / owner / id;
  }

  FixedClock clock;
  common::SystemRandomSource random;
  std::shared_ptr<FakeSandboxStore> store = std::make_shared<FakeSandboxStore>();
  std::shared_ptr<FakeWorkloadBackend> backend = std::make_shared<FakeWorkloadBackend>();
  std::unique_ptr<SandboxService> service;

private:
  static int& counter() {
    static int value = 0;
    return value;
  }
  std::filesystem::path root_;
};

}  // namespace oh::control::testing
