#pragma once
// Idle keep-alive connections to the upstream and to users' apps, one pool per worker thread (so
// no locks: a worker's io_context runs on one thread). Connections are handed out
// most-recently-used first (warm, least likely to have been closed by the peer) and checked for
// a peer close before reuse; idle ones older than upstream.pool_idle_timeout are closed by
// sweep(). Targets share the pool without closing each other's connections.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>

#include "http/buffer_recycler.h"
#include "http/worker_socket.h"

namespace oh::gateway {

// A connection's read buffer, its memory taken from and given back to the worker's recycler.
using ConnectionBuffer = boost::beast::basic_flat_buffer<RecyclingAllocator<char>>;

struct UpstreamConnection {
  UpstreamConnection(const boost::asio::io_context::executor_type& executor, BufferRecycler& recycler)
      : socket(executor), buffer(RecyclingAllocator<char>(recycler)) {}
  WorkerSocket socket;  // its waits are timed by the client session's deadline
  ConnectionBuffer buffer;  // bytes read from the upstream and not yet parsed
  std::string key;                   // "host:port" it is connected to
  std::chrono::steady_clock::time_point idle_since{};
};

using UpstreamConnectionPtr = std::unique_ptr<UpstreamConnection>;

class UpstreamPool {
public:
  using Clock = std::chrono::steady_clock;

  // A live idle connection to `key`, or null. Expired ones met on the way, and a dead one to
  // `key`, are closed; live connections to other keys stay.
  UpstreamConnectionPtr take(const std::string& key, Clock::time_point now, std::chrono::seconds idle_timeout);

  // Keeps `connection` for reuse unless the pool already holds max_idle connections.
  void put(UpstreamConnectionPtr connection, std::size_t max_idle, Clock::time_point now);

  // Closes connections idle longer than idle_timeout, whatever their key.
  void sweep(Clock::time_point now, std::chrono::seconds idle_timeout);

  // Closes every idle connection to `key` (the upstream replaced on reload).
  void dropKey(const std::string& key);

  void clear() { idle_.clear(); }
  std::size_t idleCount() const { return idle_.size(); }

private:
  std::vector<UpstreamConnectionPtr> idle_;
};

}  // namespace oh::gateway
