// The test bed's only translation unit with Beast's WebSocket code.
#include "support/websocket_peers.h"

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace oh::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

struct WebSocketEchoServer::Impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<WebSocketHandshake> handshakes;
  std::vector<std::string> pings;
  std::vector<std::string> pongs;
  std::vector<std::uint16_t> close_codes;
  std::map<std::uint64_t, int> live_sockets;
  std::vector<std::thread> workers;
  std::uint64_t accepted = 0;
  bool stopping = false;

  void acceptLoop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket{ioc};
      acceptor.accept(socket, ec);
      std::lock_guard lock{mutex};
      if (stopping) {
        return;
      }
      if (ec) {
        continue;
      }
      const std::uint64_t id = ++accepted;
      live_sockets[id] = socket.native_handle();
      workers.emplace_back([this, id, s = std::move(socket)]() mutable { serve(id, std::move(s)); });
    }
  }

  void serve(std::uint64_t id, tcp::socket socket) {
    websocket::stream<tcp::socket> ws{std::move(socket)};
    session(ws);
    beast::error_code ignored;
    ws.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    std::lock_guard lock{mutex};
    live_sockets.erase(id);
  }

  void session(websocket::stream<tcp::socket>& ws) {
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    beast::error_code ec;
    http::read(ws.next_layer(), buffer, request, ec);
    if (ec) {
      return;
    }
    if (!websocket::is_upgrade(request)) {
      http::response<http::string_body> response{http::status::bad_request, 11};
      response.body() = "websocket only\n";
      response.keep_alive(false);
      response.prepare_payload();
      http::write(ws.next_layer(), response, ec);
      return;
    }
    {
      WebSocketHandshake handshake;
      handshake.target = std::string(request.target());
      for (const auto& field : request) {
        handshake.headers.push_back({std::string(field.name_string()), std::string(field.value())});
      }
      std::lock_guard lock{mutex};
      handshakes.push_back(std::move(handshake));
      changed.notify_all();
    }
    ws.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
      std::lock_guard lock{mutex};
      if (kind == websocket::frame_type::ping) {
        pings.emplace_back(payload);
      } else if (kind == websocket::frame_type::pong) {
        pongs.emplace_back(payload);
      }
      changed.notify_all();
    });
    ws.accept(request, ec);
    if (ec) {
      return;
    }
    for (;;) {
      beast::flat_buffer message;
      ws.read(message, ec);
      if (ec) {
        std::lock_guard lock{mutex};
        close_codes.push_back(ec == websocket::error::closed
                                  ? static_cast<std::uint16_t>(ws.reason().code)
                                  : std::uint16_t{0});
        changed.notify_all();
        return;
      }
      const std::string data = beast::buffers_to_string(message.data());
      if (ws.got_text() && data.rfind("close:", 0) == 0) {
        std::uint16_t code = 1000;
        std::from_chars(data.data() + 6, data.data() + data.size(), code);
        ws.close(websocket::close_reason(static_cast<websocket::close_code>(code), "server-close"), ec);
        return;
      }
      if (ws.got_text() && data.rfind("ping:", 0) == 0) {
        ws.ping(websocket::ping_data(data.substr(5)), ec);
        if (ec) {
          return;
        }
        continue;
      }
      ws.text(ws.got_text());
      ws.write(message.data(), ec);
      if (ec) {
        return;
      }
    }
  }
};

WebSocketEchoServer::WebSocketEchoServer() : impl_(std::make_unique<Impl>()) {
  const tcp::endpoint endpoint{net::ip::make_address("127.0.0.1"), 0};
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
  impl_->accept_thread = std::thread([impl = impl_.get()] { impl->acceptLoop(); });
}

WebSocketEchoServer::~WebSocketEchoServer() { stop(); }

std::uint16_t WebSocketEchoServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string WebSocketEchoServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::vector<WebSocketHandshake> WebSocketEchoServer::handshakes() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->handshakes;
}

std::vector<std::string> WebSocketEchoServer::pingsReceived() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->pings;
}

std::vector<std::string> WebSocketEchoServer::pongsReceived() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->pongs;
}

std::vector<std::uint16_t> WebSocketEchoServer::closeCodes() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->close_codes;
}

bool WebSocketEchoServer::waitForCloseCodes(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock{impl_->mutex};
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->close_codes.size() >= n; });
}

bool WebSocketEchoServer::waitForPongs(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock{impl_->mutex};
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->pongs.size() >= n; });
}

void WebSocketEchoServer::stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock{impl_->mutex};
    if (impl_->stopping) {
      return;
    }
    impl_->stopping = true;
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    for (const auto& [id, fd] : impl_->live_sockets) {
      ::shutdown(fd, SHUT_RDWR);
    }
  }
  impl_->accept_thread.join();
  {
    std::lock_guard lock{impl_->mutex};
    workers = std::move(impl_->workers);
  }
  for (auto& worker : workers) {
    worker.join();
  }
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

