// The gateway's own replies (errors, gate answers) and the end of an exchange: access log,
// metrics, keep-alive or lingering close.

#include "http/client_session.h"

#include <array>

namespace oh::gateway::proxy_session {

void ClientSession::sendCorsProbeNoContent() {
  ErrorReply reply;
  reply.status = 204;
  reply.headers.emplace_back("Cache-Control", "no-store");
  sendReply(std::move(reply), "app_not_listening_cors_probe");
}

void ClientSession::sendError(GatewayError error, std::string_view reason) {
  ErrorContext context;
  context.mode = settings().mode;
  context.upstream_url = settings().upstream.url;
  context.retry_after = retry_after_;
  sendReply(errorReply(error, context), reason.empty() ? gatewayErrorName(error) : reason);
}

void ClientSession::sendReply(ErrorReply reply, std::string_view reason) {
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
  x_->head.clear();
  appendResponseHead(x_->head, response.base());
  const std::array<net::const_buffer, 2> pieces{net::buffer(x_->head), net::buffer(response.body())};
  arm(settings().server.client_idle_timeout);
  net::async_write(client_, pieces, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->bytes_out_ += n;
    self->finish(!ec && self->client_keep_alive_);
  });
}

void ClientSession::upstreamFailedBeforeResponse(beast::error_code ec) {
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

void ClientSession::discardUpstream() {
  if (upstream_) {
    beast::error_code ignored;
    upstream_->socket.shutdown(tcp::socket::shutdown_both, ignored);
    upstream_->socket.close(ignored);
    upstream_.reset();
  }
}

void ClientSession::AccessRecord::emit() const {
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

ClientSession::AccessRecord ClientSession::accessRecord() const {
  AccessRecord record;
  record.time = std::chrono::system_clock::now() -
                std::chrono::duration_cast<std::chrono::system_clock::duration>(Clock::now() - started_);
  record.client_ip = client_ip_.empty() ? peer_ip_ : client_ip_;
  record.method = method_;
  record.target = target_;
  record.host = host_;
  record.user_agent = user_agent_;
  record.request_id = worker_.requestId(request_number_);
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

void ClientSession::countMetrics() {
  if (metrics_counted_) {
    return;
  }
  metrics_counted_ = true;
  worker_.metrics().requestFinished(route_, status_,
                                    std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started_));
}

void ClientSession::finish(bool keep_alive) {
  if (status_ == 0) {
    status_ = 499;  // nginx's "client closed request": nothing was answered
  }
  if (plan_ && plan_->activity) {
    plan_->activity->relayed();
  }
  if (settings().log.access_log) {
    auto record = accessRecord();
    record.count_metrics = !metrics_counted_;
    record.emit();
  } else {
    countMetrics();  // the record's only other use
  }
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

void ClientSession::lingeringClose() {
  state_ = State::closing;
  beast::error_code ignored;
  client_.shutdown(tcp::socket::shutdown_send, ignored);
  linger_deadline_ = Clock::now() + kLingerTimeout;
  doLinger();
}

void ClientSession::doLinger() {
  if (Clock::now() >= linger_deadline_ || lingered_bytes_ > kLingerMaxBytes) {
    return closeNow();
  }
  buffer_.clear();
  armAt(linger_deadline_);
  client_.async_read_some(buffer_.prepare(kHeadReadBytes), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    if (ec) {
      return self->closeNow();
    }
    self->lingered_bytes_ += n;
    self->doLinger();
  });
}

void ClientSession::closeNow() {
  state_ = State::closing;
  beast::error_code ignored;
  client_.shutdown(tcp::socket::shutdown_both, ignored);
  client_.close(ignored);
  disarm();
}

void ClientSession::resetExchange() {
  x_.reset();
  relay_.reset();
  relay_size_ = 0;
  started_ = {};
  method_.clear();
  target_.clear();
  host_.clear();
  user_agent_.clear();
  client_ip_.clear();
  request_number_ = 0;
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
  request_chunked_ = false;
  head_pending_ = false;
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

}  // namespace oh::gateway::proxy_session
