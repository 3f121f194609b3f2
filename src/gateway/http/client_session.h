#pragma once
// One client connection (private to oh_gateway_http): reads requests (keep-alive, pipelined
// bytes kept in the buffer), applies the request policy, asks the snapshot's RequestGate, and
// relays each exchange to the upstream (or a user's app) through a fixed buffer (Beast's
// relay() shape), so bodies of any size stream with bounded memory. Beast parses; heads and
// body framing are written by message_writer.h, each head in the same system call as the body
// bytes that came with it. A WebSocket handshake that the upstream accepts turns the connection
// into a byte tunnel (tunnel.h).
//
// The member functions live in three files by phase: client_session.cpp (request head, policy,
// gate, probes), client_relay.cpp (upstream connection, request and response relay, WebSocket
// hand-off) and client_replies.cpp (the gateway's own replies and the end of an exchange).
//
// Threading: the session lives on its worker's single-threaded io_context, which is the
// connection's strand; the upstream connection it borrows belongs to the same worker.

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <tuple>

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
#include "http/message_writer.h"
#include "http/request_gate.h"
#include "http/request_policy.h"
#include "http/request_reader.h"
#include "http/tunnel.h"
#include "http/worker.h"
#include "policy/client_address.h"

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
// The first read of a request, on a keep-alive connection waiting for it: what an idle
// connection holds (most heads fit; a longer one is read on with kHeadReadBytes more).
inline constexpr std::size_t kIdleReadBytes = 1024;
// Room for the head being sent, reserved once per exchange (a larger head grows it).
inline constexpr std::size_t kHeadReserveBytes = 1024;
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
// Arena for the header fields of one exchange: a browser's request (cookies included) and an
// app's response fit; Beast's elements take about 60 bytes beside each name and value.
inline constexpr std::size_t kExchangeArenaBytes = 6 * 1024;

using ResponseParser = http::response_parser<http::buffer_body, FieldAllocator>;

inline bool isTimeout(const beast::error_code& ec) {
  return ec == beast::error::timeout;
}

// True for errors raised by Beast's HTTP parser (malformed bytes), as opposed to socket errors.
inline bool isHttpError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_version).category();
}

