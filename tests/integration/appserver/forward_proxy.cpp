#include "forward_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string_view>

namespace oh::testing {

namespace {

void sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void reply(int fd, int status, std::string_view reason) {
  sendAll(fd, "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                  "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

int connectTo(const std::string& ip, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (fd < 0 || ::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

}  // namespace

ForwardProxy::ForwardProxy(Resolver resolver, const std::string& listen_address) : resolver_(std::move(resolver)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  socklen_t length = sizeof address;
  if (::inet_pton(AF_INET, listen_address.c_str(), &address.sin_addr) != 1 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return;
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] {
    while (!stopping_) {
      pollfd waiting{listener_, POLLIN, 0};
      if (::poll(&waiting, 1, 200) != 1) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++active_;
      std::thread([this, fd] {
        serve(fd);
        --active_;
      }).detach();
    }
  });
}

ForwardProxy::~ForwardProxy() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  if (listener_ >= 0) ::close(listener_);
  // Relays end within their 30 s read timeout; wait for them so none outlives this object.
  for (int i = 0; i < 400 && active_ > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

void ForwardProxy::serve(int fd) {
  timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string data;
  char buffer[16384];
  std::size_t head_end = std::string::npos;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos && data.size() < 65536) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  // "METHOD http://host[:port]/path HTTP/1.1": split the absolute target.
  const auto first_space = data.find(' ');
  const auto second_space = first_space == std::string::npos ? std::string::npos : data.find(' ', first_space + 1);
  const std::string target = second_space == std::string::npos ? std::string() : data.substr(first_space + 1, second_space - first_space - 1);
  if (head_end == std::string::npos || target.rfind("http://", 0) != 0) {
    reply(fd, 400, "Bad Request");
    ::close(fd);
    return;
  }
  const auto path_start = target.find('/', 7);
  const std::string authority = target.substr(7, path_start == std::string::npos ? std::string::npos : path_start - 7);
  const std::string path = path_start == std::string::npos ? "/" : target.substr(path_start);
  const auto colon = authority.rfind(':');
  const std::string host = colon == std::string::npos ? authority : authority.substr(0, colon);
  const auto port = static_cast<std::uint16_t>(colon == std::string::npos ? 80 : std::stoi(authority.substr(colon + 1)));
  const auto peer = resolver_(host, port);
  const int upstream = peer ? connectTo(peer->first, peer->second) : -1;
  if (upstream < 0) {
    reply(fd, 502, "Bad Gateway");
    ::close(fd);
    return;
  }
  ++relayed_;
  sendAll(upstream, data.substr(0, first_space) + " " + path + data.substr(second_space));
  // The stand-in sends Connection: close and its whole body with the head; relay the rest
  // of what it sent, then everything the upstream answers until it closes.
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {upstream, POLLIN, 0}};
    if (::poll(fds, 2, 30000) <= 0) break;
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      sendAll(upstream, std::string_view(buffer, static_cast<std::size_t>(n)));
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      const ssize_t n = ::recv(upstream, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      sendAll(fd, std::string_view(buffer, static_cast<std::size_t>(n)));
    }
  }
  ::close(upstream);
  ::close(fd);
}

}  // namespace oh::testing
