#include "http/worker.h"

#include "http/access_sink.h"

#include <sys/socket.h>

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

std::string upstreamKey(const Settings& settings) {
  return fmt::format("{}:{}", settings.upstream.host, settings.upstream.port);
}

}  // namespace

Worker::Worker(unsigned index, SnapshotPtr snapshot, WorkerShared& shared)
    : index_(index), shared_(shared), snapshot_(std::move(snapshot)) {
  scheduleSweep();
  scheduleDeadlineCheck();
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
  const std::string old_upstream = upstreamKey(*snapshot_->settings);
  snapshot_ = std::move(snapshot);
  if (upstreamKey(*snapshot_->settings) != old_upstream) {
    pool_.dropKey(old_upstream);  // the upstream was replaced on reload
  }
  pool_.sweep(UpstreamPool::Clock::now(), snapshot_->settings->upstream.pool_idle_timeout);
}

std::string Worker::requestId(std::uint64_t number) const {
  return fmt::format("{:x}-{:x}", index_, number);
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
  acceptor_->async_accept(context_, [this](boost::system::error_code ec, WorkerSocket socket) {
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
    pool_.sweep(UpstreamPool::Clock::now(), snapshot_->settings->upstream.pool_idle_timeout);
    if (!draining()) {
      scheduleSweep();
    }
  });
}

void Worker::scheduleDeadlineCheck() {
  deadline_timer_.expires_after(kDeadlineTick);
  deadline_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    // A connection whose wait ends closes sockets but never destroys itself here (its
    // handlers run later), so the set is not changed while it is walked.
    for (auto* connection : connections_) {
      connection->checkDeadline(now);
    }
    scheduleDeadlineCheck();
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
  // onDrain() may remove the connection from the set: iterate over a copy.
  const auto connections = std::vector<WorkerConnection*>(connections_.begin(), connections_.end());
  for (auto* connection : connections) {
    if (connections_.contains(connection)) {
      connection->onDrain();
    }
  }
}

}  // namespace oh::gateway
