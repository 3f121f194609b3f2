#pragma once
// Starting, waiting for and stopping the helper processes integration tests run (test peers,
// oidc-provider, podman, oh-gateway): one copy of the spawn, the bounded wait and the stop by
// PID (SIGTERM, then SIGKILL after a grace period) that several fixtures needed. Header-only and
// POSIX-only, so fixtures in any test target can use it without another library.

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace oh::testing {

// Starts argv (argv[0] is looked up in PATH unless it holds a '/') with stdout_fd and stderr_fd
// as its standard output and error (-1: inherited). The descriptors stay open in the caller.
// Returns the child's PID, or -1 when it could not start.
inline pid_t spawnProcess(const std::vector<std::string>& argv, int stdout_fd = -1, int stderr_fd = -1) {
  if (argv.empty()) {
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  }
  if (stderr_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, STDERR_FILENO);
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// Waits up to timeout for pid to exit and reaps it. Its wait status, or nullopt while it still
// runs (or when pid is not a child of ours).
inline std::optional<int> waitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  if (pid <= 0) {
    return std::nullopt;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return status;
    }
    if (done < 0 || std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Stops pid by its PID: SIGTERM, up to grace to exit, then SIGKILL; reaps it either way. Its
// wait status (or nullopt when it could not be reaped, e.g. not our child).
inline std::optional<int> terminateProcess(pid_t pid, std::chrono::milliseconds grace) {
  if (pid <= 0) {
    return std::nullopt;
  }
  ::kill(pid, SIGTERM);
  if (auto status = waitForExit(pid, grace)) {
    return status;
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  return ::waitpid(pid, &status, 0) == pid ? std::optional<int>(status) : std::nullopt;
}

// The exit code in a wait status; -1 when the process was killed by a signal.
inline int exitCodeOf(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// Reads what arrives on fd before the deadline and appends it to into. False at end of file,
// on error or at the deadline.
inline bool readAvailable(int fd, std::string& into, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) {
    return false;
  }
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
    return false;
  }
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n <= 0) {
    return false;
  }
  into.append(buffer, static_cast<std::size_t>(n));
  return true;
}

}  // namespace oh::testing
