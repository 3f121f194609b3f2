#include "support/gateway_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "support/child_processes.h"

namespace oh::testing {

namespace {

std::optional<std::uint16_t> portAfterColon(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  std::uint16_t port = 0;
  const auto digits = address.substr(colon + 1);
  if (std::from_chars(digits.data(), digits.data() + digits.size(), port).ec != std::errc{}) {
    return std::nullopt;
  }
  return port;
}

ExitStatus toExitStatus(int status) {
  ExitStatus result;
  if (WIFEXITED(status)) {
    result.exited = true;
    result.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signaled = true;
    result.signal = WTERMSIG(status);
  }
  return result;
}

// The child's environment: ours, with ASan's quarantine made small. A sanitizer build keeps
// freed memory in a 256 MB quarantine by default, which would look like the body being
// buffered when the tests compare the gateway's peak RSS before and after a 200 MB stream.
std::vector<std::string> childEnvironment() {
  std::vector<std::string> environment;
  std::string asan = "ASAN_OPTIONS=";
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view item{*entry};
    if (item.rfind("ASAN_OPTIONS=", 0) == 0) {
      asan = std::string(item) + ":";
      continue;
    }
    environment.emplace_back(item);
  }
  asan += "quarantine_size_mb=8:thread_local_quarantine_size_kb=256";
  environment.push_back(asan);
  return environment;
}

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) {
    return "exited with code " + std::to_string(code);
  }
  if (signaled) {
    return std::string("killed by signal ") + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
  }
  return "unknown";
}

std::optional<MemoryUsage> readMemoryUsage(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  if (!status) {
    return std::nullopt;
  }
  MemoryUsage usage;
  bool found_rss = false;
  bool found_hwm = false;
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string key;
    std::uint64_t value = 0;
    fields >> key >> value;
    if (key == "VmRSS:") {
      usage.rss_kb = value;
      found_rss = true;
    } else if (key == "VmHWM:") {
      usage.hwm_kb = value;
      found_hwm = true;
    }
  }
  if (!found_rss || !found_hwm) {
    return std::nullopt;
  }
  return usage;
}

bool parseListeningLine(std::string_view line, std::uint16_t& port, std::uint16_t& admin_port) {
  static constexpr std::string_view kPrefix = "oh-gateway listening on ";
  const auto start = line.find(kPrefix);
  if (start == std::string_view::npos) {
    return false;
  }
  std::string_view rest = line.substr(start + kPrefix.size());
  const auto space = rest.find(' ');
  const auto main_port = portAfterColon(rest.substr(0, space));
  if (!main_port) {
    return false;
  }
  port = *main_port;
  admin_port = 0;
  static constexpr std::string_view kAdmin = "admin ";
  const auto admin = rest.find(kAdmin);
  if (admin != std::string_view::npos) {
    std::string_view admin_address = rest.substr(admin + kAdmin.size());
    admin_address = admin_address.substr(0, admin_address.find(' '));
    if (const auto parsed = portAfterColon(admin_address)) {
      admin_port = *parsed;
    }
  }
  return true;
}

std::string GatewayProcess::defaultBinary() {
  if (const char* from_env = std::getenv("OH_GATEWAY_BINARY"); from_env != nullptr && *from_env != '\0') {
    return from_env;
  }
#ifdef OH_GATEWAY_BINARY_DEFAULT
  return OH_GATEWAY_BINARY_DEFAULT;
#else
  return "";
#endif
}

