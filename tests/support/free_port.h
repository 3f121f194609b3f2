#pragma once
// A TCP port free on an IPv4 address at the moment of asking (0 when the address cannot be
// bound), for test peers that must be told their port before they start.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace oh::testing {

inline std::uint16_t freeTcpPortOn(const std::string& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in bound{};
  bound.sin_family = AF_INET;
  socklen_t length = sizeof bound;
  std::uint16_t port = 0;
  if (fd >= 0 && ::inet_pton(AF_INET, address.c_str(), &bound.sin_addr) == 1 &&
      ::bind(fd, reinterpret_cast<sockaddr*>(&bound), sizeof bound) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) == 0) {
    port = ntohs(bound.sin_port);
  }
  if (fd >= 0) {
    ::close(fd);
  }
  return port;
}

}  // namespace oh::testing
