#include "http/worker.h"

#include "http/access_sink.h"

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/socket_base.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace oh::gateway {
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// SO_REUSEPORT lets every worker own an acceptor on the same port; the kernel spreads new
// connections across them, so no accept lock and no hand-off between threads.
using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// A connection idle for less than this is reused without asking the kernel whether the peer
// closed it: upstreams keep idle connections for seconds (uvicorn 5 s), and a request without a
// body that meets a stale connection is retried once anyway. Saves a system call per request
// under load.
constexpr std::chrono::seconds kPeekAfterIdle{1};

// True when the kernel reports the peer closed (or sent unexpected bytes): not reusable.
bool peerClosedOrDirty(boost::beast::tcp_stream& stream) {
  char byte = 0;
  const auto received = ::recv(stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (received < 0) {
    return !(errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;  // 0: orderly close; > 0: bytes nobody asked for
}

}  // namespace

// --- UpstreamPool ----------------------------------------------------------------------------

UpstreamConnectionPtr UpstreamPool::take(const std::string& key, Clock::time_point now,
                                         std::chrono::seconds idle_timeout) {
  while (!idle_.empty()) {
    UpstreamConnectionPtr candidate = std::move(idle_.back());
    idle_.pop_back();
    const auto idle = now - candidate->idle_since;
    if (candidate->key != key || idle >= idle_timeout ||
        (idle >= kPeekAfterIdle && peerClosedOrDirty(candidate->stream))) {
      continue;  // destroyed: closes the socket
    }
    return candidate;
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

void UpstreamPool::sweep(const std::string& key, Clock::time_point now, std::chrono::seconds idle_timeout) {
  std::erase_if(idle_, [&](const UpstreamConnectionPtr& c) {
    return c->key != key || now - c->idle_since >= idle_timeout;
  });
}

// --- Worker ----------------------------------------------------------------------------------

Worker::Worker(unsigned index, SnapshotPtr snapshot, WorkerShared& shared)
    : index_(index), shared_(shared), snapshot_(std::move(snapshot)) {
  scheduleSweep();
  scheduleLogFlush();
}

void Worker::scheduleLogFlush() {
  log_flush_timer_.expires_after(kAccessLogFlushInterval);
  log_flush_timer_.async_wait([this](boost::system::error_code ec) {
    flushAccessLog();
    if (!ec) {
      scheduleLogFlush();
    }
  });
}

void Worker::setSnapshot(SnapshotPtr snapshot) {
  snapshot_ = std::move(snapshot);
  const auto& upstream = snapshot_->settings->upstream;
  pool_.sweep(fmt::format("{}:{}", upstream.host, upstream.port), UpstreamPool::Clock::now(),
              upstream.pool_idle_timeout);
}

std::string Worker::nextRequestId() {
  return fmt::format("{:x}-{:x}", index_, ++request_counter_);
}

boost::system::error_code Worker::listen(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  tcp::acceptor acceptor(context_);
  if (acceptor.open(endpoint.protocol(), ec); ec) return ec;
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) return ec;
  if (acceptor.set_option(ReusePort(true), ec); ec) return ec;
  if (acceptor.bind(endpoint, ec); ec) return ec;
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) return ec;
  acceptor_.emplace(std::move(acceptor));
  doAccept();
  return ec;
}

boost::system::error_code Worker::listenAdmin(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  tcp::acceptor acceptor(context_);
  if (acceptor.open(endpoint.protocol(), ec); ec) return ec;
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) return ec;
  if (acceptor.bind(endpoint, ec); ec) return ec;
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) return ec;
  admin_acceptor_.emplace(std::move(acceptor));
  doAcceptAdmin();
  return ec;
}

std::optional<tcp::endpoint> Worker::listenEndpoint() const {
  if (!acceptor_) return std::nullopt;
  boost::system::error_code ec;
  auto endpoint = acceptor_->local_endpoint(ec);
  if (ec) return std::nullopt;
  return endpoint;
}

std::optional<tcp::endpoint> Worker::adminEndpoint() const {
  if (!admin_acceptor_) return std::nullopt;
  boost::system::error_code ec;
  auto endpoint = admin_acceptor_->local_endpoint(ec);
  if (ec) return std::nullopt;
  return endpoint;
}

void Worker::doAccept() {
  acceptor_->async_accept(context_, [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_ || !acceptor_->is_open()) {
      return;  // draining: the acceptor was closed
    }
    if (!ec) {
      const auto limit = snapshot_->settings->server.max_connections;
      if (shared_.open_connections.load(std::memory_order_relaxed) >= limit) {
        // Over server.max_connections: refuse cheaply instead of exhausting file descriptors.
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        socket.set_option(tcp::no_delay(true), ec);
        startClientSession(*this, std::move(socket));
      }
      doAccept();
      return;
    }
    // EMFILE and friends: the condition is usually transient, but retrying at once would fail
    // at once again and spin a core; wait a little, as nginx does.
    spdlog::warn("accept failed: {}; retrying in 100 ms", ec.message());
    accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
    accept_retry_timer_.async_wait([this](boost::system::error_code wait_ec) {
      if (!wait_ec) {
        doAccept();
      }
    });
  });
}

void Worker::doAcceptAdmin() {
  admin_acceptor_->async_accept(context_, [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !admin_acceptor_ || !admin_acceptor_->is_open()) {
      return;
    }
    if (!ec) {
      startAdminSession(*this, std::move(socket));
    }
    doAcceptAdmin();
  });
}

void Worker::scheduleSweep() {
  const auto interval = std::max(std::chrono::seconds(1), snapshot_->settings->upstream.pool_idle_timeout / 2);
  sweep_timer_.expires_after(interval);
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) {
      return;
    }
    const auto& upstream = snapshot_->settings->upstream;
    pool_.sweep(fmt::format("{}:{}", upstream.host, upstream.port), UpstreamPool::Clock::now(),
                upstream.pool_idle_timeout);
    if (!draining()) {
      scheduleSweep();
    }
  });
}

void Worker::beginDrain() {
  boost::system::error_code ignored;
  if (acceptor_) {
    acceptor_->close(ignored);
  }
  sweep_timer_.cancel();
  accept_retry_timer_.cancel();
  pool_.clear();
  flushAccessLog();
  // onDrain() may remove the target from the set: iterate over a copy.
  const auto targets = std::vector<DrainTarget*>(drain_targets_.begin(), drain_targets_.end());
  for (auto* target : targets) {
    if (drain_targets_.contains(target)) {
      target->onDrain();
    }
  }
}

}  // namespace oh::gateway
