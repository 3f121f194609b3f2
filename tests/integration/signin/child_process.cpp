#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>

#include "support/child_processes.h"

namespace oh::testing {

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::start(const std::vector<std::string>& argv, const std::string& stderr_file) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return false;
  }
  int stderr_fd = -1;
  if (!stderr_file.empty()) {
    stderr_fd = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  pid_ = spawnProcess(argv, pipe_fds[1], stderr_fd);
  if (stderr_fd >= 0) {
    ::close(stderr_fd);
  }
  ::close(pipe_fds[1]);
  if (pid_ < 0) {
    ::close(pipe_fds[0]);
    return false;
  }
  stdout_fd_ = pipe_fds[0];
  return true;
}

std::optional<std::string> ChildProcess::readLine(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const std::size_t nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (stdout_fd_ < 0 || left.count() <= 0) {
      return std::nullopt;
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return std::nullopt;
    }
    char chunk[4096];
    const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) {
      ::close(stdout_fd_);
      stdout_fd_ = -1;
      if (!buffer_.empty()) {
        std::string rest = std::move(buffer_);
        buffer_.clear();
        return rest;
      }
      return std::nullopt;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto status = waitForExit(pid_, timeout);
  if (!status) {
    return std::nullopt;
  }
  pid_ = -1;
  return exitCodeOf(*status);
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  int code = -1;
  if (pid_ > 0) {
    const auto status = terminateProcess(pid_, grace);
    pid_ = -1;
    code = status ? exitCodeOf(*status) : -1;
  }
  if (stdout_fd_ >= 0) {
    ::close(stdout_fd_);
    stdout_fd_ = -1;
  }
  return code;
}

std::pair<int, std::string> ChildProcess::run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  ChildProcess child;
  if (!child.start(argv)) {
    return {-1, "cannot start " + argv.front()};
  }
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (auto line = child.readLine(std::chrono::duration_cast<std::chrono::milliseconds>(
             deadline - std::chrono::steady_clock::now()))) {
    out += *line + "\n";
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  auto code = child.wait(std::max(left, std::chrono::milliseconds(100)));
  if (!code) {
    child.stop();
    return {-1, out};
  }
  return {*code, out};
}

}  // namespace oh::testing
