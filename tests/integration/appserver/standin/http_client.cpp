#include "http_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>

#include "common/text.h"

namespace oh::appserver_standin {

namespace {

constexpr std::size_t kMaxReplyBytes = 8 * 1024 * 1024;

class Socket {
public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

private:
  int fd_;
};

// Connects to host:port within the deadline; the fd, or -1 with error set.
int connectTo(const std::string& host, std::uint16_t port, std::chrono::steady_clock::time_point deadline,
              std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* candidate = found; candidate != nullptr && fd < 0; candidate = candidate->ai_next) {
    fd = ::socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, candidate->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, candidate->ai_addr, candidate->ai_addrlen) != 0 && errno != EINPROGRESS) {
      error = std::string("connect: ") + std::strerror(errno);
      ::close(fd);
      fd = -1;
      continue;
    }
    pollfd waiting{fd, POLLOUT, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    int socket_error = 0;
    socklen_t length = sizeof socket_error;
    if (left.count() <= 0 || ::poll(&waiting, 1, static_cast<int>(left.count())) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &length) != 0 || socket_error != 0) {
      error = "cannot connect to " + host + ":" + service + (socket_error ? std::string(": ") + std::strerror(socket_error) : "");
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

// Waits for fd to be ready for events until the deadline.
bool waitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd waiting{fd, events, 0};
  return ::poll(&waiting, 1, static_cast<int>(left.count())) == 1;
}

// Decodes a chunked body; nullopt when malformed.
std::optional<std::string> dechunk(std::string_view data) {
  std::string out;
  for (;;) {
    const auto line_end = data.find("\r\n");
    if (line_end == std::string_view::npos) return std::nullopt;
    std::size_t size = 0;
    const std::string_view size_text = data.substr(0, data.substr(0, line_end).find(';'));
    const auto [ptr, error] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (error != std::errc() || size_text.empty()) return std::nullopt;
    data.remove_prefix(line_end + 2);
    if (size == 0) return out;
    if (data.size() < size + 2) return std::nullopt;
    out.append(data.substr(0, size));
    data.remove_prefix(size + 2);
  }
}

HttpReply parseReply(const std::string& data) {
  HttpReply reply;
  const auto head_end = data.find("\r\n\r\n");
  if (head_end == std::string::npos || data.rfind("HTTP/1.", 0) != 0 || data.size() < 12) {
    reply.error = "malformed reply";
    return reply;
  }
  int status = 0;
  const auto [ptr, error] = std::from_chars(data.data() + 9, data.data() + 12, status);
  if (error != std::errc() || status < 100 || status > 599) {
    reply.error = "malformed status line";
    return reply;
  }
  bool chunked = false;
  std::optional<std::size_t> length;
  std::string_view head(data.data(), head_end);
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;) {
    const auto next = head.find("\r\n", at + 2);
    const std::string line = common::lowercaseAscii(head.substr(at + 2, next == std::string_view::npos ? std::string_view::npos : next - at - 2));
    if (line.rfind("transfer-encoding:", 0) == 0 && line.find("chunked") != std::string::npos) chunked = true;
    if (line.rfind("content-length:", 0) == 0) {
      std::size_t value = 0;
      std::string_view text = std::string_view(line).substr(15);
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      if (std::from_chars(text.data(), text.data() + text.size(), value).ec == std::errc()) length = value;
    }
    at = next;
  }
  std::string_view body = std::string_view(data).substr(head_end + 4);
  if (chunked) {
    auto decoded = dechunk(body);
    if (!decoded) {
      reply.error = "malformed chunked body";
      return reply;
    }
    reply.body = std::move(*decoded);
  } else if (length) {
    if (body.size() < *length) {
      reply.error = "reply shorter than its Content-Length";
      return reply;
    }
    reply.body = std::string(body.substr(0, *length));
  } else {
    reply.body = std::string(body);
  }
  reply.status = status;
  return reply;
}

}  // namespace

std::optional<Url> parseUrl(const std::string& text) {
  Url url;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  url.scheme = common::lowercaseAscii(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  const std::string rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, path_start);
  url.target = path_start == std::string::npos ? "/" : rest.substr(path_start);
  if (url.target.front() == '?') url.target.insert(0, "/");
  if (const auto hash = url.target.find('#'); hash != std::string::npos) url.target.resize(hash);
  if (url.target.empty()) url.target = "/";
  if (authority.find('@') != std::string::npos || authority.empty()) return std::nullopt;
  url.port = url.scheme == "https" ? 443 : 80;
  std::string port_text;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [ptr, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 || port > 65535) return std::nullopt;
    url.port = static_cast<std::uint16_t>(port);
  }
  for (char c : url.host + url.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  return url;
}

