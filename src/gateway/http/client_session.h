#pragma once
// One client connection (private to oh_gateway_http): reads requests (keep-alive, pipelined
// bytes kept in the buffer), applies the request policy, asks the snapshot's RequestGate, and
// relays each exchange to the upstream (or a user's app) through a fixed buffer (Beast's
// relay() shape), so bodies of any size stream with bounded memory. A WebSocket handshake that
// the upstream accepts turns the connection into a byte tunnel (tunnel.h).
//
// The member functions live in three files by phase: client_session.cpp (request head, policy,
// gate, probes), client_relay.cpp (upstream connection, request and response relay, WebSocket
// hand-off) and client_replies.cpp (the gateway's own replies and the end of an exchange).
//
// Threading: the session lives on its worker's single-threaded io_context, which is the
// connection's strand; the upstream connection it borrows belongs to the same worker.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/access_sink.h"
#include "http/gateway_error.h"
#include "http/header_policy.h"
#include "http/request_gate.h"
#include "http/request_policy.h"
#include "http/request_reader.h"
#include "http/tunnel.h"
#include "http/worker.h"

namespace oh::gateway::proxy_session {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Body bytes relayed per read/write step, in each direction. 64 KiB keeps large transfers at
// memory speed; it is allocated only while a body is in flight, never for idle connections.
inline constexpr std::size_t kRelayBufferBytes = 64 * 1024;
// Bodies known to be smaller get a relay buffer of their own size (at least this much), so
// small responses never pay for a 64 KiB allocation.
inline constexpr std::size_t kMinRelayBufferBytes = 4 * 1024;
// Read buffer capacity for an upstream response head (plus, usually, a small body with it).
inline constexpr std::size_t kUpstreamHeadReadBytes = 8 * 1024;
// Bytes asked of the socket per read while a request head is incomplete.
inline constexpr std::size_t kHeadReadBytes = 4096;
// Upstream response heads may carry large cookies; bounded so a broken upstream cannot
// make the gateway buffer without limit.
inline constexpr std::uint32_t kUpstreamHeaderLimit = 64 * 1024;
// After refusing a request whose body was not read, keep reading (and discarding) for a while
// before closing: closing with unread bytes makes the kernel send RST, which can destroy the
// error response before the client reads it (the "lingering close" nginx also does).
inline constexpr std::chrono::seconds kLingerTimeout{5};
inline constexpr std::size_t kLingerMaxBytes = 1024 * 1024;
// The largest body a gate may ask to read itself (a login form is a few hundred bytes).
inline constexpr std::size_t kMaxGateBodyBytes = 64 * 1024;

inline bool isTimeout(const beast::error_code& ec) {
  return ec == beast::error::timeout;
}

// True for errors raised by Beast's HTTP parser (malformed bytes), as opposed to socket errors.
inline bool isHttpError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_version).category();
}

class ClientSession : public std::enable_shared_from_this<ClientSession>, public DrainTarget {
public:
  ClientSession(Worker& worker, tcp::socket socket) : worker_(worker), stream_(std::move(socket)) {
    beast::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      peer_address_ = peer.address();
      peer_ip_ = peer_address_.to_string();
    }
    worker_.add(this);
    worker_.shared().open_connections.fetch_add(1, std::memory_order_relaxed);
    worker_.metrics().connectionOpened();
  }

  ~ClientSession() override {
    worker_.remove(this);
    if (!handed_off_) {
      worker_.shared().open_connections.fetch_sub(1, std::memory_order_relaxed);
      worker_.metrics().connectionClosed();
    }
  }

  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  void run() { doReadHead(); }

  // DrainTarget
  void onDrain() override {
    if (state_ == State::idle) {
      // Waiting for a next request that has not started: nothing in flight to finish.
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.cancel();
    }
    // Busy sessions finish their exchange, then see draining() and close.
  }

