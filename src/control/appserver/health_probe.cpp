#include "appserver/health_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace oh::control {
namespace {

using Clock = std::chrono::steady_clock;

class Socket {
public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }

private:
  int fd_;
};

int remainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

bool waitFor(int fd, short events, Clock::time_point deadline) {
  pollfd entry{fd, events, 0};
  for (;;) {
    const int ready = ::poll(&entry, 1, remainingMs(deadline));
    if (ready > 0) {
      return true;
    }
    if (ready == 0 || errno != EINTR) {
      return false;
    }
  }
}

class HttpHealthProbe final : public HealthProbe {
public:
  bool healthy(std::string_view address, std::uint16_t port, std::string_view path,
               std::chrono::milliseconds timeout) override {
    const Clock::time_point deadline = Clock::now() + timeout;
    sockaddr_storage storage{};
    socklen_t length = 0;
    const std::string host(address);
    int family = AF_INET;
    if (auto* v4 = reinterpret_cast<sockaddr_in*>(&storage); ::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      length = sizeof(sockaddr_in);
    } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
               ::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
      family = AF_INET6;
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      length = sizeof(sockaddr_in6);
    } else {
      return false;
    }
    if (path.empty() || path.front() != '/' || path.find_first_of(" \r\n") != std::string_view::npos) {
      return false;
    }
    Socket socket(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (socket.get() < 0) {
      return false;
    }
    if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
      if (errno != EINPROGRESS || !waitFor(socket.get(), POLLOUT, deadline)) {
        return false;
      }
      int error = 0;
      socklen_t size = sizeof(error);
      if (::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0 || error != 0) {
        return false;
      }
    }
    const std::string request = "GET " + std::string(path) + " HTTP/1.1\r\nHost: " +
                                (family == AF_INET6 ? "[" + host + "]" : host) + ":" + std::to_string(port) +
                                "\r\nConnection: close\r\nUser-Agent: oh-gateway-health\r\n\r\n";
    std::size_t sent = 0;
    while (sent < request.size()) {
      if (!waitFor(socket.get(), POLLOUT, deadline)) {
        return false;
      }
      const ssize_t n = ::send(socket.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return false;
      }
      sent += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    // The status line is all we read: "HTTP/1.x 200".
    std::string head;
    while (head.find("\r\n") == std::string::npos && head.size() < 256) {
      if (!waitFor(socket.get(), POLLIN, deadline)) {
        return false;
      }
      char buffer[256];
      const ssize_t n = ::recv(socket.get(), buffer, sizeof(buffer), 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        break;
      }
      head.append(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
    }
    return head.size() >= 13 && head.compare(0, 7, "HTTP/1.") == 0 && head.compare(8, 4, " 200") == 0 &&
           (head[12] == ' ' || head[12] == '\r');
  }
};

}  // namespace

HealthProbePtr makeHttpHealthProbe() { return std::make_shared<HttpHealthProbe>(); }

}  // namespace oh::control
