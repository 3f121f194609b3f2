#pragma once
// After a WebSocket handshake (the upstream answered 101), the gateway stops speaking HTTP and
// relays raw bytes both ways. Frames, ping/pong and close pass through untouched, so the gateway
// never needs to understand or re-frame WebSocket. One idle deadline covers both directions:
// traffic either way keeps the tunnel open (websocket.idle_timeout). The client's side is
// metered (websocket_meter.h): a message over websocket.max_message_bytes, or framing no client
// may send, closes the tunnel.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/ip/tcp.hpp>

namespace oh::gateway {

class Worker;

struct TunnelStats {
  std::uint64_t client_to_upstream = 0;
  std::uint64_t upstream_to_client = 0;
};

// `client_pending` / `upstream_pending`: bytes already read past the handshake on each side,
// delivered first. `done` runs once, on the worker thread, when both sides are closed.
void startTunnel(Worker& worker, boost::asio::ip::tcp::socket client, boost::asio::ip::tcp::socket upstream,
                 std::string client_pending, std::string upstream_pending, std::chrono::seconds idle_timeout,
                 std::uint64_t max_message_bytes, std::function<void(const TunnelStats&)> done);

}  // namespace oh::gateway