GatewayProcess::GatewayProcess(std::string binary) : binary_(std::move(binary)) {
  std::string pattern = (std::filesystem::temp_directory_path() / "oh-gateway-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) != nullptr) {
    dir_ = pattern;
  }
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0 && !exit_status_) {
    stop(std::chrono::seconds(5));
  }
  joinReaders();
  std::error_code ignored;
  if (!dir_.empty()) {
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::filesystem::path GatewayProcess::writeFile(const std::string& name, std::string_view content) const {
  const auto path = dir_ / name;
  const auto temporary = dir_ / (name + ".tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  ::chmod(temporary.c_str(), 0600);
  // rename() makes the new content appear at once, as a secrets agent would do it.
  std::filesystem::rename(temporary, path);
  return path;
}

void GatewayProcess::readLines(int fd, bool is_stdout) {
  std::string pending;
  std::array<char, 16 * 1024> chunk{};
  for (;;) {
    const ssize_t got = ::read(fd, chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      break;
    }
    std::lock_guard lock{mutex_};
    if (!is_stdout) {
      stderr_text_.append(chunk.data(), static_cast<std::size_t>(got));
    } else {
      pending.append(chunk.data(), static_cast<std::size_t>(got));
      std::size_t end = 0;
      while ((end = pending.find('\n')) != std::string::npos) {
        stdout_lines_.push_back(pending.substr(0, end));
        pending.erase(0, end + 1);
      }
    }
    changed_.notify_all();
  }
  std::lock_guard lock{mutex_};
  if (is_stdout && !pending.empty()) {
    stdout_lines_.push_back(pending);
  }
  changed_.notify_all();
  ::close(fd);
}

void GatewayProcess::joinReaders() {
  for (auto& reader : readers_) {
    if (reader.joinable()) {
      reader.join();
    }
  }
  readers_.clear();
}

std::optional<std::string> GatewayProcess::start(std::string_view toml, std::chrono::milliseconds timeout) {
  if (binary_.empty()) {
    return "oh-gateway binary not built (no OH_GATEWAY_BINARY)";
  }
  if (dir_.empty()) {
    return "could not create a temporary directory";
  }
  const auto config = writeFile("config.toml", toml);
  std::vector<std::string> args{binary_, "--config", config.string()};
  std::array<int, 2> out{-1, -1};
  std::array<int, 2> err{-1, -1};
  if (::pipe2(out.data(), O_CLOEXEC) != 0 || ::pipe2(err.data(), O_CLOEXEC) != 0) {
    return std::string("pipe: ") + std::strerror(errno);
  }
  std::vector<char*> argv;
  for (auto& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  auto environment = childEnvironment();
  std::vector<char*> envp;
  for (auto& entry : environment) {
    envp.push_back(entry.data());
  }
  envp.push_back(nullptr);
  // fork+exec rather than posix_spawn for PR_SET_PDEATHSIG: if the test process dies (a CTest
  // timeout, a crash), the kernel kills the gateway instead of leaving it orphaned. Only
  // async-signal-safe calls run between fork and exec.
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(127);
    }
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    // Asio opens sockets without O_CLOEXEC: do not let the gateway inherit the test's
    // listeners and connections (an inherited socket would never see EOF).
    ::close_range(3, ~0U, 0);
    ::execve(binary_.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  const int spawn_errno = errno;
  ::close(out[1]);
  ::close(err[1]);
  if (pid_ < 0) {
    ::close(out[0]);
    ::close(err[0]);
    pid_ = -1;
    return "fork: " + std::string(std::strerror(spawn_errno));
  }
  readers_.emplace_back([this, fd = out[0]] { readLines(fd, true); });
  readers_.emplace_back([this, fd = err[0]] { readLines(fd, false); });

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    {
      std::unique_lock lock{mutex_};
      for (const auto& line : stdout_lines_) {
        if (parseListeningLine(line, port_, admin_port_)) {
          return std::nullopt;
        }
      }
      changed_.wait_for(lock, std::chrono::milliseconds(50));
    }
    if (!running()) {
      return "oh-gateway " + exit_status_->describe() + " before it was ready\nstdout:\n" + stdoutText() +
             "\nstderr:\n" + stderrText();
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return "oh-gateway printed no listening line in time\nstdout:\n" + stdoutText() + "\nstderr:\n" + stderrText();
    }
  }
}

std::pair<ExitStatus, std::string> GatewayProcess::runToCompletion(const std::vector<std::string>& args,
                                                                   std::chrono::milliseconds timeout) {
  std::vector<std::string> all{binary_};
  all.insert(all.end(), args.begin(), args.end());
  const auto output = dir_ / "run-output.txt";
  const int output_fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (output_fd < 0) {
    return {ExitStatus{}, "cannot open " + output.string() + ": " + std::strerror(errno)};
  }
  const pid_t child = spawnProcess(all, output_fd, output_fd);
  ::close(output_fd);
  if (child < 0) {
    return {ExitStatus{}, "cannot start " + binary_};
  }
  auto status = oh::testing::waitForExit(child, timeout);
  if (!status) {
    status = terminateProcess(child, std::chrono::milliseconds(0));
  }
  std::ifstream in(output);
  std::stringstream text;
  text << in.rdbuf();
  return {status ? toExitStatus(*status) : ExitStatus{}, text.str()};
}

bool GatewayProcess::running() {
  if (pid_ <= 0 || exit_status_) {
    return false;
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_status_ = toExitStatus(status);
    return false;
  }
  return true;
}

bool GatewayProcess::signal(int signal_number) const {
  return pid_ > 0 && !exit_status_ && ::kill(pid_, signal_number) == 0;
}

std::optional<ExitStatus> GatewayProcess::waitForExit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (exit_status_) {
    joinReaders();
  }
  return exit_status_;
}

ExitStatus GatewayProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) {
    return ExitStatus{};
  }
  if (running()) {
    if (const auto status = terminateProcess(pid_, grace)) {
      exit_status_ = toExitStatus(*status);
    }
  }
  joinReaders();
  return exit_status_.value_or(ExitStatus{});
}

std::vector<std::string> GatewayProcess::stdoutLines() const {
  std::lock_guard lock{mutex_};
  return stdout_lines_;
}

std::string GatewayProcess::stdoutText() const {
  std::lock_guard lock{mutex_};
  std::string text;
  for (const auto& line : stdout_lines_) {
    text.append(line).append("\n");
  }
  return text;
}

std::string GatewayProcess::stderrText() const {
  std::lock_guard lock{mutex_};
  return stderr_text_;
}

bool GatewayProcess::waitForStdout(const std::function<bool(std::string_view)>& predicate,
                                   std::chrono::milliseconds timeout) const {
  std::unique_lock lock{mutex_};
  return changed_.wait_for(lock, timeout, [&] {
    for (const auto& line : stdout_lines_) {
      if (predicate(line)) {
        return true;
      }
    }
    return false;
  });
}

}  // namespace oh::testing
