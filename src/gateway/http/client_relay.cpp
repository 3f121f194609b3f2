// The upstream connection (pooled, or to a gate's targets in order), the request and response
// relays through the fixed buffer, and the WebSocket hand-off to a tunnel.

#include "http/client_session.h"

#include <array>

#include "http/message_writer.h"
#include "runtime/runtime_response_fields.h"

namespace oh::gateway::proxy_session {

namespace {

// Feeds the bytes `buffer` holds to `parser`: a head, or a body into the body's buffer (which
// may fill up). Running out of bytes or of body room is not an error: the caller reads more or
// writes what the body buffer holds.
template <bool isRequest>
beast::error_code parseBuffered(http::basic_parser<isRequest>& parser, ConnectionBuffer& buffer) {
  beast::error_code ec;
  while (buffer.size() > 0 && !parser.is_done()) {
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more || ec == http::error::need_buffer) {
      return {};
    }
    if (ec || used == 0) {
      return ec;
    }
  }
  return {};
}

// What the end of a peer's bytes means to a parser that wanted more: the end of a message
// delimited by the close (no error), a message cut short (partial_message), or, before any
// byte of it, end_of_stream (Beast's own reads answer the same).
template <bool isRequest>
beast::error_code endOfInput(http::basic_parser<isRequest>& parser) {
  if (!parser.got_some()) {
    return http::error::end_of_stream;
  }
  beast::error_code ec;
  parser.put_eof(ec);
  if (!ec && !parser.is_header_done()) {
    ec = http::error::partial_message;
  }
  return ec;
}

}  // namespace

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
    upstream_->socket.set_option(tcp::no_delay(true), ignored);
  }
}

void ClientSession::sendUpstreamHead() {
  auto& request = x_->parser->get();
  if (!transformed_) {
    transformed_ = true;
    request_chunked_ = x_->parser->chunked();
    expect_continue_ = headerHasToken(request[http::field::expect], "100-continue") && !x_->parser->is_done();
    ForwardContext context;
    context.client_ip = client_ip_;
    context.peer_ip = peer_ip_;
    context.proto = "http";
    context.websocket = websocket_;
    context.strip_header = settings().origin.header;
    if (plan_) {
      context.remove_header_prefixes = plan_->remove_header_prefixes;
    }
    const std::size_t spoofed =
        prepareUpstreamRequest(request.base(), context, snapshot_->trusted.contains(peer_address_));
    if (spoofed > 0) {
      spdlog::warn("request {} from {}: removed {} identity header(s) the client sent", worker_.requestId(request_number_),
                   client_ip_, spoofed);
    }
    if (plan_) {
      applyRequestEdits(request.base(), *plan_);
    }
    // The gateway answers 100 Continue itself (below); the upstream must not wait for it.
    request.erase(http::field::expect);
    request.version(11);
    if (request_chunked_) {
      request.chunked(true);
    }
  }
  x_->head.clear();
  appendRequestHead(x_->head, request.base());
  head_pending_ = true;
  framing_ = BodyFraming(request_chunked_);
  if (x_->parser->is_done()) {
    return relayRequestBody();
  }
  allocateRelay(x_->parser->content_length());
  if (expect_continue_) {
    expect_continue_ = false;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    arm(settings().server.client_idle_timeout);
    net::async_write(client_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                       if (write_ec) {
                         self->discardUpstream();
                         return self->finish(false);
                       }
                       self->relayRequestBody();
                     });
    return;
  }
  relayRequestBody();
}

void ClientSession::allocateRelay(boost::optional<std::uint64_t> content_length) {
  std::size_t size = kRelayBufferBytes;
  if (content_length && *content_length < size) {
    size = std::max(kMinRelayBufferBytes, static_cast<std::size_t>(*content_length));
  }
  relay_.ensure(worker_.recycler(), size);
  relay_size_ = size;
}

template <class Parser>
std::size_t ClientSession::takeBodyPiece(Parser& parser, ConnectionBuffer& from, beast::error_code& ec) {
  if (parser.is_done()) {
    return 0;
  }
  auto& body = parser.get().body();
  body.data = relay_.data();
  body.size = relay_size_;
  ec = parseBuffered(parser, from);
  return relay_size_ - body.size;
}

