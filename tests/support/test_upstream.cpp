// The only translation unit of the test bed with Beast's HTTP server code.
#include "support/test_upstream.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace oh::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t kIoBufferBytes = 64 * 1024;

std::uint64_t numberAfter(std::string_view path, std::string_view prefix) {
  std::uint64_t value = 0;
  const auto digits = path.substr(prefix.size());
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

std::string_view pathOf(std::string_view target) {
  return target.substr(0, target.find('?'));
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

struct TestUpstream::Impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<RecordedRequest> requests;
  std::map<std::uint64_t, int> live_sockets;  // connection id -> fd, for stop()
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
      workers.emplace_back([this, id, s = std::move(socket)]() mutable { serve(id, s); });
    }
  }

  std::size_t record(RecordedRequest request) {
    std::lock_guard lock{mutex};
    requests.push_back(std::move(request));
    changed.notify_all();
    return requests.size() - 1;
  }

  void serve(std::uint64_t id, tcp::socket& socket) {
    beast::flat_buffer buffer;
    std::array<char, kIoBufferBytes> chunk{};
    for (;;) {
      http::request_parser<http::buffer_body> parser;
      parser.body_limit(boost::none);
      parser.header_limit(1024 * 1024);
      beast::error_code ec;
      http::read_header(socket, buffer, parser, ec);
      if (ec) {
        break;
      }
      auto& request = parser.get();
      RecordedRequest recorded;
      recorded.connection_id = id;
      recorded.method = std::string(request.method_string());
      recorded.target = std::string(request.target());
      for (const auto& field : request) {
        recorded.headers.push_back({std::string(field.name_string()), std::string(field.value())});
      }
      const std::size_t index = record(recorded);

      Sha256 sha;
      std::uint64_t body_bytes = 0;
      while (!parser.is_done()) {
        request.body().data = chunk.data();
        request.body().size = chunk.size();
        http::read(socket, buffer, parser, ec);
        if (ec == http::error::need_buffer) {
          ec = {};
        }
        if (ec) {
          break;
        }
        const std::size_t got = chunk.size() - request.body().size;
        sha.update(chunk.data(), got);
        body_bytes += got;
      }
      if (ec) {
        break;
      }
      recorded.body_bytes = body_bytes;
      recorded.body_sha256 = sha.finalHex();
      recorded.complete = true;
      {
        std::lock_guard lock{mutex};
        requests[index].body_bytes = body_bytes;
        requests[index].body_sha256 = recorded.body_sha256;
        requests[index].complete = true;
        changed.notify_all();
      }
      const bool keep_alive = request.keep_alive();
      if (!respond(socket, recorded, keep_alive, chunk) || !keep_alive) {
        break;
      }
    }
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    std::lock_guard lock{mutex};
    live_sockets.erase(id);
  }

  bool respond(tcp::socket& socket, const RecordedRequest& request, bool keep_alive,
               std::array<char, kIoBufferBytes>& chunk) {
    const auto path = pathOf(request.target);
    if (startsWith(path, "/bytes/")) {
      return writeGenerated(socket, numberAfter(path, "/bytes/"), false, keep_alive, chunk);
    }
    if (startsWith(path, "/chunked/")) {
      return writeGenerated(socket, numberAfter(path, "/chunked/"), true, keep_alive, chunk);
    }
    if (startsWith(path, "/truncated/")) {
      const std::uint64_t half = numberAfter(path, "/truncated/");
      const std::string head = "HTTP/1.1 200 OK\r\nServer: test-upstream/1.0\r\nContent-Length: " +
                               std::to_string(2 * half) + "\r\n\r\n";
      std::string body(static_cast<std::size_t>(half), '\0');
      fillPattern(body.data(), body.size(), 0);
      beast::error_code ec;
      net::write(socket, net::buffer(head + body), ec);
      return false;  // the caller closes the connection mid-body
    }
    http::response<http::string_body> response{http::status::ok, 11};
    response.set(http::field::server, kUpstreamServerHeader);
    response.set(http::field::content_type, "text/plain");
    if (startsWith(path, "/slow/")) {
      const auto delay = std::chrono::milliseconds(numberAfter(path, "/slow/"));
      std::unique_lock lock{mutex};
      if (changed.wait_for(lock, delay, [this] { return stopping; })) {
        return false;
      }
      response.body() = "slow response done\n";
    } else if (path == "/html") {
      response.set(http::field::content_type, "text/html; charset=utf-8");
      response.set(http::field::cache_control, "public, max-age=3600");
      response.body() = "<!doctype html><html><body>test page</body></html>\n";
    } else if (path == "/hop") {
      response.set("X-Upstream-Hop", "hop-value");
      response.set("Keep-Alive", "timeout=5");
      response.body() = "hop\n";
    } else if (startsWith(path, "/status/")) {
      response.result(static_cast<unsigned>(numberAfter(path, "/status/")));
      response.body() = "status\n";
    } else {
      response.set(http::field::content_type, "application/json");
      response.body() = echoJson(request);
    }
    response.keep_alive(keep_alive);
    if (path == "/hop") {
      response.set(http::field::connection,
                   keep_alive ? "keep-alive, X-Upstream-Hop" : "close, X-Upstream-Hop");
    }
    response.prepare_payload();
    beast::error_code ec;
    http::write(socket, response, ec);
    return !ec;
  }

  static std::string echoJson(const RecordedRequest& request) {
    json::array headers;
    for (const auto& field : request.headers) {
      headers.push_back(json::array{json::string(field.name), json::string(field.value)});
    }
    json::object object;
    object["method"] = request.method;
    object["target"] = request.target;
    object["headers"] = std::move(headers);
    object["body_bytes"] = request.body_bytes;
    object["body_sha256"] = request.body_sha256;
    object["connection_id"] = request.connection_id;
    return json::serialize(object);
  }

  // Streams size pattern bytes, sized or chunked, through one fixed buffer.
  static bool writeGenerated(tcp::socket& socket, std::uint64_t size, bool chunked, bool keep_alive,
                             std::array<char, kIoBufferBytes>& chunk) {
    http::response<http::buffer_body> response{http::status::ok, 11};
    response.set(http::field::server, kUpstreamServerHeader);
    response.set(http::field::content_type, "application/octet-stream");
    if (chunked) {
      response.chunked(true);
    } else {
      response.content_length(size);
    }
    response.keep_alive(keep_alive);
    response.body().data = nullptr;
    response.body().more = true;
    http::response_serializer<http::buffer_body> serializer{response};
    beast::error_code ec;
    http::write_header(socket, serializer, ec);
    if (ec) {
      return false;
    }
    std::uint64_t sent = 0;
    while (sent < size) {
      const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - sent));
      fillPattern(chunk.data(), length, sent);
      response.body().data = chunk.data();
      response.body().size = length;
      response.body().more = true;
      http::write(socket, serializer, ec);
      if (ec == http::error::need_buffer) {
        ec = {};
      }
      if (ec) {
        return false;
      }
      sent += length;
    }
    response.body().data = nullptr;
    response.body().size = 0;
    response.body().more = false;
    http::write(socket, serializer, ec);
    return !ec;
  }
};

