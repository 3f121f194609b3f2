// The Docker API follower behind ContainerDirectory. The only Beast translation unit of
// oh_gateway_runtime: HTTP/1.1 over the Unix socket (boost::asio::local::stream_protocol), as
// C++20 coroutines on one io_context owned by the directory's thread.
//
// Two coroutines share that thread (so no locks between them):
// - followEvents: GET /events (container and network events), decoded object by object; each
//   event that can change the index queues its container id and wakes the refresher. On a
//   dropped stream it reconnects with backoff and asks for a full re-list.
// - refresh: lists all containers (at start, after a reconnect, when many ids are queued, and
//   every resync interval as a safety net), otherwise lists the queued ids one by one with an
//   id filter (the same answer shape as the full list, so one parser), and publishes a new
//   immutable index.
//
// A failed list while the events stream is up and a full list has succeeded since it connected
// keeps the directory ready: the index is current except for the containers queued events
// named, and those are dropped from it (404 until re-listed) rather than served stale, since
// Docker reuses a stopped container's IP. A slow daemon thus costs the changed containers only,
// not every app (a 1,000-container list can exceed the request timeout on a starved host).
//
// Podman sends the /events response head only with the first event, so the follower does not
// wait for it before the first list: it sends the request, then the list runs, then the head
// and events are read as they come.

#include "runtime/container_directory.h"

#include <algorithm>
#include <array>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <sys/un.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include "common/text.h"
#include "runtime/docker_json.h"

namespace oh::gateway {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Socket = asio::local::stream_protocol::socket;
using SocketPtr = std::shared_ptr<Socket>;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// {"type":["container","network"]}, percent-encoded.
constexpr std::string_view kEventsTarget =
    "/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%7D";
constexpr std::chrono::seconds kResyncInterval{60};

bool plausibleContainerId(std::string_view id) {
  if (id.empty() || id.size() > 128) {
    return false;
  }
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

http::request<http::empty_body> getRequest(std::string_view target, bool keep_alive) {
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "docker");
  request.set(http::field::user_agent, "oh-gateway");
  request.keep_alive(keep_alive);
  return request;
}

}  // namespace

struct ContainerDirectory::Impl {
  Impl(ContainerDirectory& owner, RuntimeSettings settings, ContainerDirectoryOptions options)
      : owner_(owner), settings_(std::move(settings)), options_(options), io_(std::make_unique<asio::io_context>(1)) {
    wake_.emplace(*io_);
  }

  void start() {
    // asio's endpoint constructor throws for a path that does not fit sockaddr_un: refuse it
    // here rather than inside a coroutine.
    if (settings_.docker_socket.empty() || settings_.docker_socket.size() >= sizeof(sockaddr_un{}.sun_path)) {
      owner_.setNotReady("docker API unreachable: runtime.docker_socket is empty or too long for a Unix socket");
      return;
    }
    asio::co_spawn(*io_, followEvents(), asio::detached);
    asio::co_spawn(*io_, refresh(), asio::detached);
    thread_ = std::thread([this] {
      try {
        io_->run();
      } catch (const std::exception& e) {
        // Not expected (every operation reports errors as values); never take the gateway down.
        spdlog::error("runtime: container directory stopped: {}", e.what());
        owner_.setNotReady(std::string("docker API unreachable: directory stopped: ") + e.what());
      }
    });
  }

  // Stops the thread, then destroys the suspended coroutines (closing their sockets, so the
  // daemon sees the connections end now, not when the directory is destroyed).
  void stop() {
    if (!io_) {
      return;
    }
    io_->stop();
    if (thread_.joinable()) {
      thread_.join();
    }
    wake_.reset();
    io_.reset();
  }