std::array<net::const_buffer, 4> ClientSession::outgoing(std::size_t filled, bool last) {
  const auto frame = framing_.frame(filled, last);
  const std::string_view head = head_pending_ ? std::string_view(x_->head) : std::string_view();
  head_pending_ = false;
  return {net::buffer(head), net::buffer(frame.prefix), net::buffer(relay_.data(), filled), net::buffer(frame.suffix)};
}

void ClientSession::relayRequestBody() {
  auto& parser = *x_->parser;
  beast::error_code ec;
  const std::size_t filled = takeBodyPiece(parser, buffer_, ec);
  if (ec) {
    return requestBodyFailed(ec);
  }
  if (filled == 0 && !parser.is_done()) {
    // Nothing of the body is here yet: the head goes now, the body follows as it comes.
    return head_pending_ ? writeUpstream(0, false) : readRequestBody();
  }
  writeUpstream(filled, parser.is_done());
}

void ClientSession::readRequestBody() {
  arm(settings().server.client_idle_timeout);
  client_.async_read_some(buffer_.prepare(relay_size_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    ec = self->settled(ec);
    self->buffer_.commit(n);
    if (ec == net::error::eof) {
      ec = endOfInput(*self->x_->parser);
    }
    if (ec) {
      return self->requestBodyFailed(ec);
    }
    self->relayRequestBody();
  });
}

