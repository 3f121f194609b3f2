// The Docker Engine API client: the control plane's only Beast translation unit. Each call owns
// a private io_context and runs one coroutine on the calling thread (calls block, as the backend
// interface promises, and need no shared thread); a timer closes the socket at the deadline, which
// ends whichever operation is pending, so a daemon that accepts and never answers costs one
// timeout, never a hang.

#include "backend/docker_api_client.h"

#include <array>
#include <optional>
#include <utility>

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
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace oh::control {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Socket = asio::local::stream_protocol::socket;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

BackendFailure failure(BackendFailure::Kind kind, std::string reason) { return {kind, std::move(reason)}; }

http::verb verbOf(std::string_view method) {
  const http::verb verb = http::string_to_verb(method);
  return verb == http::verb::unknown ? http::verb::get : verb;
}

struct Exchange {
  const std::string& socket_path;
  http::request<http::string_body> request;
  std::size_t max_body_bytes;           // kept bodies only
  const DockerApiClient::BodySink* sink;  // null: keep the body
  bool timed_out = false;
  std::optional<BackendResult<DockerAnswer>> result;

  // A dropped connection or the deadline is "unavailable" (retry later); an answer Beast cannot
  // parse (bad head, bad chunk framing, a head over the limit) is "other": retrying will not help.
  BackendFailure ioFailure(std::string_view step, const boost::system::error_code& ec) const {
    if (timed_out) {
      return failure(BackendFailure::Kind::unavailable, "docker API timed out during " + std::string(step));
    }
    const bool malformed = ec.category() == http::make_error_code(http::error::bad_version).category() &&
                           ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (malformed) {
      return failure(BackendFailure::Kind::other, "docker API answer is not usable HTTP: " + ec.message());
    }
    return failure(BackendFailure::Kind::unavailable, "docker API " + std::string(step) + ": " + ec.message());
  }

  asio::awaitable<BackendResult<DockerAnswer>> exchange(Socket& socket) {
    auto [connect_ec] = co_await socket.async_connect(asio::local::stream_protocol::endpoint(socket_path), kTuple);
    if (connect_ec) {
      co_return common::fail(ioFailure("connect " + socket_path, connect_ec));
    }
    auto [write_ec, written] = co_await http::async_write(socket, request, kTuple);
    if (write_ec) {
      co_return common::fail(ioFailure("write", write_ec));
    }
    boost::beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(boost::none);  // counted below, against the kept body only
    auto [head_ec, head_read] = co_await http::async_read_header(socket, buffer, parser, kTuple);
    if (head_ec) {
      co_return common::fail(ioFailure("read", head_ec));
    }
    DockerAnswer answer;
    answer.status = parser.get().result_int();
    std::array<char, 16 * 1024> chunk{};
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      auto [read_ec, read] = co_await http::async_read_some(socket, buffer, parser, kTuple);
      if (read_ec && read_ec != http::error::need_buffer) {
        co_return common::fail(ioFailure("read", read_ec));
      }
      const std::string_view piece(chunk.data(), chunk.size() - parser.get().body().size);
      if (sink != nullptr) {
        (*sink)(piece);
        continue;
      }
      if (answer.body.size() + piece.size() > max_body_bytes) {
        co_return common::fail(failure(BackendFailure::Kind::other, "docker API answer over the size limit (" +
                                                                        std::to_string(max_body_bytes) + " bytes)"));
      }
      answer.body.append(piece);
    }
    co_return answer;
  }
};

asio::awaitable<void> runExchange(Exchange& exchange, Socket& socket, asio::steady_timer& deadline) {
  exchange.result = co_await exchange.exchange(socket);
  deadline.cancel();
}

}  // namespace

DockerApiClient::DockerApiClient(std::string socket_path, std::size_t max_response_bytes)
    : socket_path_(std::move(socket_path)), max_response_bytes_(max_response_bytes) {}

BackendResult<DockerAnswer> DockerApiClient::call(std::string_view method, std::string_view target,
                                                  std::string_view json_body, std::chrono::milliseconds timeout) const {
  return stream(method, target, json_body, timeout, nullptr);
}

BackendResult<DockerAnswer> DockerApiClient::stream(std::string_view method, std::string_view target,
                                                    std::string_view json_body, std::chrono::milliseconds timeout,
                                                    const BodySink& sink) const {
  // asio's endpoint throws for a path that does not fit sockaddr_un: refuse it as a value.
  if (socket_path_.empty() || socket_path_.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return common::fail(failure(BackendFailure::Kind::unavailable, "docker socket path is empty or too long"));
  }
  Exchange exchange{socket_path_, {}, max_response_bytes_, sink ? &sink : nullptr, false, std::nullopt};
  exchange.request = http::request<http::string_body>{verbOf(method), std::string(kApiVersion) + std::string(target), 11};
  exchange.request.set(http::field::host, "docker");
  exchange.request.set(http::field::user_agent, "oh-gateway");
  exchange.request.keep_alive(false);
  if (!json_body.empty()) {
    exchange.request.set(http::field::content_type, "application/json");
    exchange.request.body() = std::string(json_body);
  }
  exchange.request.prepare_payload();

  asio::io_context io(1);
  Socket socket(io);
  asio::steady_timer deadline(io);
  deadline.expires_after(timeout);
  deadline.async_wait([&](boost::system::error_code ec) {
    if (!ec) {
      exchange.timed_out = true;
      boost::system::error_code ignored;
      socket.close(ignored);
    }
  });
  asio::co_spawn(io, runExchange(exchange, socket, deadline), asio::detached);
  io.run();
  if (!exchange.result) {
    return common::fail(failure(BackendFailure::Kind::other, "docker API call ended without an answer"));
  }
  return std::move(*exchange.result);
}

}  // namespace oh::control