  // GET target on a fresh connection; the body, or nullopt with `error` set.
  asio::awaitable<std::optional<std::string>> get(std::string target, std::string& error) {
    auto socket = std::make_shared<Socket>(*io_);
    asio::steady_timer watchdog(*io_);
    watchdog.expires_after(options_.request_timeout);
    // Closing the socket ends whichever operation is pending; the shared_ptr keeps the socket
    // alive for a handler that fires after this coroutine has moved on.
    watchdog.async_wait([socket](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ignored;
        socket->close(ignored);
      }
    });
    auto [connect_ec] = co_await socket->async_connect(asio::local::stream_protocol::endpoint(settings_.docker_socket), kTuple);
    if (connect_ec) {
      error = "connect " + settings_.docker_socket + ": " + connect_ec.message();
      co_return std::nullopt;
    }
    auto request = getRequest(target, false);
    auto [write_ec, written] = co_await http::async_write(*socket, request, kTuple);
    if (write_ec) {
      error = "write: " + write_ec.message();
      co_return std::nullopt;
    }
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(options_.max_list_bytes);
    auto [read_ec, read] = co_await http::async_read(*socket, buffer, parser, kTuple);
    watchdog.cancel();
    boost::system::error_code ignored;
    socket->close(ignored);
    if (read_ec) {
      error = read_ec == http::error::body_limit ? "answer over the size limit" : "read: " + read_ec.message();
      co_return std::nullopt;
    }
    if (parser.get().result_int() != 200) {
      error = "status " + std::to_string(parser.get().result_int());
      co_return std::nullopt;
    }
    co_return std::move(parser.get().body());
  }

  // `changed`: the containers queued events named, dropped from the index if the list fails.
  asio::awaitable<bool> listAll(const std::vector<std::string>& changed) {
    std::string error;
    auto body = co_await get("/containers/json?all=true", error);
    if (!body) {
      listFailed(error, changed);
      co_return false;
    }
    ContainerListResult result = parseContainerList(*body, settings_);
    if (!result.ok()) {
      listFailed(result.error, changed);
      co_return false;
    }
    list_ok_ = true;
    listed_since_subscribed_ = events_up_;
    owner_.publish(std::make_shared<const ContainerIndex>(std::move(result.containers)));
    updateReadiness();
    co_return true;
  }

  asio::awaitable<bool> listOne(const std::string& id) {
    std::string error;
    const std::string filter = "{\"id\":[\"" + id + "\"]}";
    auto body = co_await get("/containers/json?all=true&filters=" + common::percentEncode(filter), error);
    if (!body) {
      listFailed(error, {id});
      co_return false;
    }
    ContainerListResult result = parseContainerList(*body, settings_);
    if (!result.ok()) {
      listFailed(result.error, {id});
      co_return false;
    }
    ContainerRecordPtr record;
    for (ContainerRecordPtr& candidate : result.containers) {
      if (candidate->id == id) {
        record = std::move(candidate);
      }
    }
    owner_.publish(owner_.index()->with(id, std::move(record)));
    co_return true;
  }

  void listFailed(const std::string& error, const std::vector<std::string>& changed) {
    relist_all_ = true;  // retried with backoff
    if (events_up_ && listed_since_subscribed_) {
      ContainerIndexPtr index = owner_.index();
      for (const std::string& id : changed) {
        index = index->with(id, nullptr);
      }
      if (!changed.empty()) {
        owner_.publish(std::move(index));
      }
      spdlog::warn("runtime: listing failed ({}); serving the index events keep current, without the {} "
                   "container(s) they named since",
                   error, changed.size());
      return;
    }
    list_ok_ = false;
    list_error_ = error;
    updateReadiness();
  }

  void updateReadiness() {
    if (list_ok_ && events_up_) {
      if (!owner_.ready_.load()) {
        spdlog::info("runtime: docker API at {} listed, following events", settings_.docker_socket);
      }
      owner_.setNotReady(std::nullopt);
      return;
    }
    std::string reason = "docker API unreachable: ";
    reason += !list_ok_ ? list_error_ : events_error_;
    if (owner_.ready_.load()) {
      spdlog::warn("runtime: {}", reason);
    }
    owner_.setNotReady(std::move(reason));
  }

  asio::awaitable<void> refresh() {
    std::chrono::milliseconds backoff = options_.initial_backoff;
    while (true) {
      bool ok = true;
      if (relist_all_ || pending_.size() > options_.relist_all_threshold) {
        relist_all_ = false;
        const std::vector<std::string> changed(pending_.begin(), pending_.end());
        pending_.clear();
        ok = co_await listAll(changed);
      } else if (!pending_.empty()) {
        const std::string id = *pending_.begin();
        pending_.erase(pending_.begin());
        ok = co_await listOne(id);
      }
      if (!ok) {
        asio::steady_timer pause(*io_);
        pause.expires_after(backoff);
        co_await pause.async_wait(kTuple);
        backoff = std::min(backoff * 2, options_.max_backoff);
        continue;
      }
      backoff = options_.initial_backoff;
      if (!pending_.empty() || relist_all_) {
        continue;
      }
      wake_->expires_after(kResyncInterval);
      auto [ec] = co_await wake_->async_wait(kTuple);
      if (!ec) {
        relist_all_ = true;  // the periodic safety net against a missed event
      }
    }
  }

  void wakeRefresher() { wake_->cancel(); }

  asio::awaitable<void> followEvents() {
    std::chrono::milliseconds backoff = options_.initial_backoff;
    while (true) {
      const std::string error = co_await followOnce();
      events_up_ = false;
      events_error_ = error;
      updateReadiness();
      asio::steady_timer pause(*io_);
      pause.expires_after(backoff);
      co_await pause.async_wait(kTuple);
      backoff = std::min(backoff * 2, options_.max_backoff);
      if (connected_once_) {
        backoff = options_.initial_backoff;  // the stream worked: retry soon
        connected_once_ = false;
      }
    }
  }

  // One events connection, until it fails; returns why.
  asio::awaitable<std::string> followOnce() {
    Socket socket(*io_);
    auto [connect_ec] = co_await socket.async_connect(asio::local::stream_protocol::endpoint(settings_.docker_socket), kTuple);
    if (connect_ec) {
      co_return "connect " + settings_.docker_socket + ": " + connect_ec.message();
    }
    auto request = getRequest(kEventsTarget, true);
    auto [write_ec, written] = co_await http::async_write(socket, request, kTuple);
    if (write_ec) {
      co_return "events write: " + write_ec.message();
    }
    // Subscribed (the daemon answers the head with the first event): now the full list. Until it
    // succeeds the index may miss what happened while no stream was open.
    events_up_ = true;
    listed_since_subscribed_ = false;
    relist_all_ = true;
    wakeRefresher();

    boost::beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(boost::none);
    auto [head_ec, head_read] = co_await http::async_read_header(socket, buffer, parser, kTuple);
    if (head_ec) {
      co_return "events head: " + head_ec.message();
    }
    if (parser.get().result_int() != 200) {
      co_return "events status " + std::to_string(parser.get().result_int());
    }
    connected_once_ = true;
    EventStreamDecoder decoder(options_.max_event_bytes);
    std::array<char, 16 * 1024> chunk{};
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      auto [read_ec, read] = co_await http::async_read_some(socket, buffer, parser, kTuple);
      if (read_ec && read_ec != http::error::need_buffer) {
        co_return "events read: " + read_ec.message();
      }
      const std::size_t got = chunk.size() - parser.get().body().size;
      bool queued = false;
      auto problem = decoder.feed(std::string_view(chunk.data(), got), [&](const DockerEvent& event) {
        if (event.affectsIndex() && plausibleContainerId(event.container_id)) {
          pending_.insert(event.container_id);
          queued = true;
        }
      });
      if (queued) {
        wakeRefresher();
      }
      if (problem) {
        co_return *problem;
      }
    }
    co_return "events stream ended";
  }

  ContainerDirectory& owner_;
  RuntimeSettings settings_;
  ContainerDirectoryOptions options_;
  std::unique_ptr<asio::io_context> io_;
  std::optional<asio::steady_timer> wake_;  // destroyed before io_
  std::thread thread_;
  // Touched only on the io_context's thread.
  std::set<std::string> pending_;
  bool relist_all_ = true;
  bool list_ok_ = false;
  bool events_up_ = false;
  bool listed_since_subscribed_ = false;  // a full list succeeded since the events stream opened
  bool connected_once_ = false;
  std::string list_error_ = "not listed yet";
  std::string events_error_ = "not connected yet";
};

