#include "server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace oh::appserver_standin {

namespace {

constexpr int kKeepAliveSeconds = 5;   // uvicorn timeout_keep_alive
constexpr int kRequestReadSeconds = 30;

void setReadTimeout(int fd, int seconds) {
  timeval timeout{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

bool writeAll(int fd, const std::string& data) {
  for (std::size_t sent = 0; sent < data.size();) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string peerAddress(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, text, sizeof text);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      ::inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], text, sizeof text);
    } else {
      ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    }
  }
  return text;
}

void accessLog(const Request& request, int status) {
  std::printf("{\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,\"client\":\"%s\"}\n", request.method.c_str(),
              request.path.size() > 200 ? "(long)" : request.path.c_str(), status, request.client_host.c_str());
  std::fflush(stdout);
}

}  // namespace

std::uint16_t Server::bind(std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(config_.listen_port);
  if (::getaddrinfo(config_.listen_host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    error = "--host is not a numeric address: " + config_.listen_host;
    return 0;
  }
  listener_ = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool bound = listener_ >= 0 && ::bind(listener_, found->ai_addr, found->ai_addrlen) == 0 && ::listen(listener_, 128) == 0;
  ::freeaddrinfo(found);
  if (!bound) {
    error = "cannot listen on " + config_.listen_host + ":" + port + ": " + std::strerror(errno);
    return 0;
  }
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

void Server::run() {
  for (;;) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(listener_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread([this, fd, peer = peerAddress(address)] { serveConnection(fd, peer); }).detach();
  }
}

void Server::serveConnection(int fd, std::string peer) {
  std::string buffer;
  char chunk[16384];
  for (bool keep_alive = true; keep_alive;) {
    setReadTimeout(fd, buffer.empty() ? kKeepAliveSeconds : kRequestReadSeconds);
    std::size_t head_end = std::string::npos;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeadBytes) {
        writeAll(fd, serialiseResponse(jsonResponse(431, R"({"detail":"Request Header Fields Too Large"})"), false));
        ::close(fd);
        return;
      }
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      setReadTimeout(fd, kRequestReadSeconds);
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    HeadParse parsed = parseRequestHead(std::string_view(buffer).substr(0, head_end));
    if (!parsed.request) {
      // No body is read after a refusal, so the connection cannot be reused.
      writeAll(fd, serialiseResponse(detailResponse(parsed.refusal, parsed.reason), false));
      ::close(fd);
      return;
    }
    Request request = std::move(*parsed.request);
    buffer.erase(0, head_end + 4);
    while (buffer.size() < parsed.content_length) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    request.body = buffer.substr(0, parsed.content_length);
    buffer.erase(0, parsed.content_length);
    request.client_host = clientHost(peer, request.header("x-forwarded-for"), config_.forwarded_allow_ips);
    keep_alive = request.keep_alive;

    Response response;
    const auto decision = RateLimiter::limited(request.path) ? limiter_.check(request.client_host)
                                                             : RateLimiter::Decision::allow;
    if (decision == RateLimiter::Decision::refuse) {
      response = jsonResponse(429, R"({"message":"Too many requests"})");
      response.headers.emplace_back("retry-after", "1");
    } else {
      if (decision == RateLimiter::Decision::delay) std::this_thread::sleep_for(std::chrono::seconds(1));
      response = app_.handle(request);
    }
    accessLog(request, response.status);
    if (!writeAll(fd, serialiseResponse(response, keep_alive))) break;
  }
  ::close(fd);
}

}  // namespace oh::appserver_standin
