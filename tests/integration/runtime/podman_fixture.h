#pragma once
// Real sandbox containers for the runtime tests (TESTING.md "containers"): a private Podman
// API service on a Unix socket in a temporary directory, started and stopped by PID; a test
// image imported from a busybox root filesystem built at test time (httpd serving "/", a second
// route "/add" and a CGI that sets cookies); containers created through the Docker-compatible
// API with the conversation and user labels, and removed at the end.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oh::testing {

struct ApiAnswer {
  int status = 0;  // 0: no answer (connect or read failed)
  std::string body;
};

// One HTTP/1.1 request over a Unix socket (Connection: close), chunked answers decoded.
ApiAnswer unixHttp(const std::string& socket_path, std::string_view method, std::string_view target,
                   std::string_view json_body = {}, std::chrono::milliseconds timeout = std::chrono::seconds(60));

// GET http://ip:port/target from the host (containers' bridge addresses); status and body.
ApiAnswer tcpGet(const std::string& ip, std::uint16_t port, std::string_view target,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

class PodmanService {
public:
  // A temporary directory holding the socket; the image name is shared by all tests.
  PodmanService();
  ~PodmanService();
  PodmanService(const PodmanService&) = delete;
  PodmanService& operator=(const PodmanService&) = delete;

  // Why the tests must skip (podman or busybox missing), or nullopt.
  static std::optional<std::string> unavailable();

  // Starts `podman system service --time=0 unix://SOCKET`; error text or nullopt.
  std::optional<std::string> start();
  // SIGTERM, then SIGKILL after a grace period; the containers keep running (conmon).
  void stop();
  bool running() const { return pid_ > 0; }

  const std::string& socket() const { return socket_; }
  ApiAnswer api(std::string_view method, std::string_view target, std::string_view body = {}) const {
    return unixHttp(socket_, method, target, body);
  }

  // Imports the test image once per service (idempotent); error text or nullopt.
  std::optional<std::string> ensureImage();
  static constexpr std::string_view kImage = "localhost/oh-runtime-test:latest";

  // Creates (and with start, starts) a labelled test container running busybox httpd on
  // container port 80 (and 8080 for a second app). Returns its Docker id, or "" on failure.
  // owner empty = no user label.
  std::string createContainer(const std::string& name, const std::string& conversation, const std::string& owner,
                              bool start = true, std::optional<std::uint16_t> publish_host_port = std::nullopt);
  bool startContainer(const std::string& name);
  bool stopContainer(const std::string& name);
  bool removeContainer(const std::string& name);
  // The container's IP on its first network ("" when none).
  std::string containerIp(const std::string& name);

  // Every container this object created is force-removed by the destructor.
  const std::vector<std::string>& created() const { return created_; }
  // Records a container created by other means (e.g. in parallel through api()) for removal.
  void adopt(std::string name) { created_.push_back(std::move(name)); }
  void removeAll();

private:
  std::filesystem::path dir_;
  std::string socket_;
  pid_t pid_ = -1;
  std::vector<std::string> created_;
};

// A random 32-hex conversation id (what OpenHands uses), unique per call.
std::string randomConversationId();

// Polls a condition for up to `limit` (a deadline for hung tests, not a timing assertion).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = std::chrono::seconds(20));

}  // namespace oh::testing