ContainerDirectory::ContainerDirectory() {
  index_.store(std::make_shared<const ContainerIndex>());
  not_ready_.store(std::make_shared<const std::string>("docker API unreachable: not listed yet"));
}

ContainerDirectory::~ContainerDirectory() { stop(); }

std::shared_ptr<ContainerDirectory> ContainerDirectory::start(const RuntimeSettings& settings,
                                                              ContainerDirectoryOptions options) {
  std::shared_ptr<ContainerDirectory> directory(new ContainerDirectory());
  directory->impl_ = std::make_unique<Impl>(*directory, settings, options);
  directory->impl_->start();
  return directory;
}

std::shared_ptr<ContainerDirectory> ContainerDirectory::fixed(ContainerIndexPtr index,
                                                              std::optional<std::string> not_ready) {
  std::shared_ptr<ContainerDirectory> directory(new ContainerDirectory());
  directory->publish(index ? std::move(index) : std::make_shared<const ContainerIndex>());
  directory->setNotReady(std::move(not_ready));
  return directory;
}

std::optional<std::string> ContainerDirectory::notReadyReason() const {
  if (ready_.load(std::memory_order_acquire)) {
    return std::nullopt;
  }
  const auto reason = not_ready_.load(std::memory_order_acquire);
  return reason ? *reason : std::string("docker API unreachable");
}

void ContainerDirectory::stop() {
  if (impl_) {
    impl_->stop();
  }
}

void ContainerDirectory::publish(ContainerIndexPtr index) {
  index_.store(std::move(index), std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

void ContainerDirectory::setNotReady(std::optional<std::string> reason) {
  if (reason) {
    not_ready_.store(std::make_shared<const std::string>(std::move(*reason)), std::memory_order_release);
    ready_.store(false, std::memory_order_release);
  } else {
    ready_.store(true, std::memory_order_release);
  }
}

}  // namespace oh::gateway