private:
  enum class State { idle, reading_head, proxying, responding, closing };

  const Settings& settings() const { return *snapshot_->settings; }

  // --- reading a request head ------------------------------------------------------------

  void doReadHead();
  void readMoreHead();
  void onReadHead(beast::error_code ec, std::size_t bytes);
  void onHeadBytes();

  // --- request policy ------------------------------------------------------------------

  void handleRequest();

  // --- the request gate (sign-in, runtime routing) ----------------------------------------

  void askGate();

  // Every Cookie field's value, joined with "; " (HTTP/2-to-1 translators may split them).
  std::string_view joinedCookies(const http::fields& fields);
  void onGateDecision(GateDecision decision);

  // Reads the request body (at most `limit` bytes) for the gate, then asks it again.
  void readGateBody(std::size_t limit);
  void readGateBodyMore();

  // --- the gateway's probes ----------------------------------------------------------------

  void handleGatewayEndpoint(std::string_view path);

  // Ready when the upstream accepts a connection (a pooled one counts; a new one is kept).
  void checkReady();
  void onReady(bool ready);

  // --- upstream connection ---------------------------------------------------------------

  // Where this request goes: the gate's current target, else the configured upstream.
  const ForwardTarget* gateTarget() const;
  std::string_view targetHost() const;
  std::uint16_t targetPort() const;
  std::string upstreamKey() const { return fmt::format("{}:{}", targetHost(), targetPort()); }

  void acquireUpstream();

  template <class Done>
  void connectUpstream(Done done) {
    upstream_ = std::make_unique<UpstreamConnection>(stream_.get_executor());
    upstream_->key = upstreamKey();
    const bool gate_timeout = gateTarget() != nullptr && plan_->connect_timeout.count() > 0;
    upstream_->stream.expires_after(gate_timeout ? plan_->connect_timeout : settings().upstream.connect_timeout);
    const std::string host(targetHost());
    const std::uint16_t port = targetPort();
    beast::error_code ec;
    const auto address = net::ip::make_address(host, ec);
    if (!ec) {
      upstream_->stream.async_connect(tcp::endpoint(address, port),
                                      [self = shared_from_this(), done](beast::error_code connect_ec) mutable {
                                        self->onUpstreamConnected(connect_ec);
                                        done(connect_ec);
                                      });
      return;
    }
    // A host name: resolve per connection (rare with pooling; keeps DNS changes effective).
    resolver_.emplace(stream_.get_executor());
    resolver_->async_resolve(
        host, std::to_string(port),
        [self = shared_from_this(), done](beast::error_code resolve_ec, tcp::resolver::results_type results) mutable {
          if (resolve_ec || !self->upstream_) {
            return done(resolve_ec ? resolve_ec : beast::error_code(net::error::host_not_found));
          }
          self->upstream_->stream.async_connect(
              results, [self, done](beast::error_code connect_ec, const tcp::endpoint&) mutable {
                self->onUpstreamConnected(connect_ec);
                done(connect_ec);
              });
        });
  }

  void onUpstreamConnected(beast::error_code ec);

  // --- request relay ---------------------------------------------------------------------

  void sendUpstreamHead();
  void onUpstreamHeadWritten(beast::error_code ec, std::size_t);

  // The fixed buffer bodies stream through: 64 KiB, or the body's size when known and smaller.
  void allocateRelay(boost::optional<std::uint64_t> content_length);
  void readRequestBody();
  void onRequestBody(beast::error_code ec, std::size_t);
  void onRequestBodyWritten(beast::error_code ec, std::size_t);

  // Writes what remains of the framing (the last chunk for chunked bodies).
  void finishRequestBody();

  // --- response relay --------------------------------------------------------------------

  void readUpstreamHead();
  void onUpstreamHead(beast::error_code ec, std::size_t);
  void sendClientResponseHead();
  void onClientHeadWritten(beast::error_code ec, std::size_t bytes);
  void readResponseBody();
  void onResponseBody(beast::error_code ec, std::size_t);
  void onResponseBodyWritten(beast::error_code ec, std::size_t bytes);
  void finishResponseBody();
  void completeExchange();

  // --- WebSocket ----------------------------------------------------------------------------

  void startWebSocketTunnel();
  void handOffTunnel();
  void applyGateResponseEdits(http::fields& fields);

  // --- replies the gateway makes itself --------------------------------------------------

  // A browser's CORS probe of an app that is not listening yet: an empty, uncached answer
  // instead of a 502 the browser would report as a CORS failure.
  void sendCorsProbeNoContent();
  void sendError(GatewayError error, std::string_view reason);
  void sendReply(ErrorReply reply, std::string_view reason);

  // --- ending an exchange ------------------------------------------------------------------

  void upstreamFailedBeforeResponse(beast::error_code ec);
  void discardUpstream();

  struct AccessRecord {
    std::chrono::system_clock::time_point time;
    std::string client_ip, method, target, host, user_agent, request_id, upstream_status, reason, user;
    unsigned status = 0;
    std::uint64_t bytes_in = 0, bytes_out = 0;
    Clock::time_point started;
    RouteClass route = RouteClass::app;
    bool enabled = true;
    bool count_metrics = true;
    Metrics* metrics = nullptr;

    void emit() const;
  };

  AccessRecord accessRecord() const;

  // Counts the exchange in the metrics just before its last bytes go out, so a scrape made
  // after the client has read the response always includes it.
  void countMetrics();

  // Logs the exchange, then reads the next request or closes.
  void finish(bool keep_alive);
  void lingeringClose();
  void doLinger();
  void closeNow();
  void resetExchange();

  Worker& worker_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  SnapshotPtr snapshot_;
  State state_ = State::idle;
  bool handed_off_ = false;

  net::ip::address peer_address_;
  std::string peer_ip_;

  // Per exchange.
  // Parsers, serializers and messages of the exchange in progress. Heap-allocated per exchange
  // (serializers are large), so an idle keep-alive connection costs only the socket and a few
  // strings. Serializers are declared after the parsers whose messages they reference.
  struct Exchange {
    std::optional<RequestParser> parser;
    std::optional<http::request_serializer<http::buffer_body>> request_serializer;
    std::optional<http::response_parser<http::buffer_body>> response_parser;
    std::optional<http::response_serializer<http::buffer_body>> response_serializer;
    std::optional<http::response<http::string_body>> reply;
    std::optional<http::response<http::empty_body>> switch_response;
  };
  std::unique_ptr<Exchange> x_;
  std::optional<tcp::resolver> resolver_;
  std::unique_ptr<char[]> relay_;
  std::size_t relay_size_ = 0;
  UpstreamConnectionPtr upstream_;
  Clock::time_point started_{};
  std::string method_, target_, host_, user_agent_, client_ip_, request_id_, upstream_status_;
  std::string_view reason_;
  unsigned status_ = 0;
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
  RouteClass route_ = RouteClass::app;
  bool client_keep_alive_ = false;
  unsigned client_version_ = 11;
  bool websocket_ = false;
  bool is_head_ = false;
  bool transformed_ = false;
  bool expect_continue_ = false;
  bool reused_ = false;
  bool retried_ = false;
  bool body_started_ = false;
  bool request_body_unread_ = false;
  bool metrics_counted_ = false;
  std::chrono::seconds retry_after_{0};
  Clock::time_point linger_deadline_{};
  std::size_t lingered_bytes_ = 0;
  // The gate's view of the request, its answer and what it needs kept alive.
  std::optional<GateRequest> gate_request_;
  std::optional<std::string> gate_body_;
  std::size_t gate_body_used_ = 0;
  std::string gate_reason_;
  std::string joined_cookies_;
  std::optional<ForwardPlan> plan_;
  std::size_t target_index_ = 0;
  std::string user_;
};

}  // namespace oh::gateway::proxy_session
