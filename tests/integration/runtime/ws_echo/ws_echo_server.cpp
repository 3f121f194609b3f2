// ws-echo: a WebSocket echo server for the runtime tests' container image. It is linked fully
// static so it runs in the busybox root filesystem (no libc or libstdc++ inside the image).
//
//   ws-echo PORT [ALLOWED_ORIGIN]
//
// Listens on 0.0.0.0:PORT, one thread per connection (a test app, not a production server).
// - GET /health (plain HTTP, any query): 200 {"status":"ok"}, as OpenHands' agent server answers its app
//   server's health check. Any other plain HTTP request: 404.
// - With ALLOWED_ORIGIN, CORS as OpenHands' agent server answers it (Starlette's CORSMiddleware
//   with one allowed origin): a request from that Origin gets Access-Control-Allow-Origin and
//   Vary: Origin; a preflight (OPTIONS with Access-Control-Request-Method) from it gets 200 with
//   the allowed methods and headers, from any other origin 400 "Disallowed CORS origin".
// - A WebSocket upgrade on any path: text is echoed as text, binary as binary, until the client
//   closes. Two text commands let tests look inside the container:
//     "!request"   answers with the upgrade request as the app saw it: the target on the first
//                  line, then "name: value" per header field (so a test can check what the
//                  gateway forwarded and what it removed);
//     "!close:N"   closes the connection with code N and reason "server-close".
// SIGTERM ends the process at once (as PID 1 in a container it would otherwise be ignored).

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// Large enough for the gateway's message-size tests (their limits are far below it), small
// enough that a runaway client cannot exhaust the container.
constexpr std::size_t kMaxMessageBytes = 8 * 1024 * 1024;
constexpr std::uint64_t kMaxRequestBodyBytes = 64 * 1024;

std::string describeRequest(const http::request<http::string_body>& request) {
  std::string out(request.target());
  out.push_back('\n');
  for (const auto& field : request) {
    out.append(field.name_string()).append(": ").append(field.value()).push_back('\n');
  }
  return out;
}

void serveWebSocket(tcp::socket socket, const http::request<http::string_body>& request) {
  websocket::stream<tcp::socket> ws(std::move(socket));
  ws.read_message_max(kMaxMessageBytes);
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.accept(request);
  const std::string seen = describeRequest(request);
  for (;;) {
    beast::flat_buffer buffer;
    ws.read(buffer);  // throws on close or error: the connection ends
    const bool text = ws.got_text();
    std::string message = beast::buffers_to_string(buffer.data());
    if (text && message == "!request") {
      ws.text(true);
      ws.write(asio::buffer(seen));
      continue;
    }
    if (text && message.starts_with("!close:")) {
      const auto code = static_cast<std::uint16_t>(std::strtoul(message.c_str() + 7, nullptr, 10));
      websocket::close_reason reason;
      reason.code = code;
      reason.reason = "server-close";
      ws.close(reason);
      // Drain until the client's close frame arrives (read then reports closed).
      beast::flat_buffer drain;
      boost::system::error_code ec;
      while (!ec) {
        ws.read(drain, ec);
        drain.clear();
      }
      return;
    }
    ws.text(text);
    ws.write(asio::buffer(message));
  }
}

std::string allowed_origin;  // set once in main, before any thread starts

http::response<http::string_body> answer(const http::request<http::string_body>& request) {
  const std::string_view target = request.target();
  const std::string_view origin = request[http::field::origin];
  const bool cors = !allowed_origin.empty() && !origin.empty();
  const bool preflight = cors && request.method() == http::verb::options &&
                         request.find(http::field::access_control_request_method) != request.end();
  if (preflight) {
    const bool allowed = origin == allowed_origin;
    http::response<http::string_body> response{allowed ? http::status::ok : http::status::bad_request,
                                               request.version()};
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = allowed ? "OK" : "Disallowed CORS origin";
    if (allowed) {
      response.set(http::field::access_control_allow_origin, allowed_origin);
      response.set(http::field::access_control_allow_methods, "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
      response.set(http::field::access_control_allow_headers, request[http::field::access_control_request_headers]);
      response.set(http::field::vary, "Origin");
    }
    return response;
  }
  const bool health = request.method() == http::verb::get && target.substr(0, target.find('?')) == "/health";
  http::response<http::string_body> response{health ? http::status::ok : http::status::not_found, request.version()};
  response.set(http::field::content_type, "application/json");
  response.body() = health ? "{\"status\":\"ok\"}\n" : "{\"error\":\"not found\"}\n";
  if (cors && origin == allowed_origin) {
    response.set(http::field::access_control_allow_origin, allowed_origin);
    response.set(http::field::vary, "Origin");
  }
  return response;
}

void serveConnection(tcp::socket socket) {
  try {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxRequestBodyBytes);
      http::read(socket, buffer, parser);
      http::request<http::string_body> request = parser.release();
      if (websocket::is_upgrade(request)) {
        // Bytes already buffered past the head would belong to the WebSocket; clients wait
        // for the 101 before sending frames, so none are expected.
        return serveWebSocket(std::move(socket), request);
      }
      http::response<http::string_body> response = answer(request);
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      http::write(socket, response);
      if (!response.keep_alive()) {
        return;
      }
    }
  } catch (const std::exception&) {
    // The peer went away or sent something unparsable: the connection ends, the server stays.
  }
}

[[noreturn]] void onTerminate(int) { ::_exit(0); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: ws-echo PORT [ALLOWED_ORIGIN]\n");
    return 2;
  }
  if (argc == 3) {
    allowed_origin = argv[2];
  }
  const unsigned long port = std::strtoul(argv[1], nullptr, 10);
  if (port == 0 || port > 65535) {
    std::fprintf(stderr, "ws-echo: bad port %s\n", argv[1]);
    return 2;
  }
  std::signal(SIGTERM, onTerminate);
  std::signal(SIGINT, onTerminate);
  try {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(tcp::v4(), static_cast<unsigned short>(port)));
    for (;;) {
      tcp::socket socket(io);
      acceptor.accept(socket);
      std::thread(serveConnection, std::move(socket)).detach();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ws-echo: %s\n", e.what());
    return 1;
  }
}
