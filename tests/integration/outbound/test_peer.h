#pragma once
// Processes the outbound integration tests talk to: the PKI script (run to completion) and
// test_server.py (started, its "port N" line awaited, stopped by PID).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oh::testing {

// Runs argv to completion; returns its combined output, or nullopt if it failed.
std::optional<std::string> runCommand(const std::vector<std::string>& argv);

class TestServer {
public:
  // Plain HTTP when cert is empty. Throws std::runtime_error when it does not come up.
  TestServer(const std::filesystem::path& script, const std::filesystem::path& cert,
             const std::filesystem::path& key, const std::vector<std::string>& extra_args = {});
  ~TestServer();  // SIGTERM, then SIGKILL if it lingers; always reaped
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return port_; }

private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
};

// A TCP listener that never accepts: connects succeed (the kernel's backlog) and then nothing
// is ever said, like a peer that hangs in the TLS handshake.
class SilentListener {
public:
  SilentListener();
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  std::uint16_t port() const { return port_; }

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A loopback port nobody listens on (bound, then closed).
std::uint16_t closedPort();

}  // namespace oh::testing
