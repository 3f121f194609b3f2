#pragma once
// Real sandbox containers for the runtime tests (TESTING.md "containers"): a private Podman
// API service on a Unix socket in a temporary directory, started and stopped by PID; a test
// image imported from a busybox root filesystem built at test time (httpd serving "/", a second
// route "/add" and a CGI that sets cookies; ws-echo, a static WebSocket echo server with a
// /health route; /usr/local/bin/openhands-agent-server, a stand-in for OpenHands' agent server,
// agent_server_standin/); containers created through the Docker-compatible API with the conversation
// and user labels (or any labels), and removed at the end.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
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

// Sends the raw request bytes (which should say Connection: close) to ip:port; status and body.
ApiAnswer tcpRequest(const std::string& ip, std::uint16_t port, std::string_view request,
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

  // Imports the test image unless storage already holds this content (idempotent); error text
  // or nullopt.
  std::optional<std::string> ensureImage();
  // The test image's name. Its tag is a fingerprint of the image's content (files, busybox,
  // ws-echo, the agent-server stand-in), so a rebuilt ws-echo or a changed file never runs on an image left in the shared
  // Podman storage by an older build.
  static const std::string& image();

  // The default command's apps: busybox httpd on 80 ("/", "/add", CGIs) and on 8080 (a second
  // app), ws-echo on kWebSocketPort.
  static constexpr std::uint16_t kWebSocketPort = 3000;
  static std::string defaultCommand();
  // ws-echo alone on a port, as PID 1 (e.g. an agent server's 8000); with allowed_origin it
  // answers CORS for that one origin, as OpenHands' agent server does.
  static std::string webSocketEchoCommand(std::uint16_t port, const std::string& allowed_origin = {});

  struct Publish {
    std::uint16_t container_port = 0;
    std::uint16_t host_port = 0;  // 0: Podman picks a free one (publishedHostPort() tells which)
  };
  struct ContainerSpec {
    std::string name;
    std::map<std::string, std::string> labels;
    std::string command;  // run by sh -c; empty = defaultCommand()
    std::vector<Publish> publish;
    bool start = true;
  };
  // Creates (and with spec.start, starts) a container. Returns its Docker id, or "" on failure.
  std::string createContainer(const ContainerSpec& spec);

  // Creates (and with start, starts) a labelled test container running the default command.
  // Returns its Docker id, or "" on failure. owner empty = no user label. publish_host_port:
  // container port 80 published on that host port.
  std::string createContainer(const std::string& name, const std::string& conversation, const std::string& owner,
                              bool start = true, std::optional<std::uint16_t> publish_host_port = std::nullopt);
  // The host port Podman published container_port on (running container), or nullopt.
  std::optional<std::uint16_t> publishedHostPort(const std::string& name, std::uint16_t container_port);
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
// A random 22-character base62 id, the form of OpenHands 1.x sandbox ids (base62 of 16 bytes).
std::string randomSandboxId();

// Polls a condition for up to `limit` (a deadline for hung tests, not a timing assertion: generous,
// since other builds' tests and benchmarks may load the machine and the shared Podman storage).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = std::chrono::seconds(60));

}  // namespace oh::testing
