// The HTTP health probe against loopback listeners that answer 200, 503, garbage, nothing at
// all, or close at once: only a 200 status line is healthy, and no answer costs the deadline.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "appserver/health_probe.h"

namespace oh::control {
namespace {

// Accepts connections on 127.0.0.1 and writes `answer` to each (or nothing when silent).
class CannedListener {
public:
  CannedListener(std::string answer, bool silent = false) : answer_(std::move(answer)), silent_(silent) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length);
    ::listen(fd_, 16);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0 || stopping_) {
          if (client >= 0) {
            ::close(client);
          }
          return;
        }
        char request[4096];
        const ssize_t n = ::recv(client, request, sizeof request, 0);
        if (n > 0) {
          received_.assign(request, static_cast<std::size_t>(n));
        }
        if (!silent_) {
          (void)::send(client, answer_.data(), answer_.size(), MSG_NOSIGNAL);
          ::close(client);
        } else {
          held_ = client;  // keeps it open, says nothing
        }
      }
    });
  }
  ~CannedListener() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
    if (held_ >= 0) {
      ::close(held_);
    }
  }
  std::uint16_t port() const { return port_; }
  const std::string& received() const { return received_; }

private:
  std::string answer_;
  bool silent_;
  int fd_ = -1;
  int held_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::string received_;
  std::thread thread_;
};

constexpr std::chrono::milliseconds kTimeout{2000};

TEST(HealthProbe, A200IsHealthyAndTheRequestIsAPlainGetOfThePath) {
  CannedListener listener("HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}");
  EXPECT_TRUE(makeHttpHealthProbe()->healthy("127.0.0.1", listener.port(), "/alive", kTimeout));
  EXPECT_EQ(listener.received().rfind("GET /alive HTTP/1.1\r\n", 0), 0u);
}

TEST(HealthProbe, AStatusLineWithoutReasonIsRead) {
  CannedListener listener("HTTP/1.0 200\r\n\r\n");
  EXPECT_TRUE(makeHttpHealthProbe()->healthy("127.0.0.1", listener.port(), "/alive", kTimeout));
}

TEST(HealthProbe, AnythingButA200IsNotHealthy) {
  for (const std::string& answer : std::vector<std::string>{"HTTP/1.1 503 Service Unavailable\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
                                   "SSH-2.0-OpenSSH_9.2\r\n", "HTTP/1.1 20", "", "200 OK\r\n\r\n",
                                   "HTTP/1.1 301 Moved\r\nLocation: /200\r\n\r\n"}) {
    CannedListener listener(answer);
    EXPECT_FALSE(makeHttpHealthProbe()->healthy("127.0.0.1", listener.port(), "/alive", kTimeout)) << answer;
  }
}

TEST(HealthProbe, ASilentServerCostsTheDeadlineAndNoMore) {
  CannedListener listener("", /*silent=*/true);
  const auto began = std::chrono::steady_clock::now();
  EXPECT_FALSE(makeHttpHealthProbe()->healthy("127.0.0.1", listener.port(), "/alive", std::chrono::milliseconds(200)));
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(10));  // bounded, not timed
}

TEST(HealthProbe, NamesMalformedAddressesAndPathsAreRefusedWithoutAConnection) {
  CannedListener listener("HTTP/1.1 200 OK\r\n\r\n");
  auto probe = makeHttpHealthProbe();
  EXPECT_FALSE(probe->healthy("localhost", listener.port(), "/alive", kTimeout));  // names: never resolved
  EXPECT_FALSE(probe->healthy("", listener.port(), "/alive", kTimeout));
  EXPECT_FALSE(probe->healthy("127.0.0.1", listener.port(), "alive", kTimeout));
  EXPECT_FALSE(probe->healthy("127.0.0.1", listener.port(), "/alive HTTP/1.1\r\nX: y", kTimeout));
  EXPECT_EQ(listener.received(), "");
}

TEST(HealthProbe, NothingListeningIsNotHealthy) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), length);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  EXPECT_FALSE(makeHttpHealthProbe()->healthy("127.0.0.1", ntohs(address.sin_port), "/alive", kTimeout));
}

}  // namespace
}  // namespace oh::control
