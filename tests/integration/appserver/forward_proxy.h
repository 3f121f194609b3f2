#pragma once
// A forward HTTP proxy for the app-server stand-in's tests: the stand-in, like httpx, sends
// requests for non-excluded hosts to HTTP_PROXY with an absolute target; this proxy asks the
// test where each host lives (the sandboxes' *.runtime.oh.test names resolve nowhere on this
// machine) and relays the exchange there, one request per connection.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace oh::testing {

class ForwardProxy {
public:
  // host (and port) of the absolute URL → address and port to connect to, or nullopt (502).
  using Resolver = std::function<std::optional<std::pair<std::string, std::uint16_t>>(const std::string& host,
                                                                                       std::uint16_t port)>;
  // Listens on listen_address (IPv4) at a free port.
  explicit ForwardProxy(Resolver resolver, const std::string& listen_address = "127.0.0.1");
  ~ForwardProxy();
  ForwardProxy(const ForwardProxy&) = delete;
  ForwardProxy& operator=(const ForwardProxy&) = delete;

  std::uint16_t port() const { return port_; }
  int relayed() const { return relayed_.load(); }

private:
  void serve(int fd);

  Resolver resolver_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> relayed_{0};
  std::atomic<int> active_{0};
  std::thread acceptor_;
};

}  // namespace oh::testing
