// Reading a request head, the request policy, the gateway's probes and the request gate.

#include "http/client_session.h"

namespace oh::gateway::proxy_session {

void ClientSession::doReadHead() {
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
  buffer_.shrink_to_fit();  // an idle connection holds only its first read's kIdleReadBytes
  readMoreHead();
}

void ClientSession::readMoreHead() {
  const bool idle = state_ == State::idle;
  if (idle) {
    arm(settings().server.client_idle_timeout);
  } else {
    // The whole head within client_header_timeout of its first byte, however it trickles in
    // (a deadline per read would let one byte a second hold a connection for hours).
    armAt(started_ + settings().server.client_header_timeout);
  }
  client_.async_read_some(buffer_.prepare(idle ? kIdleReadBytes : kHeadReadBytes),
                          beast::bind_front_handler(&ClientSession::onReadHead, shared_from_this()));
}

void ClientSession::onReadHead(beast::error_code ec, std::size_t bytes) {
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

void ClientSession::onHeadBytes() {
  // The configuration current when the request's bytes arrive, not when the connection
  // started waiting for them: a reload between keep-alive requests applies to the next one.
  snapshot_ = worker_.snapshot();
  if (started_ == Clock::time_point{}) {
    started_ = Clock::now();
  }
  if (!x_) {
    x_ = makeRecycled<Exchange>(worker_.recycler());
  }
  x_->startParser(x_->parser);
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

void ClientSession::handleRequest() {
  state_ = State::proxying;
  disarm();  // the gate may take its time (a sign-in's network calls); each wait arms its own
  auto& request = x_->parser->get();
  request_number_ = worker_.nextRequestNumber();
  method_ = request.method_string();
  target_ = request.target();
  host_ = request[http::field::host];
  user_agent_ = request[http::field::user_agent];
  client_version_ = request.version();
  client_keep_alive_ = request.keep_alive() && client_version_ == 11;
  // Formatting the address is costly next to the rest of a request: done once per connection
  // unless the peer is a trusted proxy, whose X-Forwarded-For names the client.
  client_ip_ = snapshot_->trusted.contains(peer_address_)
                   ? clientAddress(peer_address_, request["X-Forwarded-For"], snapshot_->trusted)
                   : peer_client_ip_;
  is_head_ = request.method() == http::verb::head;

  const std::string_view path = targetPath(target_);
  const bool gateway_path = isGatewayPath(path);
  // Probes answer before any check (load balancers send neither the origin secret nor
  // cookies); other /_gateway/ pages (sign-in, hand-off) are the gate's, behind the checks.
  if (gateway_path && (path == "/_gateway/health" || path == "/_gateway/ready" || !snapshot_->gate)) {
    route_ = RouteClass::gateway;
    return handleGatewayEndpoint(path);
  }
  // DNS rebinding: a name someone else points at this machine is not OpenHands' origin.
  if (!snapshot_->hosts.admits(host_)) {
    route_ = RouteClass::rejected;
    return sendError(GatewayError::misdirected_host, "host");
  }
  if (snapshot_->origin) {
    // Exactly one copy: with two, which one a check reads is a guess an attacker could steer.
    const std::string_view header = settings().origin.header;
    if (request.count(header) != 1 || !snapshot_->origin->verify(request[header])) {
      worker_.metrics().originRejected();
      route_ = RouteClass::rejected;
      return sendError(GatewayError::forbidden_origin, "origin");
    }
    // Behind CloudFront the TCP peer (and X-Forwarded-For's last hop) is an edge server shared
    // by everyone near it; CloudFront names the viewer, and only a request that carried the
    // secret came through CloudFront.
    constexpr std::string_view kViewerAddress = "CloudFront-Viewer-Address";
    if (request.count(kViewerAddress) == 1) {
      if (auto viewer = viewerAddress(request[kViewerAddress])) {
        client_ip_ = std::move(*viewer);
      }
    }
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

void ClientSession::askGate() {
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
  g.sec_fetch_site = request["Sec-Fetch-Site"];
  g.referer = request[http::field::referer];
  g.content_type = request[http::field::content_type];
  g.client_ip = client_ip_;
  g.session_api_key = request["X-Session-API-Key"];
  g.access_token = request["X-Access-Token"];
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

std::string_view ClientSession::joinedCookies(const Fields& fields) {
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

void ClientSession::onGateDecision(GateDecision decision) {
  gate_reason_ = std::move(decision.reason);
  switch (decision.kind) {
  case GateDecision::Kind::reply:
    return sendReply(std::move(decision.reply), gate_reason_.empty() ? "gate" : std::string_view(gate_reason_));
  case GateDecision::Kind::read_body:
    return readGateBody(decision.body_limit);
  case GateDecision::Kind::forward:
    plan_ = std::move(decision.forward);
    user_ = plan_->user;
    return acquireUpstream();
  }
}

void ClientSession::readGateBody(std::size_t limit) {
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
    arm(settings().server.client_header_timeout);
    net::async_write(client_, net::buffer(kContinue.data(), kContinue.size()),
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

void ClientSession::readGateBodyMore() {
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
  arm(settings().server.client_header_timeout);
  http::async_read_some(client_, buffer_, *x_->parser, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    ec = self->settled(ec);
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

void ClientSession::handleGatewayEndpoint(std::string_view path) {
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

void ClientSession::checkReady() {
  if (snapshot_->gate && !snapshot_->gate->needsUpstream()) {
    return onReady(true);
  }
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

void ClientSession::onReady(bool ready) {
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

}  // namespace oh::gateway::proxy_session

namespace oh::gateway {

void startClientSession(Worker& worker, WorkerSocket socket) {
  std::make_shared<proxy_session::ClientSession>(worker, std::move(socket))->run();
}

}  // namespace oh::gateway
