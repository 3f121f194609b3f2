// A stand-in for OpenHands' agent server (software-agent-sdk v1.20.1, the version OpenHands
// 1.7.0 pins), installed in the runtime test image as /usr/local/bin/openhands-agent-server so
// the sandbox API's tests run the command the app server sends (remote_sandbox_spec_service.py:
// ["/usr/local/bin/openhands-agent-server", "--port", "60000"]). It does what the sandbox service
// and the app server depend on, each citing the SDK (openhands-agent-server/openhands/agent_server/):
//   --port N                      __main__.py:124 (default 8000)
//   GET /alive -> {"status":"ok"} server_details_router.py:70-73, no key (outside /api)
//   GET /health -> "OK"           server_details_router.py:76-79 (a JSON string, as FastAPI sends it)
//   /api/* needs X-Session-API-Key equal to OH_SESSION_API_KEYS_0 when that is set, else 401
//                                 api.py:264-268, dependencies.py:11-24, config.py:13-14
//   POST /api/conversations        conversation_router.py:152-172: 201 with the ConversationInfo
//                                 (id = the request's conversation_id), kept under
//                                 OH_CONVERSATIONS_PATH (config.py) so a re-created container
//                                 still knows it; 200 when it already exists
//   GET /api/conversations?ids=…  conversation_router.py:137-150: each ConversationInfo or null
// (a conversation's JSON is the few fields the app server reads: id, execution_status, agent.llm.model)
// and, for the tests only, a file in /workspace written and read back through the key-protected
// API, so a test can prove a workspace survives a container's re-creation:
//   PUT /api/standin/workspace/NAME   (body = content)      GET /api/standin/workspace/NAME
// Static, no dependencies (the image is a bare busybox root); one thread per connection,
// Connection: close. As a container's PID 1 it must handle SIGTERM itself (the kernel ignores a
// PID 1's default dispositions), or every pause would wait for SIGKILL.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

namespace {

constexpr std::size_t kMaxHeadBytes = 64 * 1024;
constexpr std::size_t kMaxBodyBytes = 1024 * 1024;
constexpr std::string_view kWorkspaceRoute = "/api/standin/workspace/";

struct Request {
  std::string method;
  std::string path;
  std::string query;
  std::string session_key;
  bool has_session_key = false;
  std::string body;
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool readRequest(int fd, Request& request) {
  std::string data;
  char buffer[8192];
  std::size_t head_end = std::string::npos;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    if (data.size() > kMaxHeadBytes) return false;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  std::istringstream head(data.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  std::istringstream first(line);
  std::string target;
  first >> request.method >> target;
  request.path = target.substr(0, target.find('?'));
  if (const auto question = target.find('?'); question != std::string::npos) request.query = target.substr(question + 1);
  std::size_t content_length = 0;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (name == "content-length") {
      content_length = std::strtoul(value.c_str(), nullptr, 10);
    } else if (name == "x-session-api-key") {
      request.session_key = value;
      request.has_session_key = true;
    }
  }
  if (content_length > kMaxBodyBytes) return false;
  request.body = data.substr(head_end + 4);
  while (request.body.size() < content_length) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    request.body.append(buffer, static_cast<std::size_t>(n));
  }
  request.body.resize(content_length);
  return true;
}

void reply(int fd, int status, std::string_view reason, std::string_view type, std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\nContent-Type: " +
                    std::string(type) + "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + std::string(body);
  std::size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = ::write(fd, out.data() + sent, out.size() - sent);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

// A plain file name: no path separators, no dot-only names.
bool isFileName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The 32 lowercase hex digits of a UUID (dashes allowed), or "".
std::string uuidHex(std::string_view text) {
  std::string hex;
  for (char c : text) {
    if (c == '-') continue;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || hex.size() == 32) return {};
    hex.push_back(c);
  }
  return hex.size() == 32 ? hex : std::string();
}

// The string value of the first "name": "…" in a JSON text ("" when absent): enough for the
// two fields read here, whose values hold no escapes.
std::string jsonString(const std::string& text, const std::string& name) {
  const auto key = text.find("\"" + name + "\"");
  if (key == std::string::npos) return {};
  auto at = text.find(':', key + name.size() + 2);
  if (at == std::string::npos) return {};
  at = text.find_first_not_of(" \t\r\n", at + 1);
  if (at == std::string::npos || text[at] != '"') return {};
  const auto end = text.find('"', at + 1);
  if (end == std::string::npos) return {};
  return text.substr(at + 1, end - at - 1);
}

std::string conversationsDir() {
  const char* configured = std::getenv("OH_CONVERSATIONS_PATH");
  return configured != nullptr && *configured != '\0' ? configured : "/workspace/conversations";
}

std::string dashed(const std::string& hex) {
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" + hex.substr(20);
}

void startConversation(int fd, const Request& request) {
  std::string hex = uuidHex(jsonString(request.body, "conversation_id"));
  if (hex.empty()) {
    reply(fd, 422, "Unprocessable Content", "application/json", "{\"detail\":\"conversation_id required by the stand-in\"}");
    return;
  }
  std::string model;
  for (char c : jsonString(request.body, "model")) {
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) model.push_back(c);
  }
  const std::string file = conversationsDir() + "/" + hex + ".json";
  if (std::ifstream existing(file, std::ios::binary); existing) {
    std::ostringstream content;
    content << existing.rdbuf();
    reply(fd, 200, "OK", "application/json", content.str());
    return;
  }
  ::mkdir(conversationsDir().c_str(), 0755);
  const std::string info = "{\"id\":\"" + dashed(hex) + "\",\"execution_status\":\"idle\",\"agent\":{\"kind\":\"Agent\",\"llm\":{\"model\":\"" +
                           model + "\"}}}";
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << info;
  out.close();
  if (!out) {
    reply(fd, 500, "Internal Server Error", "application/json", "{\"detail\":\"cannot write\"}");
    return;
  }
  reply(fd, 201, "Created", "application/json", info);
}

