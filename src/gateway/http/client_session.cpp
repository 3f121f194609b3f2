// One client connection: reads requests (keep-alive, pipelined bytes kept in the buffer),
// applies the request policy, and relays each exchange to the upstream through a fixed buffer
// (Beast's relay() shape), so bodies of any size stream with bounded memory. A WebSocket
// handshake that the upstream accepts turns the connection into a byte tunnel (tunnel.h).
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
#include "http/request_policy.h"
#include "http/request_gate.h"
#include "http/request_reader.h"
#include "http/tunnel.h"
#include "http/worker.h"

namespace oh::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Body bytes relayed per read/write step, in each direction. 64 KiB keeps large transfers at
// memory speed; it is allocated only while a body is in flight, never for idle connections.
constexpr std::size_t kRelayBufferBytes = 64 * 1024;
// Bodies known to be smaller get a relay buffer of their own size (at least this much), so
// small responses never pay for a 64 KiB allocation.
constexpr std::size_t kMinRelayBufferBytes = 4 * 1024;
// Read buffer capacity for an upstream response head (plus, usually, a small body with it).
constexpr std::size_t kUpstreamHeadReadBytes = 8 * 1024;
// Bytes asked of the socket per read while a request head is incomplete.
constexpr std::size_t kHeadReadBytes = 4096;
// Upstream response heads may carry large cookies; bounded so a broken upstream cannot
// make the gateway buffer without limit.
constexpr std::uint32_t kUpstreamHeaderLimit = 64 * 1024;
// After refusing a request whose body was not read, keep reading (and discarding) for a while
// before closing: closing with unread bytes makes the kernel send RST, which can destroy the
// error response before the client reads it (the "lingering close" nginx also does).
constexpr std::chrono::seconds kLingerTimeout{5};
constexpr std::size_t kLingerMaxBytes = 1024 * 1024;
// The largest body a gate may ask to read itself (a login form is a few hundred bytes).
constexpr std::size_t kMaxGateBodyBytes = 64 * 1024;

bool isTimeout(const beast::error_code& ec) {
  return ec == beast::error::timeout;
}