// The client runs Beast's asynchronous operations on a private io_context for at most the
// timeout: blocking Asio calls cannot time out (Asio polls again after SO_RCVTIMEO).
struct WebSocketClient::Impl {
  net::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  websocket::response_type handshake_response;
  std::vector<std::string> pongs;
  std::vector<std::string> pings;
  std::optional<std::uint16_t> close_code;
  bool open = false;
  bool timed_out = false;

  template <class Start>
  beast::error_code run(Start&& start, std::chrono::milliseconds timeout) {
    std::optional<beast::error_code> result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run_for(timeout);
    if (!result) {
      beast::error_code ignored;
      ws.next_layer().close(ignored);
      ioc.restart();
      ioc.run();
      open = false;
      timed_out = true;
      return net::error::timed_out;
    }
    return *result;
  }
};

WebSocketClient::WebSocketClient() : impl_(std::make_unique<Impl>()) {
  impl_->ws.control_callback([impl = impl_.get()](websocket::frame_type kind,
                                                  beast::string_view payload) {
    if (kind == websocket::frame_type::pong) {
      impl->pongs.emplace_back(payload);
    } else if (kind == websocket::frame_type::ping) {
      impl->pings.emplace_back(payload);
    }
  });
}

WebSocketClient::~WebSocketClient() {
  beast::error_code ignored;
  impl_->ws.next_layer().close(ignored);
}

std::optional<std::string> WebSocketClient::connect(std::uint16_t port, const std::string& host_header,
                                                    const std::string& target, const Headers& extra_headers,
                                                    std::chrono::milliseconds timeout) {
  const tcp::endpoint endpoint{net::ip::make_address("127.0.0.1"), port};
  auto ec = impl_->run(
      [&](auto handler) { impl_->ws.next_layer().async_connect(endpoint, std::move(handler)); },
      timeout);
  if (ec) {
    return "connect: " + ec.message();
  }
  impl_->ws.set_option(websocket::stream_base::decorator([extra_headers](websocket::request_type& request) {
    for (const auto& field : extra_headers) {
      request.set(field.name, field.value);
    }
  }));
  ec = impl_->run(
      [&](auto handler) {
        impl_->ws.async_handshake(impl_->handshake_response, host_header, target, std::move(handler));
      },
      timeout);
  if (ec) {
    return "handshake: " + ec.message();
  }
  impl_->open = true;
  return std::nullopt;
}

unsigned WebSocketClient::handshakeStatus() const { return impl_->handshake_response.result_int(); }

Headers WebSocketClient::handshakeResponseHeaders() const {
  Headers headers;
  for (const auto& field : impl_->handshake_response) {
    headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  return headers;
}

bool WebSocketClient::sendText(const std::string& text, std::chrono::milliseconds timeout) {
  impl_->ws.text(true);
  return !impl_->run(
      [&](auto handler) { impl_->ws.async_write(net::buffer(text), std::move(handler)); }, timeout);
}

bool WebSocketClient::sendBinary(const std::string& data, std::chrono::milliseconds timeout) {
  impl_->ws.binary(true);
  return !impl_->run(
      [&](auto handler) { impl_->ws.async_write(net::buffer(data), std::move(handler)); }, timeout);
}

bool WebSocketClient::sendTextFragments(const std::vector<std::string>& pieces, std::chrono::milliseconds timeout) {
  impl_->ws.text(true);
  impl_->ws.auto_fragment(false);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const bool last = i + 1 == pieces.size();
    if (impl_->run([&](auto handler) { impl_->ws.async_write_some(last, net::buffer(pieces[i]), std::move(handler)); },
                   timeout)) {
      return false;
    }
  }
  return true;
}

bool WebSocketClient::ping(const std::string& payload, std::chrono::milliseconds timeout) {
  return !impl_->run(
      [&](auto handler) { impl_->ws.async_ping(websocket::ping_data(payload), std::move(handler)); },
      timeout);
}

std::optional<WebSocketMessage> WebSocketClient::read(std::chrono::milliseconds timeout) {
  beast::flat_buffer buffer;
  const auto ec = impl_->run(
      [&](auto handler) { impl_->ws.async_read(buffer, std::move(handler)); }, timeout);
  if (ec == websocket::error::closed) {
    impl_->close_code = static_cast<std::uint16_t>(impl_->ws.reason().code);
    return std::nullopt;
  }
  if (ec) {
    return std::nullopt;
  }
  return WebSocketMessage{impl_->ws.got_text(), beast::buffers_to_string(buffer.data())};
}

std::vector<std::string> WebSocketClient::pongsReceived() const { return impl_->pongs; }
std::vector<std::string> WebSocketClient::pingsReceived() const { return impl_->pings; }

bool WebSocketClient::close(std::uint16_t code, std::chrono::milliseconds timeout) {
  return !impl_->run(
      [&](auto handler) {
        impl_->ws.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), "client-close"), std::move(handler));
      },
      timeout);
}

std::optional<std::uint16_t> WebSocketClient::closeCode() const { return impl_->close_code; }

bool WebSocketClient::timedOut() const { return impl_->timed_out; }

}  // namespace oh::testing