void batchGetConversations(int fd, const Request& request) {
  std::string out = "[";
  std::size_t at = 0;
  while (at < request.query.size()) {
    const auto amp = request.query.find('&', at);
    const std::string pair = request.query.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    at = amp == std::string::npos ? request.query.size() : amp + 1;
    if (pair.rfind("ids=", 0) != 0) continue;
    const std::string hex = uuidHex(pair.substr(4));
    if (hex.empty()) {
      reply(fd, 422, "Unprocessable Content", "application/json", "{\"detail\":\"ids must be UUIDs\"}");
      return;
    }
    std::ifstream in(conversationsDir() + "/" + hex + ".json", std::ios::binary);
    std::ostringstream content;
    if (in) content << in.rdbuf();
    out += (out.size() > 1 ? "," : "") + (in ? content.str() : std::string("null"));
  }
  reply(fd, 200, "OK", "application/json", out + "]");
}

void serve(int fd) {
  Request request;
  if (!readRequest(fd, request)) {
    ::close(fd);
    return;
  }
  const char* session_keys = std::getenv("OH_SESSION_API_KEYS_0");
  if (request.method == "GET" && request.path == "/alive") {
    reply(fd, 200, "OK", "application/json", "{\"status\":\"ok\"}");
  } else if (request.method == "GET" && request.path == "/health") {
    reply(fd, 200, "OK", "application/json", "\"OK\"");
  } else if (request.path.rfind("/api/", 0) == 0 && session_keys != nullptr && *session_keys != '\0' &&
             (!request.has_session_key || request.session_key != session_keys)) {
    reply(fd, 401, "Unauthorized", "application/json", "{\"detail\":\"Unauthorized\"}");
  } else if (request.path == "/api/conversations" && request.method == "POST") {
    startConversation(fd, request);
  } else if (request.path == "/api/conversations" && request.method == "GET") {
    batchGetConversations(fd, request);
  } else if (request.path.rfind(kWorkspaceRoute, 0) == 0) {
    const std::string name = request.path.substr(kWorkspaceRoute.size());
    const std::string file = "/workspace/" + name;
    if (!isFileName(name)) {
      reply(fd, 400, "Bad Request", "application/json", "{\"detail\":\"bad file name\"}");
    } else if (request.method == "PUT") {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << request.body;
      out.close();
      if (out) {
        reply(fd, 200, "OK", "application/json", "{\"written\":true}");
      } else {
        reply(fd, 500, "Internal Server Error", "application/json", "{\"detail\":\"cannot write\"}");
      }
    } else if (request.method == "GET") {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        reply(fd, 404, "Not Found", "application/json", "{\"detail\":\"Not Found\"}");
      } else {
        std::ostringstream content;
        content << in.rdbuf();
        reply(fd, 200, "OK", "application/octet-stream", content.str());
      }
    } else {
      reply(fd, 405, "Method Not Allowed", "application/json", "{\"detail\":\"Method Not Allowed\"}");
    }
  } else {
    reply(fd, 404, "Not Found", "application/json", "{\"detail\":\"Not Found\"}");
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 8000;  // __main__.py:124
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--port") {
      port = std::atoi(argv[i + 1]);
    }
  }
  std::signal(SIGTERM, [](int) { std::_Exit(0); });
  std::signal(SIGINT, [](int) { std::_Exit(0); });
  std::signal(SIGPIPE, SIG_IGN);

  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener, 64) != 0) {
    std::perror("openhands-agent-server stand-in: bind");
    return 1;
  }
  std::printf("agent server stand-in on port %d\n", port);
  std::fflush(stdout);
  for (;;) {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd >= 0) {
      std::thread(serve, fd).detach();
    }
  }
}
