#pragma once
// An app-server pool over the in-memory backend (tests/unit/control/support), a clock the test
// moves, a health probe the test answers and in-memory user databases; settings small enough to
// exercise phases, retries, culling and capacity without waiting.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "appserver/app_server_pool.h"
#include "common/wall_clock.h"
#include "fake_workload_backend.h"

namespace oh::control::testing {

inline const std::string kUserA = "0123456789abcdef0123456789abcdef";
inline const std::string kUserB = "fedcba9876543210fedcba9876543210";
inline const std::string kUserC = "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb";
inline const std::string kUserD = "ccccccccccccccccdddddddddddddddd";

class MovableClock final : public common::WallClock {
public:
  common::UnixSeconds now() const override { return common::UnixSeconds(std::chrono::seconds(seconds_.load())); }
  void advance(std::chrono::seconds by) { seconds_ += by.count(); }

private:
  std::atomic<std::int64_t> seconds_{1'800'000'000};
};

class AnsweringProbe final : public HealthProbe {
public:
  bool healthy(std::string_view address, std::uint16_t, std::string_view path, std::chrono::milliseconds) override {
    ++calls;
    const std::lock_guard lock(mutex);
    last_address = std::string(address);
    last_path = std::string(path);
    return answer.load();
  }
  std::atomic<bool> answer{true};
  std::atomic<int> calls{0};
  std::mutex mutex;
  std::string last_address, last_path;
};

class MemoryDatabases final : public UserDatabases {
public:
  common::Result<DatabaseLogin> ensure(std::string_view user_key) override {
    const std::lock_guard lock(mutex);
    ++ensures;
    if (!refuse.empty()) {
      return common::failure(refuse);
    }
    existing[std::string(user_key)] = true;
    return DatabaseLogin{"oh_user_" + std::string(user_key), "oh_user_" + std::string(user_key), "pw-" + std::string(user_key)};
  }
  common::Result<DatabaseDone> drop(std::string_view user_key) override {
    const std::lock_guard lock(mutex);
    existing.erase(std::string(user_key));
    return DatabaseDone{};
  }
  bool exists(const std::string& user_key) {
    const std::lock_guard lock(mutex);
    return existing.contains(user_key);
  }
  std::mutex mutex;
  std::map<std::string, bool> existing;
  int ensures = 0;
  std::string refuse;
};

// Polls for up to 20 s (a deadline for a hung test, not a timing assertion).
inline bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return condition();
}

class TemporaryDirectory {
public:
  TemporaryDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "oh-appserver-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

inline AppServerPoolSettings testSettings(const std::string& data_root) {
  AppServerPoolSettings settings;
  settings.image = "docker.openhands.dev/openhands/openhands:1.7.0";
  settings.openhands_version = "1.7.0";
  settings.data_root = data_root;
  settings.managed_label_value = "appserver-unit";
  settings.sandbox_api_url = "http://10.89.0.1:8090";
  settings.web_url = "https://openhands.example.com";
  settings.secret_key = std::string(32, 'j');
  settings.sandbox_key_secret = std::string(32, 's');
  settings.llm_environment = {{"LLM_MODEL", "bedrock/anthropic.claude"}, {"AWS_REGION_NAME", "us-east-1"}};
  settings.max_running = 2;
  settings.idle_timeout = std::chrono::seconds(600);
  settings.capacity_idle_after = std::chrono::seconds(60);
  settings.start_timeout = std::chrono::seconds(120);
  settings.retry_delay = std::chrono::seconds(30);
  settings.health_poll_interval = std::chrono::milliseconds(1);
  settings.housekeeping_interval = std::chrono::hours(1);  // the tests call housekeep()
  return settings;
}

}  // namespace oh::control::testing