class ClientSession : public std::enable_shared_from_this<ClientSession>, public WorkerConnection {
public:
  ClientSession(Worker& worker, WorkerSocket socket)
      : worker_(worker), client_(std::move(socket)), buffer_(RecyclingAllocator<char>(worker.recycler())) {
    beast::error_code ec;
    const auto peer = client_.remote_endpoint(ec);
    if (!ec) {
      peer_address_ = peer.address();
      peer_ip_ = peer_address_.to_string();
      peer_client_ip_ = clientAddress(peer_address_, {}, TrustedProxies{});
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

  // WorkerConnection
  void onDrain() override {
    if (state_ == State::idle) {
      // Waiting for a next request that has not started: nothing in flight to finish.
      beast::error_code ignored;
      client_.shutdown(tcp::socket::shutdown_both, ignored);
      client_.cancel(ignored);
    }
    // Busy sessions finish their exchange, then see draining() and close.
  }

  // The wait in progress (on the client's side or the upstream's: never both at once) ends at
  // its deadline: the sockets' operations are cancelled and their handlers see a timeout.
  void checkDeadline(Clock::time_point now) override {
    if (now < deadline_) {
      return;
    }
    deadline_ = Clock::time_point::max();
    timed_out_ = true;
    beast::error_code ignored;
    client_.cancel(ignored);
    if (upstream_) {
      upstream_->socket.cancel(ignored);
    }
    if (resolver_) {
      resolver_->cancel();
    }
  }

private:
  enum class State { idle, reading_head, proxying, responding, closing };

  const Settings& settings() const { return *snapshot_->settings; }

  // --- deadlines (checkDeadline) -----------------------------------------------------------

  // Times the next wait: it may take `timeout` (or end at `at`).
  void arm(Clock::duration timeout) { armAt(Clock::now() + timeout); }
  void armAt(Clock::time_point at) {
    deadline_ = at;
    timed_out_ = false;
  }
  void disarm() { armAt(Clock::time_point::max()); }

  // The error a wait ended with, as its handler must see it: a timeout when the deadline cut it
  // short (Beast's timed streams answer the same).
  beast::error_code settled(beast::error_code ec) const {
    return timed_out_ && ec == net::error::operation_aborted ? beast::error_code(beast::error::timeout) : ec;
  }

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
  std::string_view joinedCookies(const Fields& fields);
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
    upstream_ = std::make_unique<UpstreamConnection>(client_.get_executor(), worker_.recycler());
    upstream_->key = upstreamKey();
    const bool gate_timeout = gateTarget() != nullptr && plan_->connect_timeout.count() > 0;
    arm(gate_timeout ? plan_->connect_timeout : settings().upstream.connect_timeout);
    const std::string host(targetHost());
    const std::uint16_t port = targetPort();
    beast::error_code ec;
    const auto address = net::ip::make_address(host, ec);
    if (!ec) {
      upstream_->socket.async_connect(tcp::endpoint(address, port),
                                      [self = shared_from_this(), done](beast::error_code connect_ec) mutable {
                                        connect_ec = self->settled(connect_ec);
                                        self->onUpstreamConnected(connect_ec);
                                        done(connect_ec);
                                      });
      return;
    }
    // A host name: resolve per connection (rare with pooling; keeps DNS changes effective).
    resolver_.emplace(client_.get_executor());
    resolver_->async_resolve(
        host, std::to_string(port),
        [self = shared_from_this(), done](beast::error_code resolve_ec, tcp::resolver::results_type results) mutable {
          resolve_ec = self->settled(resolve_ec);
          if (resolve_ec || !self->upstream_) {
            return done(resolve_ec ? resolve_ec : beast::error_code(net::error::host_not_found));
          }
          net::async_connect(self->upstream_->socket, results,
                             [self, done](beast::error_code connect_ec, const tcp::endpoint&) mutable {
                               connect_ec = self->settled(connect_ec);
                               self->onUpstreamConnected(connect_ec);
                               done(connect_ec);
                             });
        });
  }

  void onUpstreamConnected(beast::error_code ec);

  // --- request relay ---------------------------------------------------------------------

  // Writes the request head (to the upstream) and relays the body through the fixed buffer,
  // re-framed as the head says; the head goes with the first body bytes when they are here.
  void sendUpstreamHead();

  // The fixed buffer bodies stream through: 64 KiB, or the body's size when known and smaller.
  void allocateRelay(boost::optional<std::uint64_t> content_length);
  // Parses what `from` holds of the body into the relay buffer; returns how many bytes that is.
  template <class Parser>
  std::size_t takeBodyPiece(Parser& parser, ConnectionBuffer& from, beast::error_code& ec);
  // One write's buffers: the head, if it has not gone yet, then `filled` relay bytes, framed.
  std::array<net::const_buffer, 4> outgoing(std::size_t filled, bool last);
  void relayRequestBody();
  void readRequestBody();
  void requestBodyFailed(beast::error_code ec);
  // Writes the pending head (if any) and `filled` bytes of the relay buffer, framed; `last`
  // ends the body.
  void writeUpstream(std::size_t filled, bool last);

  // --- response relay --------------------------------------------------------------------

  void readUpstreamHead();
  void parseUpstreamHead();
  void onUpstreamHead();
  void sendClientResponseHead();
  void relayResponseBody();
  void readResponseBody();
  void responseBodyFailed(beast::error_code ec);
  void writeClient(std::size_t filled, bool last);
  void completeExchange();

  // --- WebSocket ----------------------------------------------------------------------------

  void startWebSocketTunnel();
  void handOffTunnel();
  void applyGateResponseEdits(Fields& fields);

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
  WorkerSocket client_;
  Clock::time_point deadline_ = Clock::time_point::max();  // of the wait in progress
  bool timed_out_ = false;                                 // the deadline cancelled it
  ConnectionBuffer buffer_;
  SnapshotPtr snapshot_;
  State state_ = State::idle;
  bool handed_off_ = false;

  net::ip::address peer_address_;
  std::string peer_ip_;
  std::string peer_client_ip_;  // the peer as clientAddress() names a client that is no proxy

  // Per exchange.
  // Parsers and messages of the exchange in progress, and the arena their fields live in. Taken
  // from the worker's recycler when a request starts and given back when it ends, so an idle
  // keep-alive connection holds none of it and a busy worker allocates none of it.
  struct Exchange {
    // Not `= default`: makeRecycled() value-initializes, which would zero the arena on every
    // request.
    Exchange() { head.reserve(kHeadReserveBytes); }

    // The fields of both heads and the head being sent; a larger head's go on to the heap.
    std::array<std::byte, kExchangeArenaBytes> arena_storage;
    std::pmr::monotonic_buffer_resource arena{arena_storage.data(), arena_storage.size()};
    std::optional<RequestParser> parser;
    std::optional<ResponseParser> response_parser;
    std::optional<http::response<http::string_body, Fields>> reply;
    // The head being sent (the request's to the upstream, then the response's to the client),
    // written by message_writer.h.
    std::pmr::string head{&arena};

    // A parser whose message keeps its fields in the arena.
    template <class Parser>
    void startParser(std::optional<Parser>& slot) {
      slot.emplace(std::piecewise_construct, std::make_tuple(), std::make_tuple(FieldAllocator(&arena)));
    }
  };
  RecycledPtr<Exchange> x_;
  std::optional<tcp::resolver> resolver_;
  RecycledBlock relay_;
  std::size_t relay_size_ = 0;
  bool head_pending_ = false;  // x_->head not written yet: it goes with the first body bytes
  BodyFraming framing_;        // of the body being written
  bool request_chunked_ = false;
  UpstreamConnectionPtr upstream_;
  Clock::time_point started_{};
  std::string method_, target_, host_, user_agent_, client_ip_, upstream_status_;
  std::uint64_t request_number_ = 0;
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
