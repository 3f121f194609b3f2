#include "test_peer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "support/child_processes.h"

namespace oh::testing {

std::optional<std::string> runCommand(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return std::nullopt;
  }
  const pid_t pid = spawnProcess(argv, fds[1], fds[1]);
  ::close(fds[1]);
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (readAvailable(fds[0], output, deadline)) {
  }
  ::close(fds[0]);
  if (pid < 0) {
    return std::nullopt;
  }
  const auto status = waitForExit(pid, std::chrono::seconds(120));
  if (!status) {
    terminateProcess(pid, std::chrono::seconds(5));
    return std::nullopt;
  }
  if (exitCodeOf(*status) != 0) {
    return std::nullopt;
  }
  return output;
}

TestServer::TestServer(const std::filesystem::path& script, const std::filesystem::path& cert,
                       const std::filesystem::path& key, const std::vector<std::string>& extra_args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> argv = {"python3", script.string()};
  if (!cert.empty()) {
    argv.insert(argv.end(), {"--cert", cert.string(), "--key", key.string()});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  pid_ = spawnProcess(argv, fds[1], fds[1]);
  ::close(fds[1]);
  stdout_fd_ = fds[0];
  if (pid_ < 0) {
    throw std::runtime_error("cannot start python3");
  }
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (output.find('\n') == std::string::npos && readAvailable(stdout_fd_, output, deadline)) {
  }
  unsigned port = 0;
  if (std::sscanf(output.c_str(), "port %u", &port) != 1 || port == 0 || port > 65535) {
    throw std::runtime_error("test server did not start: " + output);
  }
  port_ = static_cast<std::uint16_t>(port);
}

TestServer::~TestServer() {
  terminateProcess(pid_, std::chrono::seconds(5));
  if (stdout_fd_ >= 0) {
    ::close(stdout_fd_);
  }
}

SilentListener::SilentListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot listen");
  }
  port_ = ntohs(address.sin_port);
}

SilentListener::~SilentListener() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::uint16_t closedPort() {
  const std::uint16_t port = SilentListener().port();
  return port;
}

}  // namespace oh::testing
