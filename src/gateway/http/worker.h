#pragma once
// One worker per thread: its own io_context (so every connection it owns runs on an implicit
// strand: one thread, no locks), its own SO_REUSEPORT acceptor on the shared listen port, its
// own upstream pool and its own copy of the current configuration snapshot.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http/gateway_snapshot.h"
#include "http/upstream_pool.h"
#include "http/worker_socket.h"
#include "observability/metrics.h"

namespace oh::gateway {

// How often the worker looks for connections whose wait has outlived its deadline: the
// precision of every read, write and connect timeout (they are whole seconds).
inline constexpr std::chrono::milliseconds kDeadlineTick{250};

// A connection the worker knows of: it closes or finishes when the gateway drains (SIGTERM),
// and ends a wait that outlives its deadline. One periodic check for all connections replaces
// a timer operation per read and write, which cost more than the read or write itself.
class WorkerConnection {
public:
  virtual ~WorkerConnection() = default;
  virtual void onDrain() = 0;
  // Every kDeadlineTick, on the worker thread.
  virtual void checkDeadline(std::chrono::steady_clock::time_point /*now*/) {}
};

// State shared by all workers; every member is thread-safe.
struct WorkerShared {
  explicit WorkerShared(Metrics& m) : metrics(m) {}
  Metrics& metrics;
  std::atomic<std::size_t> open_connections{0};  // client connections, tunnels included
  std::atomic<bool> draining{false};
};

class Worker {
public:
  Worker(unsigned index, SnapshotPtr snapshot, WorkerShared& shared);

  boost::asio::io_context& context() { return context_; }
  unsigned index() const { return index_; }

  // Worker thread only.
  const SnapshotPtr& snapshot() const { return snapshot_; }
  void setSnapshot(SnapshotPtr snapshot);
  UpstreamPool& pool() { return pool_; }
  BufferRecycler& recycler() { return recycler_; }
  Metrics& metrics() { return shared_.metrics; }
  WorkerShared& shared() { return shared_; }
  bool draining() const { return shared_.draining.load(std::memory_order_relaxed); }
  void add(WorkerConnection* connection) { connections_.insert(connection); }
  void remove(WorkerConnection* connection) { connections_.erase(connection); }
  // Requests are numbered per worker; requestId() names one for the logs ("{worker}-{number}",
  // hex), formatted only when a log line needs it.
  std::uint64_t nextRequestNumber() { return ++request_counter_; }
  std::string requestId(std::uint64_t number) const;

  // Binds an acceptor (SO_REUSEPORT so every worker can bind the same port) and starts accepting.
  boost::system::error_code listen(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::system::error_code listenAdmin(const boost::asio::ip::tcp::endpoint& endpoint);
  std::optional<boost::asio::ip::tcp::endpoint> listenEndpoint() const;
  std::optional<boost::asio::ip::tcp::endpoint> adminEndpoint() const;

  // Worker thread only: close the acceptors and tell every connection.
  void beginDrain();

private:
  void doAccept();
  void doAcceptAdmin();
  void scheduleSweep();
  void scheduleDeadlineCheck();
  void scheduleLogFlush();

  // Order matters: handlers still queued when the io_context is destroyed destroy sessions,
  // which unregister from connections_ and update shared_, so both must outlive context_;
  // everything holding sockets must die before it.
  unsigned index_;
  WorkerShared& shared_;
  std::unordered_set<WorkerConnection*> connections_;
  BufferRecycler recycler_;  // outlives everything holding its buffers
  boost::asio::io_context context_{1};
  SnapshotPtr snapshot_;
  UpstreamPool pool_;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::optional<boost::asio::ip::tcp::acceptor> admin_acceptor_;
  boost::asio::steady_timer sweep_timer_{context_};
  boost::asio::steady_timer deadline_timer_{context_};
  boost::asio::steady_timer log_flush_timer_{context_};
  boost::asio::steady_timer accept_retry_timer_{context_};
  std::uint64_t request_counter_ = 0;
};

// Starts serving one accepted client connection on `worker` (client_session.cpp).
void startClientSession(Worker& worker, WorkerSocket socket);

// Starts serving one admin connection (GET /metrics) (admin_session.cpp).
void startAdminSession(Worker& worker, boost::asio::ip::tcp::socket socket);

}  // namespace oh::gateway
