#include "http/gateway_server.h"

#include <latch>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/access_sink.h"
#include "http/worker.h"

namespace oh::gateway {
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
// How often drainAndStop() looks at the count of open connections.
constexpr std::chrono::milliseconds kDrainPollInterval{50};
}  // namespace

struct GatewayServer::Impl {
  Impl(SnapshotPtr s, Metrics& metrics) : snapshot(std::move(s)), shared(metrics) {}

  SnapshotPtr snapshot;
  WorkerShared shared;  // outlives the workers (declared first, destroyed last)
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  bool stopped = false;

  void joinAll() {
    for (auto& worker : workers) {
      worker->context().stop();
    }
    for (auto& thread : threads) {
      if (thread.joinable()) {
        thread.join();
      }
    }
    threads.clear();
    stopped = true;
  }
};

GatewayServer::GatewayServer(SnapshotPtr snapshot, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(snapshot), metrics)) {}

GatewayServer::~GatewayServer() {
  if (!impl_->stopped) {
    impl_->joinAll();
  }
}

std::optional<std::string> GatewayServer::start() {
  const Settings& settings = *impl_->snapshot->settings;
  unsigned threads = settings.server.threads;
  if (threads == 0) {
    threads = std::max(1u, std::thread::hardware_concurrency());
  }
  boost::system::error_code ec;
  const auto address = net::ip::make_address(settings.server.listen_address, ec);
  if (ec) {
    return fmt::format("server.listen_address: '{}' is not an IP address", settings.server.listen_address);
  }
  tcp::endpoint endpoint(address, settings.server.listen_port);
  for (unsigned i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>(i, impl_->snapshot, impl_->shared);
    if (auto listen_ec = worker->listen(endpoint)) {
      return fmt::format("cannot listen on {}:{}: {}", settings.server.listen_address, endpoint.port(),
                         listen_ec.message());
    }
    if (i == 0) {
      // Port 0 means "any free port": the first worker picks it, the others join that port.
      endpoint.port(worker->listenEndpoint()->port());
    }
    impl_->workers.push_back(std::move(worker));
  }
  if (settings.admin.enabled) {
    const auto admin_address = net::ip::make_address(settings.admin.listen_address, ec);
    if (ec || !admin_address.is_loopback()) {
      return fmt::format("admin.listen_address: '{}' must be a loopback address", settings.admin.listen_address);
    }
    if (auto admin_ec = impl_->workers.front()->listenAdmin(tcp::endpoint(admin_address, settings.admin.listen_port))) {
      return fmt::format("cannot listen on admin {}:{}: {}", settings.admin.listen_address, settings.admin.listen_port,
                         admin_ec.message());
    }
  }
  for (auto& worker : impl_->workers) {
    Worker* w = worker.get();
    impl_->threads.emplace_back([w] {
      // Handlers do not throw (errors are values); an exception here is a bug worth a crash log.
      try {
        w->context().run();
        flushAccessLog();
      } catch (const std::exception& e) {
        spdlog::critical("worker {} stopped: {}", w->index(), e.what());
        std::terminate();
      }
    });
  }
  return std::nullopt;
}

ListenAddress GatewayServer::listenAddress() const {
  const auto endpoint = impl_->workers.front()->listenEndpoint();
  return ListenAddress{endpoint->address().to_string(), endpoint->port()};
}

std::optional<ListenAddress> GatewayServer::adminAddress() const {
  const auto endpoint = impl_->workers.front()->adminEndpoint();
  if (!endpoint) {
    return std::nullopt;
  }
  return ListenAddress{endpoint->address().to_string(), endpoint->port()};
}

void GatewayServer::publish(SnapshotPtr snapshot) {
  impl_->snapshot = snapshot;
  // Wait until every worker has switched, so "configuration reloaded" in the log means every
  // request read from then on uses the new snapshot.
  auto applied = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(impl_->workers.size()));
  for (auto& worker : impl_->workers) {
    Worker* w = worker.get();
    net::post(w->context(), [w, snapshot, applied] {
      w->setSnapshot(snapshot);
      applied->count_down();
    });
  }
  applied->wait();
}

void GatewayServer::drainAndStop() {
  impl_->shared.draining.store(true);
  for (auto& worker : impl_->workers) {
    Worker* w = worker.get();
    net::post(w->context(), [w] { w->beginDrain(); });
  }
  const auto deadline = std::chrono::steady_clock::now() + impl_->snapshot->settings->server.drain_timeout;
  while (openConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kDrainPollInterval);
  }
  if (const auto left = openConnections(); left > 0) {
    spdlog::warn("drain timeout reached with {} connections open; closing them", left);
  }
  impl_->joinAll();
  flushAccessLog();  // lines of tunnels closed while the workers' io_contexts were destroyed
}

void GatewayServer::stop() {
  impl_->joinAll();
}

std::size_t GatewayServer::openConnections() const {
  return impl_->shared.open_connections.load();
}

}  // namespace oh::gateway
