#include "podman_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include <boost/json.hpp>

#include "support/child_processes.h"

namespace oh::testing {
namespace {

namespace fs = std::filesystem;

bool sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string decodeChunked(std::string_view body) {
  std::string out;
  while (!body.empty()) {
    const std::size_t line_end = body.find("\r\n");
    if (line_end == std::string_view::npos) {
      break;
    }
    const std::size_t size = std::strtoul(std::string(body.substr(0, line_end)).c_str(), nullptr, 16);
    body.remove_prefix(line_end + 2);
    if (size == 0 || size > body.size()) {
      break;
    }
    out.append(body.substr(0, size));
    body.remove_prefix(std::min(body.size(), size + 2));
  }
  return out;
}

ApiAnswer exchange(int fd, std::string_view request, std::chrono::milliseconds timeout) {
  ApiAnswer answer;
  if (!sendAll(fd, request)) {
    ::close(fd);
    return answer;
  }
  std::string raw;
  char buf[16384];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready <= 0) {
      continue;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      break;
    }
    raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) {
    return answer;
  }
  answer.status = std::atoi(raw.substr(9, 3).c_str());
  std::string head = raw.substr(0, head_end);
  for (char& c : head) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  answer.body = raw.substr(head_end + 4);
  if (head.find("transfer-encoding: chunked") != std::string::npos) {
    answer.body = decodeChunked(answer.body);
  }
  return answer;
}

