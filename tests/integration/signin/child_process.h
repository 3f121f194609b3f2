#pragma once
// A child process for the sign-in integration tests (the oidc-provider test provider, the
// headless login script, the PKI script): started with posix_spawnp, stdout read line by line
// with a timeout, stopped by its PID (SIGTERM, then SIGKILL).

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace oh::testing {

class ChildProcess {
public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // argv[0] is looked up in PATH. stderr goes to stderr_file ("" = inherited).
  bool start(const std::vector<std::string>& argv, const std::string& stderr_file = "");
  // The next stdout line, or nullopt on timeout or end of output.
  std::optional<std::string> readLine(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to grace, then SIGKILL. Returns the exit code (-1 when signalled).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Waits for the exit on its own; nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

  // Runs to completion and returns (exit code, all of stdout); code -1 on timeout (killed).
  static std::pair<int, std::string> run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
};

}  // namespace oh::testing