TestUpstream::TestUpstream() : impl_(std::make_unique<Impl>()) {
  const tcp::endpoint endpoint{net::ip::make_address("127.0.0.1"), 0};
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
  impl_->accept_thread = std::thread([impl = impl_.get()] { impl->acceptLoop(); });
}

TestUpstream::~TestUpstream() { stop(); }

std::uint16_t TestUpstream::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string TestUpstream::url() const { return "http://127.0.0.1:" + std::to_string(port()); }

std::vector<RecordedRequest> TestUpstream::requests() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->requests;
}

std::uint64_t TestUpstream::connectionsAccepted() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->accepted;
}

bool TestUpstream::waitForRequests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock{impl_->mutex};
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->requests.size() >= n; });
}

void TestUpstream::stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock{impl_->mutex};
    if (impl_->stopping) {
      return;
    }
    impl_->stopping = true;
    // shutdown() wakes a blocked accept()/recv() on Linux; close() from another thread would not.
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    for (const auto& [id, fd] : impl_->live_sockets) {
      ::shutdown(fd, SHUT_RDWR);
    }
    impl_->changed.notify_all();
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

std::optional<EchoedRequest> parseEcho(std::string_view text) {
  beast::error_code ec;
  const json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) {
    return std::nullopt;
  }
  const auto& object = value.as_object();
  EchoedRequest echoed;
  try {
    echoed.method = json::value_to<std::string>(object.at("method"));
    echoed.target = json::value_to<std::string>(object.at("target"));
    for (const auto& pair : object.at("headers").as_array()) {
      const auto& items = pair.as_array();
      echoed.headers.push_back(
          {json::value_to<std::string>(items.at(0)), json::value_to<std::string>(items.at(1))});
    }
    echoed.body_bytes = json::value_to<std::uint64_t>(object.at("body_bytes"));
    echoed.body_sha256 = json::value_to<std::string>(object.at("body_sha256"));
    echoed.connection_id = json::value_to<std::uint64_t>(object.at("connection_id"));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return echoed;
}

bool isJsonObject(std::string_view text) {
  beast::error_code ec;
  const json::value value = json::parse(text, ec);
  return !ec && value.is_object();
}

}  // namespace oh::testing
