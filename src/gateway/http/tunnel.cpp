#include "http/tunnel.h"

#include <array>
#include <memory>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <spdlog/spdlog.h>

#include "http/websocket_meter.h"
#include "http/worker.h"

namespace oh::gateway {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Bytes moved per readiness event and direction, through one scratch buffer per thread.
constexpr std::size_t kTunnelBufferBytes = 64 * 1024;
// Reads relayed in a row before a busy tunnel lets the worker's other connections run.
constexpr int kRoundsBeforeYield = 16;

class Tunnel : public std::enable_shared_from_this<Tunnel>, public WorkerConnection {
public:
  Tunnel(Worker& worker, tcp::socket client, tcp::socket upstream, std::chrono::seconds idle_timeout,
         std::uint64_t max_message_bytes, std::function<void(const TunnelStats&)> done)
      : worker_(worker), client_(std::move(client)), upstream_(std::move(upstream)), timer_(worker.context()),
        idle_timeout_(idle_timeout), meter_(max_message_bytes), done_(std::move(done)) {
    worker_.add(this);
  }

  ~Tunnel() override {
    worker_.remove(this);
    if (done_) {
      done_(stats_);
    }
  }

  Tunnel(const Tunnel&) = delete;
  Tunnel& operator=(const Tunnel&) = delete;

  void start(std::string client_pending, std::string upstream_pending) {
    touch();
    armTimer();
    // Bytes that arrived with the handshake go first, then each direction pumps on its own.
    boost::system::error_code ec;
    client_.non_blocking(true, ec);
    upstream_.non_blocking(true, ec);
    if (ec) {
      return closeBoth();
    }
    if (!admitFromClient(client_pending)) {
      return closeBoth();
    }
    writeThen(upstream_, std::move(client_pending), [](const std::shared_ptr<Tunnel>& self) {
      self->pump(self->client_, self->upstream_, self->stats_.client_to_upstream);
    });
    writeThen(client_, std::move(upstream_pending), [](const std::shared_ptr<Tunnel>& self) {
      self->pump(self->upstream_, self->client_, self->stats_.upstream_to_client);
    });
  }

  // WorkerConnection: a tunnel has no request boundary to wait for; the client reconnects elsewhere.
  void onDrain() override { closeBoth(); }

private:
  template <class Next>
  void writeThen(tcp::socket& to, std::string pending, Next next) {
    if (pending.empty()) {
      return next(shared_from_this());
    }
    auto data = std::make_shared<std::string>(std::move(pending));
    net::async_write(to, net::buffer(*data),
                     [self = shared_from_this(), data, next](boost::system::error_code ec, std::size_t) {
                       if (ec) {
                         return self->closeBoth();
                       }
                       next(self);
                     });
  }

  // Reads whatever is there now into the thread's scratch buffer and writes it straight on;
  // only when the socket has nothing does it wait for readability. So an idle tunnel owns no
  // buffer, and only what a slow peer cannot take at once is copied to the heap. Reading before
  // waiting matters: the reactor is edge-triggered, so bytes that arrived before the wait was
  // registered would otherwise never wake it.
  void pump(tcp::socket& from, tcp::socket& to, std::uint64_t& counter) {
    thread_local std::array<char, kTunnelBufferBytes> scratch;
    for (int round = 0; round < kRoundsBeforeYield; ++round) {
      if (closed_) {
        return;
      }
      boost::system::error_code read_ec;
      const std::size_t n = from.read_some(net::buffer(scratch), read_ec);
      if (read_ec == net::error::would_block) {
        from.async_wait(tcp::socket::wait_read, [self = shared_from_this(), &from, &to, &counter](
                                                    boost::system::error_code ec) {
          if (ec || self->closed_) {
            return self->closeBoth();
          }
          self->pump(from, to, counter);
        });
        return;
      }
      if (read_ec) {
        // EOF or reset on one side ends the conversation: pass the close on to the other side.
        return closeBoth();
      }
      touch();
      if (&from == &client_ && !admitFromClient(std::string_view(scratch.data(), n))) {
        return closeBoth();
      }
      counter += n;
      std::size_t written = 0;
      boost::system::error_code write_ec;
      while (written < n && !write_ec) {
        written += to.write_some(net::buffer(scratch.data() + written, n - written), write_ec);
      }
      if (write_ec && write_ec != net::error::would_block) {
        return closeBoth();
      }
      if (written < n) {
        auto rest = std::make_shared<std::string>(scratch.data() + written, n - written);
        net::async_write(to, net::buffer(*rest),
                         [self = shared_from_this(), rest, &from, &to, &counter](boost::system::error_code async_ec,
                                                                                 std::size_t) {
                           if (async_ec) {
                             return self->closeBoth();
                           }
                           self->touch();
                           self->pump(from, to, counter);
                         });
        return;
      }
    }
    // A busy tunnel yields so other connections of this worker get their turn.
    net::post(from.get_executor(), [self = shared_from_this(), &from, &to, &counter] { self->pump(from, to, counter); });
  }

  // False when the client's bytes complete a message over the limit or break the framing; the
  // offending bytes are never forwarded.
  bool admitFromClient(std::string_view bytes) {
    const auto verdict = meter_.consume(bytes);
    if (verdict == WebSocketMeter::Verdict::ok) {
      return true;
    }
    spdlog::info("websocket closed: {}", verdict == WebSocketMeter::Verdict::too_large
                                             ? "message over websocket.max_message_bytes"
                                             : "invalid client framing");
    return false;
  }

  void touch() { last_activity_ = Clock::now(); }

  void armTimer() {
    timer_.expires_at(last_activity_ + idle_timeout_);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) {
        return;
      }
      if (Clock::now() - self->last_activity_ >= self->idle_timeout_) {
        return self->closeBoth();  // websocket.idle_timeout with no byte either way
      }
      self->armTimer();
    });
  }

  void closeBoth() {
    if (closed_) {
      return;
    }
    closed_ = true;
    boost::system::error_code ignored;
    client_.shutdown(tcp::socket::shutdown_both, ignored);
    client_.close(ignored);
    upstream_.shutdown(tcp::socket::shutdown_both, ignored);
    upstream_.close(ignored);
    timer_.cancel();
  }

  Worker& worker_;
  tcp::socket client_;
  tcp::socket upstream_;
  net::steady_timer timer_;
  std::chrono::seconds idle_timeout_;
  WebSocketMeter meter_;
  std::function<void(const TunnelStats&)> done_;
  Clock::time_point last_activity_{};
  TunnelStats stats_;
  bool closed_ = false;
};

}  // namespace

void startTunnel(Worker& worker, tcp::socket client, tcp::socket upstream, std::string client_pending,
                 std::string upstream_pending, std::chrono::seconds idle_timeout, std::uint64_t max_message_bytes,
                 std::function<void(const TunnelStats&)> done) {
  auto tunnel = std::make_shared<Tunnel>(worker, std::move(client), std::move(upstream), idle_timeout,
                                         max_message_bytes, std::move(done));
  tunnel->start(std::move(client_pending), std::move(upstream_pending));
}

}  // namespace oh::gateway
