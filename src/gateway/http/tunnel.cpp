#include "http/tunnel.h"

#include <array>
#include <memory>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "http/worker.h"

namespace oh::gateway {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Per direction. WebSocket traffic is mostly small frames; 16 KiB keeps a thousand idle
// tunnels cheap while large frames still move in few steps.
constexpr std::size_t kTunnelBufferBytes = 16 * 1024;

class Tunnel : public std::enable_shared_from_this<Tunnel>, public DrainTarget {
public:
  Tunnel(Worker& worker, tcp::socket client, tcp::socket upstream, std::chrono::seconds idle_timeout,
         std::function<void(const TunnelStats&)> done)
      : worker_(worker), client_(std::move(client)), upstream_(std::move(upstream)), timer_(worker.context()),
        idle_timeout_(idle_timeout), done_(std::move(done)) {
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
    writeThen(upstream_, std::move(client_pending), to_upstream_, [](const std::shared_ptr<Tunnel>& self) {
      self->pump(self->client_, self->upstream_, self->to_upstream_, self->stats_.client_to_upstream);
    });
    writeThen(client_, std::move(upstream_pending), to_client_, [](const std::shared_ptr<Tunnel>& self) {
      self->pump(self->upstream_, self->client_, self->to_client_, self->stats_.upstream_to_client);
    });
  }

  // DrainTarget: a tunnel has no request boundary to wait for; the client reconnects elsewhere.
  void onDrain() override { closeBoth(); }

private:
  using Buffer = std::array<char, kTunnelBufferBytes>;

  template <class Next>
  void writeThen(tcp::socket& to, std::string pending, std::unique_ptr<Buffer>& buffer, Next next) {
    buffer = std::make_unique<Buffer>();
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

  void pump(tcp::socket& from, tcp::socket& to, std::unique_ptr<Buffer>& buffer, std::uint64_t& counter) {
    from.async_read_some(net::buffer(*buffer), [self = shared_from_this(), &from, &to, &buffer, &counter](
                                                   boost::system::error_code ec, std::size_t n) {
      if (ec) {
        // EOF or reset on one side ends the conversation: pass the close on to the other side.
        return self->closeBoth();
      }
      self->touch();
      counter += n;
      net::async_write(to, net::buffer(buffer->data(), n),
                       [self, &from, &to, &buffer, &counter](boost::system::error_code write_ec, std::size_t) {
                         if (write_ec) {
                           return self->closeBoth();
                         }
                         self->touch();
                         self->pump(from, to, buffer, counter);
                       });
    });
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
  std::function<void(const TunnelStats&)> done_;
  std::unique_ptr<Buffer> to_upstream_;
  std::unique_ptr<Buffer> to_client_;
  Clock::time_point last_activity_{};
  TunnelStats stats_;
  bool closed_ = false;
};

}  // namespace

void startTunnel(Worker& worker, tcp::socket client, tcp::socket upstream, std::string client_pending,
                 std::string upstream_pending, std::chrono::seconds idle_timeout,
                 std::function<void(const TunnelStats&)> done) {
  auto tunnel = std::make_shared<Tunnel>(worker, std::move(client), std::move(upstream), idle_timeout, std::move(done));
  tunnel->start(std::move(client_pending), std::move(upstream_pending));
}

}  // namespace oh::gateway