// True for errors raised by Beast's HTTP parser (malformed bytes), as opposed to socket errors.
bool isHttpError(const beast::error_code& ec) {
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

  void doReadHead() {
    snapshot_ = worker_.snapshot();  // a request uses the configuration current at its start
    resetExchange();
    if (worker_.draining() && buffer_.size() == 0) {
      return closeNow();
    }
    state_ = buffer_.size() == 0 ? State::idle : State::reading_head;
    if (buffer_.size() > 0) {
      // Pipelined bytes already buffered: parse them before reading more.
      return onHeadBytes();
    }
    buffer_.shrink_to_fit();  // idle keep-alive connections hold no buffer memory
    readMoreHead();
  }

  void readMoreHead() {
    stream_.expires_after(state_ == State::idle ? settings().server.client_idle_timeout
                                                : settings().server.client_header_timeout);
    stream_.async_read_some(buffer_.prepare(kHeadReadBytes),
                            beast::bind_front_handler(&ClientSession::onReadHead, shared_from_this()));
  }

  void onReadHead(beast::error_code ec, std::size_t bytes) {
    if (ec) {
      // EOF between requests is the normal end of keep-alive; a timeout or reset mid-head is
      // the client's loss. Either way there is nobody to answer.
      return closeNow();
    }
    buffer_.commit(bytes);
    if (state_ == State::idle) {
      state_ = State::reading_head;
      started_ = Clock::now();
    }
    onHeadBytes();
  }

  void onHeadBytes() {
    // The configuration current when the request's bytes arrive, not when the connection
    // started waiting for them: a reload between keep-alive requests applies to the next one.
    snapshot_ = worker_.snapshot();
    if (started_ == Clock::time_point{}) {
      started_ = Clock::now();
    }
    if (!x_) {
      x_ = std::make_unique<Exchange>();
    }
    x_->parser.emplace();
    const auto data = buffer_.cdata();
    const std::string_view buffered(static_cast<const char*>(data.data()), data.size());
    const HeadOutcome outcome = readRequestHead(buffered, settings().limits, *x_->parser);
    switch (outcome.kind) {
    case HeadOutcome::Kind::need_more:
      return readMoreHead();
    case HeadOutcome::Kind::reject:
      route_ = RouteClass::rejected;
      return sendError(outcome.error, outcome.reason);
    case HeadOutcome::Kind::ready:
      buffer_.consume(outcome.consumed);
      return handleRequest();
    }
  }

  // --- request policy ------------------------------------------------------------------

  void handleRequest() {
    state_ = State::proxying;
    auto& request = x_->parser->get();
    request_id_ = worker_.nextRequestId();
    method_ = request.method_string();
    target_ = request.target();
    host_ = request[http::field::host];
    user_agent_ = request[http::field::user_agent];
    client_version_ = request.version();
    client_keep_alive_ = request.keep_alive() && client_version_ == 11;
    client_ip_ = clientAddress(peer_address_, request["X-Forwarded-For"], snapshot_->trusted);
    is_head_ = request.method() == http::verb::head;

    const std::string_view path = targetPath(target_);
    const bool gateway_path = isGatewayPath(path);
    // Probes answer before any check (load balancers send neither the origin secret nor
    // cookies); other /_gateway/ pages (sign-in, hand-off) are the gate's, behind the checks.
    if (gateway_path && (path == "/_gateway/health" || path == "/_gateway/ready" || !snapshot_->gate)) {
      route_ = RouteClass::gateway;
      return handleGatewayEndpoint(path);
    }
    if (snapshot_->origin && !snapshot_->origin->verify(request[settings().origin.header])) {
      worker_.metrics().originRejected();
      route_ = RouteClass::rejected;
      return sendError(GatewayError::forbidden_origin, "origin");
    }
    if (snapshot_->limiter) {
      const RateDecision decision = snapshot_->limiter->admit(client_ip_, Clock::now());
      if (!decision.allowed) {
        worker_.metrics().rateLimited();
        route_ = RouteClass::rejected;
        retry_after_ = decision.retry_after;
        return sendError(GatewayError::rate_limited, "rate_limit");
      }
    }
    websocket_ = isWebSocketUpgrade(request.base());
    route_ = gateway_path ? RouteClass::gateway : websocket_ ? RouteClass::websocket : RouteClass::app;
    if (snapshot_->gate) {
      return askGate();
    }
    acquireUpstream();
  }

  // --- the request gate (sign-in, runtime routing) ----------------------------------------

  void askGate() {
    auto& request = x_->parser->get();
    GateRequest& g = gate_request_.emplace();
    g.method = method_;
    g.target = target_;
    g.host = host_;
    g.cookie = joinedCookies(request.base());
    g.accept = request[http::field::accept];
    g.sec_fetch_mode = request["Sec-Fetch-Mode"];
    g.x_requested_with = request["X-Requested-With"];
    g.origin = request[http::field::origin];
    g.content_type = request[http::field::content_type];
    g.client_ip = client_ip_;
    g.websocket = websocket_;
    if (gate_body_) {
      g.body = *gate_body_;
    }
    // The session waits (reads nothing) until the gate answers, so the views stay valid.
    snapshot_->gate->admit(g, [self = shared_from_this()](GateDecision decision) {
      if (self->worker_.context().get_executor().running_in_this_thread()) {
        return self->onGateDecision(std::move(decision));
      }
      net::post(self->worker_.context(), [self, decision = std::move(decision)]() mutable {
        self->onGateDecision(std::move(decision));
      });
    });
  }

  // Every Cookie field's value, joined with "; " (HTTP/2-to-1 translators may split them).
  std::string_view joinedCookies(const http::fields& fields) {
    const auto range = fields.equal_range(http::field::cookie);
    if (range.first == range.second) {
      return {};
    }
    if (std::next(range.first) == range.second) {
      return range.first->value();
    }
    joined_cookies_.clear();
    for (auto it = range.first; it != range.second; ++it) {
      if (!joined_cookies_.empty()) {
        joined_cookies_ += "; ";
      }
      joined_cookies_ += it->value();
    }
    return joined_cookies_;
  }

  void onGateDecision(GateDecision decision) {
    gate_reason_ = std::move(decision.reason);
    switch (decision.kind) {
    case GateDecision::Kind::reply:
      return sendReply(std::move(decision.reply), gate_reason_.empty() ? "gate" : std::string_view(gate_reason_));
    case GateDecision::Kind::read_body:
      return readGateBody(decision.body_limit);
    case GateDecision::Kind::forward:
      plan_ = std::move(decision.forward);
      user_ = plan_->user;
      if (plan_->rewrite_target) {
        // What the upstream receives; the access log keeps what the client sent.
        x_->parser->get().target(*plan_->rewrite_target);
      }
      return acquireUpstream();
    }
  }

  // Reads the request body (at most `limit` bytes) for the gate, then asks it again.
  void readGateBody(std::size_t limit) {
    if (gate_body_ || limit == 0 || limit > kMaxGateBodyBytes) {
      spdlog::error("request gate asked for a body it cannot have (limit {})", limit);
      return sendError(GatewayError::bad_request, "gate_body");
    }
    const auto length = x_->parser->content_length();
    if (length && *length > limit) {
      request_body_unread_ = true;
      return sendError(GatewayError::payload_too_large, "body_limit");
    }
    gate_body_.emplace(limit, '\0');
    gate_body_used_ = 0;
    if (headerHasToken(x_->parser->get()[http::field::expect], "100-continue") && !x_->parser->is_done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(settings().server.client_header_timeout);
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) {
                           return self->closeNow();
                         }
                         self->readGateBodyMore();
                       });
      return;
    }
    readGateBodyMore();
  }

  void readGateBodyMore() {
    if (x_->parser->is_done()) {
      gate_body_->resize(gate_body_used_);
      bytes_in_ += gate_body_used_;
      return askGate();
    }
    if (gate_body_used_ == gate_body_->size()) {
      request_body_unread_ = true;
      return sendError(GatewayError::payload_too_large, "body_limit");
    }
    auto& body = x_->parser->get().body();
    body.data = gate_body_->data() + gate_body_used_;
    body.size = gate_body_->size() - gate_body_used_;
    stream_.expires_after(settings().server.client_header_timeout);
    http::async_read_some(stream_, buffer_, *x_->parser, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec == http::error::need_buffer) {
        ec = {};
      }
      auto& read_body = self->x_->parser->get().body();
      self->gate_body_used_ = self->gate_body_->size() - read_body.size;
      if (ec == http::error::body_limit) {
        self->request_body_unread_ = true;
        return self->sendError(GatewayError::payload_too_large, "body_limit");
      }
      if (ec) {
        if (isHttpError(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
          self->request_body_unread_ = true;
          return self->sendError(GatewayError::bad_request, "bad request body framing");
        }
        self->reason_ = "client_closed_mid_body";
        return self->finish(false);
      }
      self->readGateBodyMore();
    });
  }

  void handleGatewayEndpoint(std::string_view path) {
    if (path == "/_gateway/health") {
      ErrorReply reply;
      reply.status = 200;
      reply.content_type = "text/plain; charset=utf-8";
      reply.body = "ok\n";
      return sendReply(std::move(reply), "");
    }
    if (path == "/_gateway/ready") {
      return checkReady();
    }
    sendError(GatewayError::not_found, "not_found");
  }

  // Ready when the upstream accepts a connection (a pooled one counts; a new one is kept).
  void checkReady() {
    const auto& upstream = settings().upstream;
    if (auto pooled = worker_.pool().take(upstreamKey(), Clock::now(), upstream.pool_idle_timeout)) {
      worker_.pool().put(std::move(pooled), upstream.pool_max_idle_per_thread, Clock::now());
      return onReady(true);
    }
    connectUpstream([self = shared_from_this()](beast::error_code ec) {
      if (!ec) {
        self->worker_.pool().put(std::move(self->upstream_), self->settings().upstream.pool_max_idle_per_thread,
                                 Clock::now());
      }
      self->upstream_.reset();
      self->onReady(!ec);
    });
  }

  void onReady(bool ready) {
    if (!ready) {
      return sendError(GatewayError::not_ready, "not_ready");
    }
    if (snapshot_->gate) {
      if (auto why = snapshot_->gate->notReadyReason()) {
        gate_reason_ = std::move(*why);
        return sendError(GatewayError::not_ready, gate_reason_);
      }
    }
    ErrorReply reply;
    reply.status = 200;
    reply.content_type = "text/plain; charset=utf-8";
    reply.body = "ready\n";
    sendReply(std::move(reply), "");
  }

  // --- upstream connection ---------------------------------------------------------------

  // Where this request goes: the gate's current target, else the configured upstream.
  const ForwardTarget* gateTarget() const {
    if (plan_ && target_index_ < plan_->targets.size()) {
      return &plan_->targets[target_index_];
    }
    return nullptr;
  }
  std::string_view targetHost() const {
    const auto* target = gateTarget();
    return target ? std::string_view(target->host) : std::string_view(settings().upstream.host);
  }
  std::uint16_t targetPort() const {
    const auto* target = gateTarget();
    return target ? target->port : settings().upstream.port;
  }
  std::string upstreamKey() const { return fmt::format("{}:{}", targetHost(), targetPort()); }

  void acquireUpstream() {
    const auto& upstream = settings().upstream;
    // A WebSocket becomes a tunnel and never returns to the pool: give it a fresh connection.
    if (!websocket_ && !retried_) {
      upstream_ = worker_.pool().take(upstreamKey(), Clock::now(), upstream.pool_idle_timeout);
    }
    if (upstream_) {
      reused_ = true;
      return sendUpstreamHead();
    }
    reused_ = false;
    connectUpstream([self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        self->upstream_.reset();
        if (self->plan_ && self->target_index_ + 1 < self->plan_->targets.size()) {
          ++self->target_index_;  // the app's next candidate address (DESIGN.md section 4)
          return self->acquireUpstream();
        }
        if (self->plan_ && self->plan_->cors_probe_no_content) {
          return self->sendCorsProbeNoContent();
        }
        if (isTimeout(ec)) {
          self->worker_.metrics().upstreamFailed(UpstreamError::timeout);
          return self->sendError(GatewayError::upstream_timeout, "upstream_connect_timeout");
        }
        self->worker_.metrics().upstreamFailed(UpstreamError::connect);
        return self->sendError(GatewayError::upstream_unavailable, "upstream_connect");
      }
      self->sendUpstreamHead();
    });
  }

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

  void onUpstreamConnected(beast::error_code ec) {
    if (!ec && upstream_) {
      beast::error_code ignored;
      upstream_->stream.socket().set_option(tcp::no_delay(true), ignored);
    }
  }

  // --- request relay ---------------------------------------------------------------------

  void sendUpstreamHead() {
    auto& request = x_->parser->get();
    if (!transformed_) {
      transformed_ = true;
      const bool chunked = x_->parser->chunked();
      expect_continue_ = headerHasToken(request[http::field::expect], "100-continue") && !x_->parser->is_done();
      ForwardContext context;
      context.client_ip = client_ip_;
      context.peer_ip = peer_ip_;
      context.proto = "http";
      context.websocket = websocket_;
      context.strip_header = settings().origin.header;
      prepareUpstreamRequest(request.base(), context, snapshot_->trusted.contains(peer_address_));
      if (plan_) {
        applyRequestEdits(request.base(), *plan_);
      }
      // The gateway answers 100 Continue itself (below); the upstream must not wait for it.
      request.erase(http::field::expect);
      request.version(11);
      if (chunked) {
        request.chunked(true);
      }
      request.body().data = nullptr;
      request.body().size = 0;
      request.body().more = !x_->parser->is_done();
    }
    x_->request_serializer.emplace(request);
    upstream_->stream.expires_after(settings().upstream.read_timeout);
    http::async_write_header(upstream_->stream, *x_->request_serializer,
                             beast::bind_front_handler(&ClientSession::onUpstreamHeadWritten, shared_from_this()));
  }

  void onUpstreamHeadWritten(beast::error_code ec, std::size_t) {
    if (ec) {
      return upstreamFailedBeforeResponse(ec);
    }
    if (x_->parser->is_done()) {
      return finishRequestBody();
    }
    allocateRelay(x_->parser->content_length());
    if (expect_continue_) {
      expect_continue_ = false;
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(settings().server.client_idle_timeout);
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                         if (write_ec) {
                           self->discardUpstream();
                           return self->finish(false);
                         }
                         self->readRequestBody();
                       });
      return;
    }
    readRequestBody();
  }

  // The fixed buffer bodies stream through: 64 KiB, or the body's size when known and smaller.
  void allocateRelay(boost::optional<std::uint64_t> content_length) {
    std::size_t size = kRelayBufferBytes;
    if (content_length && *content_length < size) {
      size = std::max(kMinRelayBufferBytes, static_cast<std::size_t>(*content_length));
    }
    if (!relay_ || relay_size_ < size) {
      relay_.reset(new char[size]);
      relay_size_ = size;
    }
  }

  void readRequestBody() {
    // Beast reads at most the buffer's free capacity (512 bytes when empty): reserve a
    // relay's worth so large bodies move in few system calls.
    buffer_.reserve(relay_size_);
    auto& body = x_->parser->get().body();
    body.data = relay_.get();
    body.size = relay_size_;
    stream_.expires_after(settings().server.client_idle_timeout);
    http::async_read_some(stream_, buffer_, *x_->parser,
                          beast::bind_front_handler(&ClientSession::onRequestBody, shared_from_this()));
  }

  void onRequestBody(beast::error_code ec, std::size_t) {
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    if (ec == http::error::body_limit) {
      request_body_unread_ = true;
      discardUpstream();
      return sendError(GatewayError::payload_too_large, "body_limit");
    }
    if (ec) {
      // Client vanished or sent broken chunk framing mid-body: the upstream has a partial
      // request, so that connection is unusable; a parse error still deserves a 400.
      discardUpstream();
      if (isHttpError(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
        request_body_unread_ = true;
        return sendError(GatewayError::bad_request, "bad request body framing");
      }
      reason_ = "client_closed_mid_body";
      return finish(false);
    }
    auto& body = x_->parser->get().body();
    const std::size_t filled = relay_size_ - body.size;
    if (filled == 0 && !x_->parser->is_done()) {
      return readRequestBody();
    }
    bytes_in_ += filled;
    body.data = filled == 0 ? nullptr : relay_.get();
    body.size = filled;
    body.more = !x_->parser->is_done();
    upstream_->stream.expires_after(settings().upstream.read_timeout);
    http::async_write(upstream_->stream, *x_->request_serializer,
                      beast::bind_front_handler(&ClientSession::onRequestBodyWritten, shared_from_this()));
  }

  void onRequestBodyWritten(beast::error_code ec, std::size_t) {
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    if (ec) {
      body_started_ = true;
      return upstreamFailedBeforeResponse(ec);
    }
    body_started_ = true;
    if (x_->parser->is_done() && x_->request_serializer->is_done()) {
      return readUpstreamHead();
    }
    if (x_->parser->is_done()) {
      return finishRequestBody();
    }
    readRequestBody();
  }

  // Writes what remains of the framing (the last chunk for chunked bodies).
  void finishRequestBody() {
    auto& body = x_->parser->get().body();
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    if (x_->request_serializer->is_done()) {
      return readUpstreamHead();
    }
    upstream_->stream.expires_after(settings().upstream.read_timeout);
    http::async_write(upstream_->stream, *x_->request_serializer,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec == http::error::need_buffer) {
                          ec = {};
                        }
                        if (ec) {
                          return self->upstreamFailedBeforeResponse(ec);
                        }
                        self->readUpstreamHead();
                      });
  }

  // --- response relay --------------------------------------------------------------------

  void readUpstreamHead() {
    x_->response_parser.emplace();
    x_->response_parser->body_limit(boost::none);
    x_->response_parser->header_limit(kUpstreamHeaderLimit);
    if (is_head_) {
      x_->response_parser->skip(true);
    }
    upstream_->buffer.reserve(kUpstreamHeadReadBytes);  // see readRequestBody()
    upstream_->stream.expires_after(settings().upstream.read_timeout);
    http::async_read_header(upstream_->stream, upstream_->buffer, *x_->response_parser,
                            beast::bind_front_handler(&ClientSession::onUpstreamHead, shared_from_this()));
  }

  void onUpstreamHead(beast::error_code ec, std::size_t) {
    if (ec) {
      return upstreamFailedBeforeResponse(ec);
    }
    auto& response = x_->response_parser->get();
    const unsigned status = response.result_int();
    if (status == 101) {
      if (websocket_) {
        return startWebSocketTunnel();
      }
      worker_.metrics().upstreamFailed(UpstreamError::protocol);
      discardUpstream();
      return sendError(GatewayError::upstream_unavailable, "unexpected 101 from upstream");
    }
    if (status >= 100 && status < 200) {
      // Interim responses (103 Early Hints) are dropped; the final one follows.
      return readUpstreamHead();
    }
    sendClientResponseHead();
  }

  void sendClientResponseHead() {
    auto& response = x_->response_parser->get();
    const unsigned status = response.result_int();
    upstream_status_ = std::to_string(status);
    status_ = status;
    const bool no_body = is_head_ || status == 204 || status == 304;
    const bool sized = x_->response_parser->content_length().has_value();
    prepareClientResponse(response.base(), false);
    applyGateResponseEdits(response.base());
    bool keep = client_keep_alive_ && !worker_.draining() && !request_body_unread_;
    if (!no_body && !sized) {
      if (client_version_ == 11) {
        // Chunked or delimited by the upstream closing: re-frame as chunked for the client.
        response.chunked(true);
      } else {
        keep = false;  // HTTP/1.0 has no chunked coding: closing the connection ends the body
      }
    }
    if (websocket_) {
      keep = false;  // a refused upgrade: the client's next bytes may be frames, not requests
    }
    response.version(11);
    response.keep_alive(keep);
    client_keep_alive_ = keep;
    response.body().data = nullptr;
    response.body().size = 0;
    response.body().more = !x_->response_parser->is_done();
    x_->response_serializer.emplace(response);
    state_ = State::responding;
    if (x_->response_parser->is_done()) {
      return finishResponseBody();  // no body: the head is the only write
    }
    if (upstream_->buffer.size() > 0) {
      // Body bytes came with the head (the common small response): send the head and the
      // first body bytes in one write instead of two.
      allocateRelay(x_->response_parser->content_length());
      return readResponseBody();
    }
    // Nothing of the body yet: send the head now, the body may be slow to come (streams, SSE).
    stream_.expires_after(settings().server.client_idle_timeout);
    http::async_write_header(stream_, *x_->response_serializer,
                             beast::bind_front_handler(&ClientSession::onClientHeadWritten, shared_from_this()));
  }

  void onClientHeadWritten(beast::error_code ec, std::size_t bytes) {
    if (ec) {
      discardUpstream();
      return closeNow();
    }
    bytes_out_ += bytes;
    if (!x_->response_parser->is_done()) {
      allocateRelay(x_->response_parser->content_length());
    }
    if (x_->response_parser->is_done()) {
      return finishResponseBody();
    }
    readResponseBody();
  }

  void readResponseBody() {
    upstream_->buffer.reserve(relay_size_);  // see readRequestBody()
    auto& body = x_->response_parser->get().body();
    body.data = relay_.get();
    body.size = relay_size_;
    upstream_->stream.expires_after(settings().upstream.read_timeout);
    http::async_read_some(upstream_->stream, upstream_->buffer, *x_->response_parser,
                          beast::bind_front_handler(&ClientSession::onResponseBody, shared_from_this()));
  }

  void onResponseBody(beast::error_code ec, std::size_t) {
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    if (ec) {
      // The response head is already out: all the client can learn is an abrupt close.
      worker_.metrics().upstreamFailed(isTimeout(ec) ? UpstreamError::timeout : UpstreamError::reset);
      reason_ = isTimeout(ec) ? "upstream_timeout_mid_body" : "upstream_reset_mid_body";
      discardUpstream();
      return finish(false);
    }
    auto& body = x_->response_parser->get().body();
    const std::size_t filled = relay_size_ - body.size;
    if (filled == 0 && !x_->response_parser->is_done()) {
      return readResponseBody();
    }
    body.data = filled == 0 ? nullptr : relay_.get();
    body.size = filled;
    body.more = !x_->response_parser->is_done();
    if (!body.more) {
      countMetrics();
    }
    stream_.expires_after(settings().server.client_idle_timeout);
    http::async_write(stream_, *x_->response_serializer,
                      beast::bind_front_handler(&ClientSession::onResponseBodyWritten, shared_from_this()));
  }

  void onResponseBodyWritten(beast::error_code ec, std::size_t bytes) {
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    bytes_out_ += bytes;
    if (ec) {
      discardUpstream();
      return finish(false);
    }
    if (x_->response_parser->is_done()) {
      return finishResponseBody();
    }
    readResponseBody();
  }

  void finishResponseBody() {
    auto& body = x_->response_parser->get().body();
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    countMetrics();
    if (x_->response_serializer->is_done()) {
      return completeExchange();
    }
    stream_.expires_after(settings().server.client_idle_timeout);
    http::async_write(stream_, *x_->response_serializer, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec == http::error::need_buffer) {
        ec = {};
      }
      self->bytes_out_ += n;
      if (ec) {
        self->discardUpstream();
        return self->finish(false);
      }
      self->completeExchange();
    });
  }

  void completeExchange() {
    if (upstream_ && x_->response_parser->keep_alive() && !x_->response_parser->need_eof() && upstream_->buffer.size() == 0) {
      worker_.pool().put(std::move(upstream_), settings().upstream.pool_max_idle_per_thread, Clock::now());
    }
    discardUpstream();
    finish(client_keep_alive_);
  }

  // --- WebSocket ----------------------------------------------------------------------------

  void startWebSocketTunnel() {
    auto& upstream_response = x_->response_parser->get();
    upstream_status_ = "101";
    status_ = 101;
    http::response<http::empty_body> response(std::move(upstream_response.base()));
    prepareClientResponse(response.base(), true);
    applyGateResponseEdits(response.base());
    x_->switch_response.emplace(std::move(response));
    stream_.expires_after(settings().server.client_idle_timeout);
    http::async_write(stream_, *x_->switch_response, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->bytes_out_ += n;
      if (ec) {
        self->discardUpstream();
        return self->closeNow();
      }
      self->handOffTunnel();
    });
  }

  void handOffTunnel() {
    stream_.expires_never();
    upstream_->stream.expires_never();
    std::string client_pending = beast::buffers_to_string(buffer_.data());
    std::string upstream_pending = beast::buffers_to_string(upstream_->buffer.data());
    buffer_.consume(buffer_.size());
    // The tunnel owns both sockets (and the connection count) from here on.
    handed_off_ = true;
    state_ = State::closing;
    worker_.metrics().websocketOpened();
    auto record = std::make_shared<AccessRecord>(accessRecord());
    Worker* worker = &worker_;
    startTunnel(worker_, stream_.release_socket(), upstream_->stream.release_socket(), std::move(client_pending),
                std::move(upstream_pending), settings().websocket.idle_timeout,
                [worker, record](const TunnelStats& stats) {
                  worker->metrics().websocketClosed();
                  worker->metrics().connectionClosed();
                  worker->shared().open_connections.fetch_sub(1, std::memory_order_relaxed);
                  record->bytes_in += stats.client_to_upstream;
                  record->bytes_out += stats.upstream_to_client;
                  record->emit();
                });
    upstream_.reset();
  }

  void applyGateResponseEdits(http::fields& fields) {
    if (plan_) {
      addResponseCookies(fields, *plan_);
    }
  }

  // --- replies the gateway makes itself --------------------------------------------------

  // A browser's CORS probe of an app that is not listening yet: an empty, uncached answer
  // instead of a 502 the browser would report as a CORS failure.
  void sendCorsProbeNoContent() {
    ErrorReply reply;
    reply.status = 204;
    reply.headers.emplace_back("Cache-Control", "no-store");
    sendReply(std::move(reply), "app_not_listening_cors_probe");
  }

  void sendError(GatewayError error, std::string_view reason) {
    ErrorContext context;
    context.mode = settings().mode;
    context.upstream_url = settings().upstream.url;
    context.retry_after = retry_after_;
    sendReply(errorReply(error, context), reason.empty() ? gatewayErrorName(error) : reason);
  }

  void sendReply(ErrorReply reply, std::string_view reason) {
    if (state_ == State::responding) {
      // Part of an upstream response already went out: a second status line would corrupt
      // the stream, so the only honest signal left is closing.
      reason_ = reason;
      return finish(false);
    }
    reason_ = reason;
    status_ = reply.status;
    const bool body_pending = x_ && x_->parser && x_->parser->is_header_done() && !x_->parser->is_done();
    const bool keep = client_keep_alive_ && !reply.close_connection && !body_pending && !request_body_unread_ &&
                      !worker_.draining();
    if (body_pending) {
      request_body_unread_ = true;
    }
    auto& response = x_->reply.emplace(static_cast<http::status>(reply.status), 11);
    if (!reply.content_type.empty()) {
      response.set(http::field::content_type, reply.content_type);
    }
    for (auto& [name, value] : reply.headers) {
      response.insert(name, value);  // insert: a reply may carry several Set-Cookie fields
    }
    response.body() = std::move(reply.body);
    response.keep_alive(keep);
    response.prepare_payload();
    if (is_head_) {
      response.body().clear();
    }
    client_keep_alive_ = keep;
    state_ = State::responding;
    countMetrics();
    stream_.expires_after(settings().server.client_idle_timeout);
    http::async_write(stream_, *x_->reply, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->bytes_out_ += n;
      self->finish(!ec && self->client_keep_alive_);
    });
  }

  // --- ending an exchange ------------------------------------------------------------------

  void upstreamFailedBeforeResponse(beast::error_code ec) {
    // A pooled connection the upstream had closed: retry once on a fresh connection when
    // nothing of the request body was consumed (so the request can be sent again as is).
    const bool stale = reused_ && !retried_ && !body_started_ && x_->parser->is_done() &&
                       (ec == http::error::end_of_stream || ec == net::error::connection_reset ||
                        ec == net::error::broken_pipe || ec == net::error::eof);
    discardUpstream();
    if (stale) {
      retried_ = true;
      return acquireUpstream();
    }
    if (isTimeout(ec)) {
      worker_.metrics().upstreamFailed(UpstreamError::timeout);
      return sendError(GatewayError::upstream_timeout, "upstream_timeout");
    }
    const bool protocol = isHttpError(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message;
    worker_.metrics().upstreamFailed(protocol ? UpstreamError::protocol : UpstreamError::reset);
    sendError(GatewayError::upstream_unavailable, protocol ? "upstream_protocol" : "upstream_reset");
  }

  void discardUpstream() {
    if (upstream_) {
      beast::error_code ignored;
      upstream_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      upstream_->stream.close();
      upstream_.reset();
    }
  }

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

    void emit() const {
      const auto elapsed = Clock::now() - started;
      if (count_metrics) {
        metrics->requestFinished(route, status, std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed));
      }
      if (!enabled) {
        return;
      }
      AccessLogEntry entry;
      entry.time = time;
      entry.client_ip = client_ip;
      entry.method = method;
      entry.target = target;
      entry.host = host;
      entry.user_agent = user_agent;
      entry.request_id = request_id;
      entry.status = status;
      entry.bytes_in = bytes_in;
      entry.bytes_out = bytes_out;
      entry.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed);
      entry.route = route;
      entry.upstream_status = upstream_status;
      entry.reason = reason;
      entry.user = user;
      emitAccessLog(entry);
    }
  };

  AccessRecord accessRecord() const {
    AccessRecord record;
    record.time = std::chrono::system_clock::now() -
                  std::chrono::duration_cast<std::chrono::system_clock::duration>(Clock::now() - started_);
    record.client_ip = client_ip_.empty() ? peer_ip_ : client_ip_;
    record.method = method_;
    record.target = target_;
    record.host = host_;
    record.user_agent = user_agent_;
    record.request_id = request_id_;
    record.upstream_status = upstream_status_;
    record.reason = reason_;
    record.user = user_;
    record.status = status_;
    record.bytes_in = bytes_in_;
    record.bytes_out = bytes_out_;
    record.started = started_;
    record.route = route_;
    record.enabled = settings().log.access_log;
    record.metrics = &worker_.metrics();
    return record;
  }

  // Counts the exchange in the metrics just before its last bytes go out, so a scrape made
  // after the client has read the response always includes it.
  void countMetrics() {
    if (metrics_counted_) {
      return;
    }
    metrics_counted_ = true;
    worker_.metrics().requestFinished(route_, status_,
                                      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started_));
  }

  // Logs the exchange, then reads the next request or closes.
  void finish(bool keep_alive) {
    if (status_ == 0) {
      status_ = 499;  // nginx's "client closed request": nothing was answered
    }
    auto record = accessRecord();
    record.count_metrics = !metrics_counted_;
    record.emit();
    if (keep_alive && !worker_.draining()) {
      return doReadHead();
    }
    if (request_body_unread_ || (x_ && x_->reply)) {
      // After an answer of our own (often to a request we did not read to its end) the client
      // may still be sending: see kLingerTimeout.
      return lingeringClose();
    }
    closeNow();
  }

  void lingeringClose() {
    state_ = State::closing;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    linger_deadline_ = Clock::now() + kLingerTimeout;
    doLinger();
  }

  void doLinger() {
    if (Clock::now() >= linger_deadline_ || lingered_bytes_ > kLingerMaxBytes) {
      return closeNow();
    }
    buffer_.clear();
    stream_.expires_at(linger_deadline_);
    stream_.async_read_some(buffer_.prepare(kHeadReadBytes), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) {
        return self->closeNow();
      }
      self->lingered_bytes_ += n;
      self->doLinger();
    });
  }

  void closeNow() {
    state_ = State::closing;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  void resetExchange() {
    x_.reset();
    relay_.reset();
    relay_size_ = 0;
    started_ = {};
    method_.clear();
    target_.clear();
    host_.clear();
    user_agent_.clear();
    client_ip_.clear();
    request_id_.clear();
    upstream_status_.clear();
    reason_ = {};
    status_ = 0;
    bytes_in_ = 0;
    bytes_out_ = 0;
    route_ = RouteClass::app;
    websocket_ = false;
    is_head_ = false;
    transformed_ = false;
    expect_continue_ = false;
    reused_ = false;
    retried_ = false;
    body_started_ = false;
    request_body_unread_ = false;
    metrics_counted_ = false;
    retry_after_ = std::chrono::seconds{0};
    gate_request_.reset();
    gate_body_.reset();
    gate_body_used_ = 0;
    gate_reason_.clear();
    joined_cookies_.clear();
    plan_.reset();
    target_index_ = 0;
    user_.clear();
  }

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

}  // namespace

void startClientSession(Worker& worker, tcp::socket socket) {
  std::make_shared<ClientSession>(worker, std::move(socket))->run();
}

}  // namespace oh::gateway
