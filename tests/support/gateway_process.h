#pragma once
// GatewayProcess: runs the real oh-gateway binary for a test. It writes the TOML configuration
// into a private temporary directory, starts the binary with posix_spawn, waits for its ready
// line ("oh-gateway listening on ADDR:PORT admin ADDR:PORT"), keeps every stdout/stderr line,
// signals it (SIGHUP, SIGTERM) and stops it by PID: SIGTERM, then SIGKILL after a grace period.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace oh::testing {

struct ExitStatus {
  bool exited = false;    // normal exit; code is valid
  int code = 0;
  bool signaled = false;  // killed by signal
  int signal = 0;
  std::string describe() const;
};

struct MemoryUsage {
  std::uint64_t rss_kb = 0;  // VmRSS
  std::uint64_t hwm_kb = 0;  // VmHWM: peak resident set since start
};
std::optional<MemoryUsage> readMemoryUsage(pid_t pid);

class GatewayProcess {
public:
  // binary: path of oh-gateway. An empty path means "not built": start() then fails.
  explicit GatewayProcess(std::string binary);
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  // The binary the tests run: $OH_GATEWAY_BINARY if set, else the path CMake compiled in
  // (OH_GATEWAY_BINARY_DEFAULT), else "".
  static std::string defaultBinary();

  const std::filesystem::path& dir() const { return dir_; }
  // Writes a file (mode 0600) into dir() and returns its absolute path.
  std::filesystem::path writeFile(const std::string& name, std::string_view content) const;

  // Writes config.toml and starts the gateway; returns an error description (with the
  // process's output) when it exits or does not print the ready line within the timeout.
  std::optional<std::string> start(std::string_view toml,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Runs `oh-gateway ARGS...` to completion (e.g. check-config) and returns its exit and output.
  std::pair<ExitStatus, std::string> runToCompletion(const std::vector<std::string>& args,
                                                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

  pid_t pid() const { return pid_; }
  bool running();
  std::uint16_t port() const { return port_; }
  std::uint16_t adminPort() const { return admin_port_; }

  bool signal(int signal_number) const;
  // Waits for the process to exit on its own.
  std::optional<ExitStatus> waitForExit(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to grace, then SIGKILL.
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(15));

  std::optional<MemoryUsage> memory() const { return readMemoryUsage(pid_); }

  std::vector<std::string> stdoutLines() const;
  std::string stdoutText() const;
  std::string stderrText() const;
  // Waits until some stdout line satisfies the predicate.
  bool waitForStdout(const std::function<bool(std::string_view)>& predicate,
                     std::chrono::milliseconds timeout) const;

private:
  void readLines(int fd, bool is_stdout);
  void joinReaders();

  std::string binary_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_status_;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> stdout_lines_;
  std::string stderr_text_;
  std::vector<std::thread> readers_;
};

// Parses "oh-gateway listening on ADDR:PORT admin ADDR:PORT" (admin part optional).
bool parseListeningLine(std::string_view line, std::uint16_t& port, std::uint16_t& admin_port);

}  // namespace oh::testing