std::string requestText(std::string_view method, std::string_view target, std::string_view host,
                        std::string_view body) {
  std::string request;
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  request.append("\r\nConnection: close\r\n");
  if (!body.empty() || method == "POST") {
    request.append("Content-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size()));
    request.append("\r\n");
  }
  request.append("\r\n").append(body);
  return request;
}

// Runs a command to completion (stdout to /dev/null); its exit code (-1 when it could not run,
// was killed, or ran past a generous deadline and was stopped).
int run(const std::vector<std::string>& args) {
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  const pid_t pid = spawnProcess(args, null_fd);
  if (null_fd >= 0) {
    ::close(null_fd);
  }
  auto status = waitForExit(pid, std::chrono::minutes(5));
  if (!status) {
    terminateProcess(pid, std::chrono::seconds(5));
    return -1;
  }
  return exitCodeOf(*status);
}

std::string findBusybox() {
  for (const char* path : {"/usr/bin/busybox", "/bin/busybox"}) {
    if (fs::exists(path)) {
      return path;
    }
  }
  return {};
}

std::string wsEchoBinary() {
#ifdef OH_WS_ECHO_BINARY
  return OH_WS_ECHO_BINARY;
#else
  return {};
#endif
}

std::string agentServerBinary() {
#ifdef OH_AGENT_SERVER_BINARY
  return OH_AGENT_SERVER_BINARY;
#else
  return {};
#endif
}

std::optional<std::string> readWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

constexpr auto kReadable = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                           fs::perms::others_read;
constexpr auto kExecutable = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec;

// One entry of the test image's root filesystem: a file with its content, or a symlink.
struct ImageEntry {
  std::string path;  // relative to the root
  std::string content;
  fs::perms perms = kReadable;
  std::string link_to;  // non-empty: a symlink
};

// Everything in the test image. The binaries are read from the host; an empty list means one is
// missing (unavailable() says which).
const std::vector<ImageEntry>& imageEntries() {
  static const std::vector<ImageEntry> entries = [] {
    std::vector<ImageEntry> out;
    const auto busybox = readWholeFile(findBusybox());
    const auto ws_echo = readWholeFile(wsEchoBinary());
    const auto agent_server = readWholeFile(agentServerBinary());
    if (!busybox || !ws_echo || !agent_server || busybox->empty() || ws_echo->empty() || agent_server->empty()) {
      return out;
    }
    out.push_back({"bin/busybox", *busybox, kExecutable, {}});
    for (const char* applet : {"sh", "httpd", "env", "cat", "echo", "sleep", "printf"}) {
      out.push_back({std::string("bin/") + applet, {}, kReadable, "busybox"});
    }
    out.push_back({"bin/ws-echo", *ws_echo, kExecutable, {}});
    // What the sandbox API's /start runs (the command OpenHands sends; agent_server_standin/).
    out.push_back({"usr/local/bin/openhands-agent-server", *agent_server, kExecutable, {}});
    out.push_back({"www/index.html", "<h1>runtime test app</h1>\n", kReadable, {}});
    out.push_back({"www/add", "the add route\n", kReadable, {}});
    // The second app (container port 8080).
    out.push_back({"www2/index.html", "second app\n", kReadable, {}});
    // Sets cookies the gateway must rewrite.
    out.push_back({"www/cgi-bin/cookie",
                   "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\nSet-Cookie: app=1; Domain=oh.test; Path=/\\r\\n"
                   "Set-Cookie: lax=2; SameSite=Lax\\r\\n\\r\\ncookie\\n'\n",
                   kExecutable, {}});
    // Shows the request headers the app received (HTTP_* variables).
    out.push_back({"www/cgi-bin/env", "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nenv\n", kExecutable, {}});
    return out;
  }();
  return entries;
}

// FNV-1a over every entry: the image tag, so the content decides which image a test runs.
std::string imageFingerprint() {
  std::uint64_t hash = 14695981039346656037ull;
  const auto mix = [&hash](std::string_view bytes) {
    for (const char c : bytes) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ull;
    }
    hash ^= 0xff;  // separator, so "ab"+"c" differs from "a"+"bc"
    hash *= 1099511628211ull;
  };
  for (const ImageEntry& entry : imageEntries()) {
    mix(entry.path);
    mix(entry.content);
    mix(entry.link_to);
    mix(std::to_string(static_cast<unsigned>(entry.perms)));
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

// The value of the first "HostPort" after `from` in a JSON text, or nullopt.
std::optional<std::uint16_t> hostPortAfter(std::string_view json, std::size_t from) {
  const std::size_t key = json.find("\"HostPort\"", from);
  if (key == std::string_view::npos) {
    return std::nullopt;
  }
  // "HostPort": "41234": skip the colon, blanks and the quote; the digits must follow at once.
  const std::size_t at = json.find_first_not_of(": \t\n\"", key + 10);
  const std::size_t end = json.find_first_not_of("0123456789", at);
  if (at == std::string_view::npos || end == std::string_view::npos || end == at || end - at > 5) {
    return std::nullopt;
  }
  const unsigned long port = std::strtoul(std::string(json.substr(at, end - at)).c_str(), nullptr, 10);
  if (port == 0 || port > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(port);
}

}  // namespace

ApiAnswer unixHttp(const std::string& socket_path, std::string_view method, std::string_view target,
                   std::string_view json_body, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof(address.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return {};
  }
  return exchange(fd, requestText(method, target, "d", json_body), timeout);
}

ApiAnswer tcpGet(const std::string& ip, std::uint16_t port, std::string_view target,
                 std::chrono::milliseconds timeout) {
  return tcpRequest(ip, port, requestText("GET", target, ip, {}), timeout);
}

ApiAnswer tcpRequest(const std::string& ip, std::uint16_t port, std::string_view request,
                     std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return {};
  }
  return exchange(fd, request, timeout);
}

std::string randomConversationId() {
  static std::mt19937_64 generator{std::random_device{}()};
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(generator()),
                static_cast<unsigned long long>(generator()));
  return text;
}