ProxySettings proxySettingsFrom(const Environment& environment) {
  ProxySettings out;
  const auto first = [&](std::initializer_list<const char*> names) -> std::string {
    for (const char* name : names) {
      const auto found = environment.find(name);
      if (found != environment.end() && !found->second.empty()) return found->second;
    }
    return {};
  };
  const std::string proxy = first({"HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"});
  if (!proxy.empty()) out.http_proxy = parseUrl(proxy.find("://") == std::string::npos ? "http://" + proxy : proxy);
  const std::string no_proxy = first({"NO_PROXY", "no_proxy"});
  std::size_t at = 0;
  while (at < no_proxy.size()) {
    const auto comma = no_proxy.find(',', at);
    std::string entry = no_proxy.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    entry.erase(0, entry.find_first_not_of(' '));
    entry.erase(entry.find_last_not_of(' ') + 1);
    if (!entry.empty()) out.no_proxy.push_back(common::lowercaseAscii(entry));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

bool useProxyFor(const ProxySettings& proxy, const std::string& host) {
  if (!proxy.http_proxy) return false;
  const std::string name = common::lowercaseAscii(host);
  for (const std::string& entry : proxy.no_proxy) {
    if (entry == "*") return false;
    const std::string domain = entry.front() == '.' ? entry.substr(1) : entry;
    if (name == domain) return false;
    if (name.size() > domain.size() && name.compare(name.size() - domain.size(), domain.size(), domain) == 0 &&
        name[name.size() - domain.size() - 1] == '.') {
      return false;
    }
  }
  return true;
}

HttpReply sendHttp(const HttpCall& call, const ProxySettings& proxy) {
  HttpReply reply;
  const auto url = parseUrl(call.url);
  if (!url) {
    reply.error = "not an http URL";
    return reply;
  }
  if (url->scheme != "http") {
    reply.error = "https is not implemented by the stand-in";
    return reply;
  }
  const bool proxied = useProxyFor(proxy, url->host);
  const Url& peer = proxied ? *proxy.http_proxy : *url;
  const auto deadline = std::chrono::steady_clock::now() + call.timeout;
  const Socket socket(connectTo(peer.host, peer.port, deadline, reply.error));
  if (socket.fd() < 0) return reply;

  const bool bracket = url->host.find(':') != std::string::npos;
  const std::string host_header = (bracket ? "[" + url->host + "]" : url->host) +
                                  (url->port == 80 ? std::string() : ":" + std::to_string(url->port));
  // Through a proxy the target is the absolute URL (RFC 9112 section 3.2.2), as httpx sends it.
  std::string request = call.method + " " + (proxied ? "http://" + host_header + url->target : url->target) +
                        " HTTP/1.1\r\nHost: " + host_header + "\r\nConnection: close\r\nAccept: */*\r\n" +
                        "User-Agent: python-httpx/0.28.1 (openhands-app-server stand-in)\r\n";
  for (const auto& [name, value] : call.headers) {
    request += name + ": " + value + "\r\n";
  }
  if (call.json_body) {
    request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(call.json_body->size()) + "\r\n\r\n";
    request += *call.json_body;
  } else {
    request += call.method == "POST" ? "Content-Length: 0\r\n\r\n" : "\r\n";
  }
  for (std::size_t sent = 0; sent < request.size();) {
    if (!waitFor(socket.fd(), POLLOUT, deadline)) {
      reply.error = "timed out sending";
      return reply;
    }
    const ssize_t n = ::send(socket.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0 && errno != EAGAIN) {
      reply.error = "send failed";
      return reply;
    }
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  std::string data;
  char buffer[16384];
  for (;;) {
    if (!waitFor(socket.fd(), POLLIN, deadline)) {
      reply.error = "timed out waiting for the reply";
      return reply;
    }
    const ssize_t n = ::recv(socket.fd(), buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      if (!data.empty()) break;
      reply.error = "connection reset";
      return reply;
    }
    data.append(buffer, static_cast<std::size_t>(n));
    if (data.size() > kMaxReplyBytes) {
      reply.error = "reply too large";
      return reply;
    }
  }
  return parseReply(data);
}

}  // namespace oh::appserver_standin