void ClientSession::requestBodyFailed(beast::error_code ec) {
  // The upstream has a partial request, so that connection is unusable.
  discardUpstream();
  if (ec == http::error::body_limit) {
    request_body_unread_ = true;
    return sendError(GatewayError::payload_too_large, "body_limit");
  }
  // Broken chunk framing deserves a 400; a client that vanished mid-body gets nothing.
  if (isHttpError(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
    request_body_unread_ = true;
    return sendError(GatewayError::bad_request, "bad request body framing");
  }
  reason_ = "client_closed_mid_body";
  finish(false);
}

void ClientSession::writeUpstream(std::size_t filled, bool last) {
  bytes_in_ += filled;
  body_started_ = body_started_ || filled > 0;  // consumed from the client: a retry could not resend it
  arm(settings().upstream.read_timeout);
  net::async_write(upstream_->socket, outgoing(filled, last), [self = shared_from_this(), last](beast::error_code ec, std::size_t) {
    ec = self->settled(ec);
    if (ec) {
      return self->upstreamFailedBeforeResponse(ec);
    }
    if (last) {
      return self->readUpstreamHead();
    }
    self->relayRequestBody();
  });
}

void ClientSession::readUpstreamHead() {
  x_->startParser(x_->response_parser);
  x_->response_parser->body_limit(boost::none);
  x_->response_parser->header_limit(kUpstreamHeaderLimit);
  if (is_head_) {
    x_->response_parser->skip(true);
  }
  parseUpstreamHead();
}

void ClientSession::parseUpstreamHead() {
  if (const auto ec = parseBuffered(*x_->response_parser, upstream_->buffer)) {
    return upstreamFailedBeforeResponse(ec);
  }
  if (x_->response_parser->is_header_done()) {
    return onUpstreamHead();
  }
  arm(settings().upstream.read_timeout);
  upstream_->socket.async_read_some(upstream_->buffer.prepare(kUpstreamHeadReadBytes),
                                    [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                      ec = self->settled(ec);
                                      self->upstream_->buffer.commit(n);
                                      if (ec == net::error::eof) {
                                        ec = endOfInput(*self->x_->response_parser);
                                      }
                                      if (ec) {
                                        return self->upstreamFailedBeforeResponse(ec);
                                      }
                                      self->parseUpstreamHead();
                                    });
}

void ClientSession::onUpstreamHead() {
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
  bool chunked = false;
  if (!no_body && !sized) {
    if (client_version_ == 11) {
      // Chunked or delimited by the upstream closing: re-frame as chunked for the client.
      chunked = true;
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
  x_->head.clear();
  appendResponseHead(x_->head, response.base());
  head_pending_ = true;
  framing_ = BodyFraming(chunked);
  state_ = State::responding;
  if (!x_->response_parser->is_done()) {
    allocateRelay(x_->response_parser->content_length());
  }
  relayResponseBody();
}

void ClientSession::relayResponseBody() {
  auto& parser = *x_->response_parser;
  beast::error_code ec;
  const std::size_t filled = takeBodyPiece(parser, upstream_->buffer, ec);
  if (ec) {
    return responseBodyFailed(ec);
  }
  if (filled == 0 && !parser.is_done()) {
    // Nothing of the body yet: the head goes now, the body may be slow to come (streams, SSE).
    return head_pending_ ? writeClient(0, false) : readResponseBody();
  }
  writeClient(filled, parser.is_done());
}

void ClientSession::readResponseBody() {
  arm(settings().upstream.read_timeout);
  upstream_->socket.async_read_some(upstream_->buffer.prepare(relay_size_),
                                    [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                      ec = self->settled(ec);
                                      self->upstream_->buffer.commit(n);
                                      if (ec == net::error::eof) {
                                        ec = endOfInput(*self->x_->response_parser);  // ends a close-delimited body
                                      }
                                      if (ec) {
                                        return self->responseBodyFailed(ec);
                                      }
                                      self->relayResponseBody();
                                    });
}

void ClientSession::responseBodyFailed(beast::error_code ec) {
  // The response head is already out: all the client can learn is an abrupt close.
  worker_.metrics().upstreamFailed(isTimeout(ec) ? UpstreamError::timeout : UpstreamError::reset);
  reason_ = isTimeout(ec) ? "upstream_timeout_mid_body" : "upstream_reset_mid_body";
  discardUpstream();
  finish(false);
}

void ClientSession::writeClient(std::size_t filled, bool last) {
  if (last) {
    countMetrics();
  }
  arm(settings().server.client_idle_timeout);
  net::async_write(client_, outgoing(filled, last), [self = shared_from_this(), last](beast::error_code ec, std::size_t n) {
    self->bytes_out_ += n;
    if (ec) {
      self->discardUpstream();
      return self->finish(false);
    }
    if (last) {
      return self->completeExchange();
    }
    self->relayResponseBody();
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
  auto& response = x_->response_parser->get();
  upstream_status_ = "101";
  status_ = 101;
  prepareClientResponse(response.base(), true);
  applyGateResponseEdits(response.base());
  x_->head.clear();
  appendResponseHead(x_->head, response.base());
  arm(settings().server.client_idle_timeout);
  net::async_write(client_, net::buffer(x_->head), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->bytes_out_ += n;
    if (ec) {
      self->discardUpstream();
      return self->closeNow();
    }
    self->handOffTunnel();
  });
}

void ClientSession::handOffTunnel() {
  disarm();
  std::string client_pending = beast::buffers_to_string(buffer_.data());
  std::string upstream_pending = beast::buffers_to_string(upstream_->buffer.data());
  buffer_.consume(buffer_.size());
  // The tunnel owns both sockets (and the connection count) from here on.
  handed_off_ = true;
  state_ = State::closing;
  worker_.metrics().websocketOpened();
  auto record = std::make_shared<AccessRecord>(accessRecord());
  Worker* worker = &worker_;
  // Held by the tunnel's completion handler, so released exactly once, when the tunnel ends.
  std::shared_ptr<void> lease = plan_ && plan_->activity ? plan_->activity->tunnelOpened() : nullptr;
  startTunnel(worker_, tcp::socket(std::move(client_)), tcp::socket(std::move(upstream_->socket)), std::move(client_pending),
              std::move(upstream_pending), settings().websocket.idle_timeout, settings().websocket.max_message_bytes,
              [worker, record, lease = std::move(lease)](const TunnelStats& stats) {
                worker->metrics().websocketClosed();
                worker->metrics().connectionClosed();
                worker->shared().open_connections.fetch_sub(1, std::memory_order_relaxed);
                record->bytes_in += stats.client_to_upstream;
                record->bytes_out += stats.upstream_to_client;
                record->emit();
              });
  upstream_.reset();
}

void ClientSession::applyGateResponseEdits(Fields& fields) {
  if (!plan_) {
    return;
  }
  if (plan_->runtime_response) {
    applyRuntimeResponsePolicy(fields, *plan_->runtime_response);  // before our own cookies are added
  }
  addResponseCookies(fields, *plan_);
}

}  // namespace oh::gateway::proxy_session