std::string randomSandboxId() {
  static constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  static std::mt19937_64 generator{std::random_device{}()};
  std::string id;
  for (int i = 0; i < 22; ++i) {
    id.push_back(kBase62[generator() % kBase62.size()]);
  }
  return id;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

PodmanService::PodmanService() {
  char pattern[] = "/tmp/oh-runtime-XXXXXX";
  dir_ = ::mkdtemp(pattern);
  socket_ = (dir_ / "podman.sock").string();
}

PodmanService::~PodmanService() {
  removeAll();
  stop();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::optional<std::string> PodmanService::unavailable() {
  if (run({"podman", "--version"}) != 0) {
    return "podman is not installed (scripts/setup.sh installs it)";
  }
  if (findBusybox().empty()) {
    return "busybox is not installed";
  }
  if (wsEchoBinary().empty() || !fs::exists(wsEchoBinary())) {
    return "ws-echo (target oh_ws_echo_server) is not built: " + wsEchoBinary();
  }
  if (agentServerBinary().empty() || !fs::exists(agentServerBinary())) {
    return "the agent-server stand-in (target oh_agent_server_standin) is not built: " + agentServerBinary();
  }
  if (::geteuid() != 0) {
    return "podman containers with bridge IPs need root here";
  }
  return std::nullopt;
}

std::optional<std::string> PodmanService::start() {
  if (pid_ > 0) {
    return std::nullopt;
  }
  ::unlink(socket_.c_str());
  const std::string url = "unix://" + socket_;
  const std::string log = (dir_ / "podman.log").string();
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  pid_ = spawnProcess({"podman", "system", "service", "--time=0", url}, log_fd, log_fd);
  if (log_fd >= 0) {
    ::close(log_fd);
  }
  if (pid_ < 0) {
    return "cannot spawn podman";
  }
  if (!eventually([&] { return unixHttp(socket_, "GET", "/_ping").status == 200; }, std::chrono::seconds(30))) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    stop();
    return "podman service did not answer /_ping: " + text;
  }
  return std::nullopt;
}

void PodmanService::stop() {
  terminateProcess(pid_, std::chrono::seconds(10));
  pid_ = -1;
}

const std::string& PodmanService::image() {
  static const std::string name = "localhost/oh-runtime-test:" + imageFingerprint();
  return name;
}

std::string PodmanService::defaultCommand() {
  return "httpd -p 8080 -h /www2; ws-echo " + std::to_string(kWebSocketPort) + " & exec httpd -f -p 80 -h /www";
}

std::string PodmanService::webSocketEchoCommand(std::uint16_t port, const std::string& allowed_origin) {
  // The origin is the tests' own constant ("https://..."): no shell quoting beyond the quotes.
  return "exec ws-echo " + std::to_string(port) + (allowed_origin.empty() ? "" : " '" + allowed_origin + "'");
}

std::optional<std::string> PodmanService::ensureImage() {
  if (imageEntries().empty()) {
    return "cannot read busybox, ws-echo or the agent-server stand-in";
  }
  if (api("GET", "/images/" + image() + "/json").status == 200) {
    return std::nullopt;
  }
  const fs::path root = dir_ / "rootfs";
  for (const ImageEntry& entry : imageEntries()) {
    const fs::path path = root / entry.path;
    fs::create_directories(path.parent_path());
    if (!entry.link_to.empty()) {
      fs::create_symlink(entry.link_to, path);
      continue;
    }
    std::ofstream(path, std::ios::binary) << entry.content;
    fs::permissions(path, entry.perms);
  }
  fs::create_directories(root / "tmp");
  const std::string tar = (dir_ / "rootfs.tar").string();
  if (run({"tar", "-C", root.string(), "-cf", tar, "."}) != 0) {
    return "tar failed";
  }
  if (run({"podman", "--remote", "--url", "unix://" + socket_, "import", tar, image()}) != 0) {
    return "podman import failed";
  }
  return std::nullopt;
}

std::string PodmanService::createContainer(const ContainerSpec& spec) {
  boost::json::object labels;
  for (const auto& [key, value] : spec.labels) {
    labels[key] = value;
  }
  boost::json::object body{{"Image", image()},
                           {"Cmd", boost::json::array{"sh", "-c", spec.command.empty() ? defaultCommand() : spec.command}},
                           {"Labels", std::move(labels)}};
  if (!spec.publish.empty()) {
    boost::json::object exposed;
    boost::json::object bindings;
    for (const Publish& p : spec.publish) {
      const std::string key = std::to_string(p.container_port) + "/tcp";
      exposed[key] = boost::json::object{};
      // HostPort "" (not "0"): the Docker API's way to ask for a free host port.
      bindings[key] = boost::json::array{
          boost::json::object{{"HostPort", p.host_port == 0 ? std::string() : std::to_string(p.host_port)}}};
    }
    body["ExposedPorts"] = std::move(exposed);
    body["HostConfig"] = boost::json::object{{"PortBindings", std::move(bindings)}};
  }
  const ApiAnswer created = api("POST", "/containers/create?name=" + spec.name, boost::json::serialize(body));
  if (created.status != 201) {
    return {};
  }
  created_.push_back(spec.name);
  const std::size_t id_at = created.body.find("\"Id\":\"");
  std::string id = id_at == std::string::npos ? std::string() : created.body.substr(id_at + 6, 64);
  if (spec.start && !startContainer(spec.name)) {
    return {};
  }
  return id;
}

std::string PodmanService::createContainer(const std::string& name, const std::string& conversation,
                                           const std::string& owner, bool start,
                                           std::optional<std::uint16_t> publish_host_port) {
  ContainerSpec spec;
  spec.name = name;
  spec.labels["conversation_id"] = conversation;
  if (!owner.empty()) {
    spec.labels["user_id"] = owner;
  }
  spec.start = start;
  if (publish_host_port) {
    spec.publish.push_back(Publish{80, *publish_host_port});
  }
  return createContainer(spec);
}

std::optional<std::uint16_t> PodmanService::publishedHostPort(const std::string& name, std::uint16_t container_port) {
  const ApiAnswer answer = api("GET", "/containers/" + name + "/json");
  if (answer.status != 200) {
    return std::nullopt;
  }
  // NetworkSettings.Ports {"8000/tcp": [{"HostIp": "", "HostPort": "41234"}]}; the key also
  // appears under Config.ExposedPorts and HostConfig.PortBindings (as asked: maybe ""), so
  // take the last occurrence that carries a port.
  const std::string key = "\"" + std::to_string(container_port) + "/tcp\"";
  std::optional<std::uint16_t> found;
  for (std::size_t at = answer.body.find(key); at != std::string::npos; at = answer.body.find(key, at + 1)) {
    const std::size_t next_key = answer.body.find(key, at + 1);
    const auto port = hostPortAfter(answer.body, at);
    const std::size_t port_at = answer.body.find("\"HostPort\"", at);
    if (port && (next_key == std::string::npos || port_at < next_key)) {
      found = port;
    }
  }
  return found;
}

bool PodmanService::startContainer(const std::string& name) {
  const int status = api("POST", "/containers/" + name + "/start").status;
  return status == 204 || status == 304;
}

bool PodmanService::stopContainer(const std::string& name) {
  const int status = api("POST", "/containers/" + name + "/stop?t=0").status;
  return status == 204 || status == 304;
}

bool PodmanService::removeContainer(const std::string& name) {
  return api("DELETE", "/containers/" + name + "?force=true").status == 204;
}

std::string PodmanService::containerIp(const std::string& name) {
  const ApiAnswer answer = api("GET", "/containers/" + name + "/json");
  const std::size_t at = answer.body.find("\"IPAddress\":\"");
  if (at == std::string::npos) {
    return {};
  }
  const std::size_t start = at + 13;
  return answer.body.substr(start, answer.body.find('"', start) - start);
}

void PodmanService::removeAll() {
  if (created_.empty()) {
    return;
  }
  const bool was_running = running();
  if (!was_running && start()) {
    return;
  }
  // Four removers in parallel: 1,000 containers take a while one by one.
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < 4; ++w) {
    workers.emplace_back([this, w] {
      for (std::size_t i = w; i < created_.size(); i += 4) {
        removeContainer(created_[i]);
      }
    });
  }
  for (std::thread& t : workers) {
    t.join();
  }
  created_.clear();
}

}  // namespace oh::testing
