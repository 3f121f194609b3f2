#pragma once
// The stand-in's HTTP/1.1 listener: one thread per connection with keep-alive (idle 5 s, as
// uvicorn's timeout_keep_alive), heads over 16 KiB refused with 431 and bodies over 1 MiB with
// 413 before they are read, the client address computed as uvicorn does, OpenHands' rate limit
// applied before the handler, one access-log line per request (method, path, status, client).

#include <cstdint>
#include <string>

#include "app_server.h"
#include "rate_limiter.h"

namespace oh::appserver_standin {

class Server {
public:
  Server(const AppConfig& config, AppServer& app) : config_(config), app_(app) {}

  // Binds config.listen_host:listen_port; the bound port, or 0 with error set.
  std::uint16_t bind(std::string& error);
  // Accepts forever.
  [[noreturn]] void run();

private:
  void serveConnection(int fd, std::string peer);

  const AppConfig& config_;
  AppServer& app_;
  RateLimiter limiter_;
  int listener_ = -1;
};

}  // namespace oh::appserver_standin
