#include "http/upstream_pool.h"

#include <sys/socket.h>

#include <cerrno>

namespace oh::gateway {
namespace {

// A connection idle for less than this is reused without asking the kernel whether the peer
// closed it: upstreams keep idle connections for seconds (uvicorn 5 s), and a request without a
// body that meets a stale connection is retried once anyway. Saves a system call per request
// under load.
constexpr std::chrono::seconds kPeekAfterIdle{1};

// True when the kernel reports the peer closed (or sent unexpected bytes): not reusable.
bool peerClosedOrDirty(UpstreamConnection& connection) {
  char byte = 0;
  const auto received = ::recv(connection.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (received < 0) {
    return !(errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;  // 0: orderly close; > 0: bytes nobody asked for
}

}  // namespace

UpstreamConnectionPtr UpstreamPool::take(const std::string& key, Clock::time_point now,
                                         std::chrono::seconds idle_timeout) {
  // Most recently used first. Connections to other targets (the OpenHands upstream, other
  // apps) stay pooled; only expired or dead ones met on the way are closed.
  for (std::size_t i = idle_.size(); i-- > 0;) {
    UpstreamConnection& candidate = *idle_[i];
    const auto idle = now - candidate.idle_since;
    if (idle >= idle_timeout) {
      idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));  // destroyed: closes the socket
      continue;
    }
    if (candidate.key != key) {
      continue;
    }
    UpstreamConnectionPtr taken = std::move(idle_[i]);
    idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
    if (idle >= kPeekAfterIdle && peerClosedOrDirty(*taken)) {
      continue;
    }
    return taken;
  }
  return nullptr;
}

void UpstreamPool::put(UpstreamConnectionPtr connection, std::size_t max_idle, Clock::time_point now) {
  if (idle_.size() >= max_idle) {
    return;
  }
  connection->idle_since = now;
  // Idle connections hold no read buffer: the next exchange reserves what it needs.
  connection->buffer.clear();
  connection->buffer.shrink_to_fit();
  idle_.push_back(std::move(connection));
}

void UpstreamPool::sweep(Clock::time_point now, std::chrono::seconds idle_timeout) {
  std::erase_if(idle_, [&](const UpstreamConnectionPtr& c) { return now - c->idle_since >= idle_timeout; });
}

void UpstreamPool::dropKey(const std::string& key) {
  std::erase_if(idle_, [&](const UpstreamConnectionPtr& c) { return c->key == key; });
}

}  // namespace oh::gateway
