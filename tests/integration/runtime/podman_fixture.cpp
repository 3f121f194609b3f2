#include "podman_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <thread>

extern char** environ;

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

// Runs a command to completion; its exit code (-1 when it could not run).
int run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return -1;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string findBusybox() {
  for (const char* path : {"/usr/bin/busybox", "/bin/busybox"}) {
    if (fs::exists(path)) {
      return path;
    }
  }
  return {};
}

void writeFile(const fs::path& path, std::string_view text, fs::perms perms = fs::perms::owner_read |
                                                                               fs::perms::owner_write |
                                                                               fs::perms::group_read |
                                                                               fs::perms::others_read) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
  fs::permissions(path, perms);
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
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return {};
  }
  return exchange(fd, requestText("GET", target, ip, {}), timeout);
}

std::string randomConversationId() {
  static std::mt19937_64 generator{std::random_device{}()};
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(generator()),
                static_cast<unsigned long long>(generator()));
  return text;
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
  std::vector<std::string> args = {"podman", "system", "service", "--time=0", url};
  std::vector<char*> argv;
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = (dir_ / "podman.log").string();
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  const int rc = posix_spawnp(&pid_, "podman", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
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
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
}

std::optional<std::string> PodmanService::ensureImage() {
  if (api("GET", "/images/" + std::string(kImage) + "/json").status == 200) {
    return std::nullopt;
  }
  const fs::path root = dir_ / "rootfs";
  fs::create_directories(root / "bin");
  fs::copy_file(findBusybox(), root / "bin" / "busybox", fs::copy_options::overwrite_existing);
  for (const char* applet : {"sh", "httpd", "env", "cat", "echo", "sleep", "printf"}) {
    fs::create_symlink("busybox", root / "bin" / applet);
  }
  const auto exec = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                    fs::perms::others_read | fs::perms::others_exec;
  writeFile(root / "www" / "index.html", "<h1>runtime test app</h1>\n");
  writeFile(root / "www" / "add", "the add route\n");
  // The second app (container port 8080).
  writeFile(root / "www2" / "index.html", "second app\n");
  // Sets cookies the gateway must rewrite.
  writeFile(root / "www" / "cgi-bin" / "cookie",
            "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\nSet-Cookie: app=1; Domain=oh.test; Path=/\\r\\n"
            "Set-Cookie: lax=2; SameSite=Lax\\r\\n\\r\\ncookie\\n'\n",
            exec);
  // Shows the request headers the app received (HTTP_* variables).
  writeFile(root / "www" / "cgi-bin" / "env", "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nenv\n", exec);
  fs::create_directories(root / "tmp");
  const std::string tar = (dir_ / "rootfs.tar").string();
  if (run({"tar", "-C", root.string(), "-cf", tar, "."}) != 0) {
    return "tar failed";
  }
  if (run({"podman", "--remote", "--url", "unix://" + socket_, "import", tar, std::string(kImage)}) != 0) {
    return "podman import failed";
  }
  return std::nullopt;
}

std::string PodmanService::createContainer(const std::string& name, const std::string& conversation,
                                           const std::string& owner, bool start,
                                           std::optional<std::uint16_t> publish_host_port) {
  std::string labels = "\"conversation_id\":\"" + conversation + "\"";
  if (!owner.empty()) {
    labels += ",\"user_id\":\"" + owner + "\"";
  }
  std::string body = "{\"Image\":\"" + std::string(kImage) +
                     "\",\"Cmd\":[\"sh\",\"-c\",\"httpd -p 8080 -h /www2; exec httpd -f -p 80 -h /www\"],"
                     "\"Labels\":{" + labels + "}";
  if (publish_host_port) {
    body += ",\"ExposedPorts\":{\"80/tcp\":{}},\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"" +
            std::to_string(*publish_host_port) + "\"}]}}";
  }
  body += "}";
  const ApiAnswer created = api("POST", "/containers/create?name=" + name, body);
  if (created.status != 201) {
    return {};
  }
  created_.push_back(name);
  const std::size_t id_at = created.body.find("\"Id\":\"");
  std::string id = id_at == std::string::npos ? std::string() : created.body.substr(id_at + 6, 64);
  if (start && !startContainer(name)) {
    return {};
  }
  return id;
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
