#pragma once
// oh-gateway's HTTP server: one worker (io_context + thread + SO_REUSEPORT acceptor + upstream
// pool) per server.threads, an admin listener on loopback for /metrics, configuration
// snapshots published to every worker, and a bounded drain for SIGTERM.
//
//   GatewayServer server(snapshot, metrics);
//   if (auto error = server.start()) { ... }      // binds, starts threads
//   std::cout << server.listenAddress() ...;      // real port when listen_port = 0
//   server.publish(new_snapshot);                 // SIGHUP
//   server.drainAndStop();                        // SIGTERM; blocks up to server.drain_timeout
//
// Beast-free on purpose: main.cpp and tests include it without paying Beast's compile time.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/gateway_snapshot.h"
#include "observability/metrics.h"

namespace oh::gateway {

struct ListenAddress {
  std::string address;
  std::uint16_t port = 0;
};

class GatewayServer {
public:
  GatewayServer(SnapshotPtr snapshot, Metrics& metrics);
  ~GatewayServer();
  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;

  // Binds the listeners and starts the worker threads; the problem as text when a bind fails.
  std::optional<std::string> start();

  ListenAddress listenAddress() const;
  std::optional<ListenAddress> adminAddress() const;

  // Makes `snapshot` current for every request that starts after each worker picks it up.
  // Listener addresses are bound once: changing them needs a restart (logged by the caller).
  void publish(SnapshotPtr snapshot);

  // Stops accepting, closes idle keep-alive connections and WebSocket tunnels, lets in-flight
  // exchanges finish until server.drain_timeout, then stops the workers. Blocks until done.
  void drainAndStop();

  // Stops everything at once (tests and fatal errors).
  void stop();

  std::size_t openConnections() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oh::gateway
