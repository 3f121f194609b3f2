// The upstream connection (pooled, or to a gate's targets in order), the request and response
// relays through the fixed buffer, and the WebSocket hand-off to a tunnel.

#include "http/client_session.h"

#include "runtime/runtime_response_fields.h"

namespace oh::gateway::proxy_session {

const ForwardTarget* ClientSession::gateTarget() const {
  if (plan_ && target_index_ < plan_->targets.size()) {
    return &plan_->targets[target_index_];
  }
  return nullptr;
}

std::string_view ClientSession::targetHost() const {
  const auto* target = gateTarget();
  return target ? std::string_view(target->host) : std::string_view(settings().upstream.host);
}

std::uint16_t ClientSession::targetPort() const {
  const auto* target = gateTarget();
  return target ? target->port : settings().upstream.port;
}

void ClientSession::acquireUpstream() {
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

void ClientSession::onUpstreamConnected(beast::error_code ec) {
  if (!ec && upstream_) {
    beast::error_code ignored;
    upstream_->stream.socket().set_option(tcp::no_delay(true), ignored);
  }
}

void ClientSession::sendUpstreamHead() {
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
      if (const std::size_t spoofed = applyRequestEdits(request.base(), *plan_); spoofed > 0) {
        spdlog::warn("request {} from {}: removed {} identity header(s) the client sent", request_id_,
                     client_ip_, spoofed);
      }
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

void ClientSession::onUpstreamHeadWritten(beast::error_code ec, std::size_t) {
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

void ClientSession::allocateRelay(boost::optional<std::uint64_t> content_length) {
  std::size_t size = kRelayBufferBytes;
  if (content_length && *content_length < size) {
    size = std::max(kMinRelayBufferBytes, static_cast<std::size_t>(*content_length));
  }
  if (!relay_ || relay_size_ < size) {
    relay_.reset(new char[size]);
    relay_size_ = size;
  }
}

void ClientSession::readRequestBody() {
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

void ClientSession::onRequestBody(beast::error_code ec, std::size_t) {
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

void ClientSession::onRequestBodyWritten(beast::error_code ec, std::size_t) {
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

void ClientSession::finishRequestBody() {
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

void ClientSession::readUpstreamHead() {
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

void ClientSession::onUpstreamHead(beast::error_code ec, std::size_t) {
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

void ClientSession::sendClientResponseHead() {
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

void ClientSession::onClientHeadWritten(beast::error_code ec, std::size_t bytes) {
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

void ClientSession::readResponseBody() {
  upstream_->buffer.reserve(relay_size_);  // see readRequestBody()
  auto& body = x_->response_parser->get().body();
  body.data = relay_.get();
  body.size = relay_size_;
  upstream_->stream.expires_after(settings().upstream.read_timeout);
  http::async_read_some(upstream_->stream, upstream_->buffer, *x_->response_parser,
                        beast::bind_front_handler(&ClientSession::onResponseBody, shared_from_this()));
}

void ClientSession::onResponseBody(beast::error_code ec, std::size_t) {
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

void ClientSession::onResponseBodyWritten(beast::error_code ec, std::size_t bytes) {
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

void ClientSession::finishResponseBody() {
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

void ClientSession::completeExchange() {
  if (upstream_ && x_->response_parser->keep_alive() && !x_->response_parser->need_eof() && upstream_->buffer.size() == 0) {
    worker_.pool().put(std::move(upstream_), settings().upstream.pool_max_idle_per_thread, Clock::now());
  }
  discardUpstream();
  finish(client_keep_alive_);
}

void ClientSession::startWebSocketTunnel() {
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

void ClientSession::handOffTunnel() {
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
              std::move(upstream_pending), settings().websocket.idle_timeout, settings().websocket.max_message_bytes,
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

void ClientSession::applyGateResponseEdits(http::fields& fields) {
  if (!plan_) {
    return;
  }
  if (plan_->runtime_response) {
    applyRuntimeResponsePolicy(fields, *plan_->runtime_response);  // before our own cookies are added
  }
  addResponseCookies(fields, *plan_);
}

}  // namespace oh::gateway::proxy_session
