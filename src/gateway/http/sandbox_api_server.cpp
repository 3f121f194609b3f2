#include "http/sandbox_api_server.h"

#include <array>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/access_sink.h"
#include "http/fields.h"
#include "http/header_policy.h"
#include "observability/access_log.h"
#include "sandbox/api_messages.h"

namespace oh::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// A call's head is a few hundred bytes (the app server sends Host, X-API-Key, Content-Type and
// httpx's defaults); a batch target of 100 ids is ~3 KB.
constexpr std::uint32_t kHeaderLimit = 16 * 1024;

// A refused peer is logged at most this often (a sandbox looping on connect must not flood the log).
constexpr std::chrono::seconds kRefusalLogInterval{10};

}  // namespace

namespace {

// The address in canonical text, an IPv4-mapped IPv6 one in its IPv4 form; nullopt for no address.
std::optional<net::ip::address> peerAddress(std::string_view ip) {
  if (ip.find('\0') != std::string_view::npos) {
    return std::nullopt;  // inet_pton would read only up to the NUL
  }
  boost::system::error_code ec;
  auto address = net::ip::make_address(std::string(ip), ec);
  if (ec) {
    return std::nullopt;
  }
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
  }
  return address;
}

}  // namespace

std::optional<std::string> appServerUserOf(std::string_view ip, const AppServerUserLookup& app_server_user) {
  const auto address = peerAddress(ip);
  if (!address || !app_server_user) {
    return std::nullopt;
  }
  return app_server_user(address->to_string());
}

bool admitsSandboxApiPeer(std::string_view ip, const AppServerUserLookup& app_server_user) {
  const auto address = peerAddress(ip);
  if (!address) {
    return false;
  }
  return address->is_loopback() || (app_server_user && app_server_user(address->to_string()).has_value());
}

struct SandboxApiServer::Impl {
  Impl(SandboxApiServerOptions o, SandboxApiHandler h, SandboxApiMetrics& m)
      : options(std::move(o)), handler(std::move(h)), metrics(m), acceptor(context) {}

  SandboxApiServerOptions options;
  SandboxApiHandler handler;
  SandboxApiMetrics& metrics;
  net::io_context context;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> open_relays{0};
  std::atomic<std::int64_t> last_refusal_log_ns{0};
  std::atomic<std::uint64_t> refused_since_log{0};
  bool stopped = false;

  void doAccept();
  bool admitted(const tcp::socket& socket);
};

namespace {

// One connection: read a request, answer it, repeat while keep-alive (Beast's do/on shape).
// A request for the forward proxy (absolute-form target) is relayed to an agent server on the
// same strand, its answer written back as the reply.
class SandboxApiSession : public std::enable_shared_from_this<SandboxApiSession> {
public:
  SandboxApiSession(SandboxApiServer::Impl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)) {
    boost::system::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    client_ip_ = ec ? std::string() : peer.address().to_string();
  }
  ~SandboxApiSession() {
    releaseRelaySlot();
    server_.open_connections.fetch_sub(1);
  }

  void run() { doRead(server_.options.idle_timeout); }

private:
  void doRead(std::chrono::seconds first_byte_timeout) {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // The head decides which limit holds (onHeader); until then Beast must not refuse either.
    parser_->body_limit(std::max(server_.options.agent_proxy.max_request_bytes, control::kMaxApiBodyBytes));
    proxy_ = false;
    bytes_in_ = 0;
    // One deadline for the whole request: a caller trickling bytes cannot hold the connection.
    stream_.expires_after(std::min(first_byte_timeout, server_.options.header_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&SandboxApiSession::onHeader, shared_from_this()));
  }

  // The head tells the API's calls from the proxy's, whose bodies may be larger.
  void onHeader(beast::error_code ec, std::size_t bytes) {
    bytes_in_ = bytes;
    if (ec) {
      return onRead(ec, 0);
    }
    const auto& request = parser_->get();
    proxy_ = isProxyRequest(request.method_string(), request.target());
    if (proxy_ && request.method() == http::verb::connect) {
      started_ = std::chrono::steady_clock::now();
      return refuseProxy(AgentProxyRefusal{405, "CONNECT is not offered: runtime urls are plain http"}, false);
    }
    const std::size_t limit = proxy_ ? server_.options.agent_proxy.max_request_bytes : control::kMaxApiBodyBytes;
    if (const auto length = parser_->content_length(); length && *length > limit) {
      return onRead(http::error::body_limit, 0);
    }
    parser_->body_limit(limit);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&SandboxApiSession::onRead, shared_from_this()));
  }

  void onRead(beast::error_code ec, std::size_t bytes) {
    started_ = std::chrono::steady_clock::now();
    bytes_in_ += bytes;
    if (ec == http::error::body_limit) {
      const std::size_t limit = proxy_ ? server_.options.agent_proxy.max_request_bytes : control::kMaxApiBodyBytes;
      return answerAndClose(413, control::renderError("the body is larger than " + std::to_string(limit) + " bytes"));
    }
    if (ec == http::error::header_limit) {
      return answerAndClose(431, control::renderError("the request head is too large"));
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      return close();
    }
    if (ec) {
      return answerAndClose(400, control::renderError("malformed HTTP request"));
    }
    if (proxy_) {
      return handleProxy();
    }
    const auto& request = parser_->get();
    control::ApiResponse response;
    std::size_t api_keys = 0;
    for (const auto& field : request) {
      api_keys += beast::iequals(field.name_string(), kApiKeyField) ? 1u : 0u;
    }
    if (api_keys > 1) {
      response.status = 400;
      response.body = control::renderError("one X-API-Key, not several");
    } else {
      const control::ApiRequest call{request.method_string(), request.target(), request[kApiKeyField], request.body()};
      try {
        response = server_.handler(call);
      } catch (const std::exception& e) {
        spdlog::error("sandbox API: {} {}: {}", std::string(request.method_string()), std::string(request.target()), e.what());
        response = control::ApiResponse{};
        response.status = 500;
        response.body = control::renderError("internal error");
      }
    }
    answer(std::move(response), request.keep_alive());
  }

  // --- the forward proxy ------------------------------------------------------------------------

  void handleProxy() {
    const auto& request = parser_->get();
    const AgentProxyOptions& proxy = server_.options.agent_proxy;
    if (!proxy.sandboxes) {
      return refuseProxy(AgentProxyRefusal{403, "the agent proxy is off"}, request.keep_alive());
    }
    if (request.find(http::field::upgrade) != request.end()) {
      return refuseProxy(AgentProxyRefusal{501, "upgrades are not relayed"}, request.keep_alive());
    }
    const auto peer_user = appServerUserOf(client_ip_, server_.options.app_server_user);
    if (peer_user) {
      owner_ = *peer_user;
    }
    const control::SandboxRoutesPtr routes = proxy.sandboxes->routes();
    auto decision = routeAgentProxy(
        AgentProxyRequest{request.method_string(), request.target(), request[http::field::host],
                          peer_user ? std::optional<std::string_view>(*peer_user) : std::nullopt},
        *routes, proxy.limits);
    if (auto* refused = std::get_if<AgentProxyRefusal>(&decision)) {
      return refuseProxy(std::move(*refused), request.keep_alive());
    }
    if (server_.open_relays.fetch_add(1) >= proxy.max_relays) {
      server_.open_relays.fetch_sub(1);
      return refuseProxy(AgentProxyRefusal{503, "too many agent calls at once"}, request.keep_alive());
    }
    holds_relay_slot_ = true;
    relay(std::get<AgentProxyForward>(std::move(decision)));
  }

  void refuseProxy(AgentProxyRefusal refusal, bool keep_alive) {
    reason_ = "agent_proxy: " + refusal.reason;
    control::ApiResponse response;
    response.status = refusal.status;
    response.body = control::renderError(refusal.reason);
    response.endpoint = "agent_proxy";
    response.owner = owner_;
    answer(std::move(response), keep_alive);
  }

  void relay(AgentProxyForward to) {
    auto& request = parser_->get();
    reason_ = "agent_proxy";
    client_keep_alive_ = request.keep_alive();
    boost::system::error_code ec;
    const tcp::endpoint endpoint(net::ip::make_address(to.address, ec), to.port);
    if (ec) {
      return relayFailed(502, "the sandbox's address is not an IP address");
    }
    auto& out = upstream_request_.emplace();
    out.method_string(request.method_string());
    out.target(to.target);
    out.version(11);
    for (const auto& field : request) {
      out.insert(field.name_string(), field.value());
    }
    // Framing is our own (the body as parsed, one Content-Length): nothing a caller sends can
    // make the agent server see two requests. The sandbox API key never goes to a sandbox.
    removeHopByHop(out.base(), false);
    for (std::string_view name : {std::string_view("Proxy-Authorization"), std::string_view("Expect"),
                                  std::string_view("Content-Length"), kApiKeyField}) {
      out.erase(name);
    }
    out.set(http::field::host, to.host);
    out.body() = std::move(request.body());
    out.keep_alive(false);
    out.prepare_payload();
    head_request_ = request.method() == http::verb::head;
    upstream_buffer_.clear();
    upstream_.emplace(stream_.get_executor());
    upstream_->expires_after(server_.options.agent_proxy.connect_timeout);
    upstream_->async_connect(endpoint, beast::bind_front_handler(&SandboxApiSession::onUpstreamConnect, shared_from_this()));
  }

  void onUpstreamConnect(beast::error_code ec) {
    if (ec) {
      return relayFailed(ec == beast::error::timeout ? 504 : 502, "cannot reach the agent server");
    }
    upstream_->expires_after(server_.options.agent_proxy.exchange_timeout);
    http::async_write(*upstream_, *upstream_request_,
                      beast::bind_front_handler(&SandboxApiSession::onUpstreamWrite, shared_from_this()));
  }

  void onUpstreamWrite(beast::error_code ec, std::size_t) {
    if (ec) {
      return relayFailed(ec == beast::error::timeout ? 504 : 502, "the agent server did not take the request");
    }
    auto& parser = upstream_parser_.emplace();
    parser.header_limit(kUpstreamHeaderLimit);
    parser.body_limit(server_.options.agent_proxy.max_response_bytes);
    parser.skip(head_request_);
    http::async_read(*upstream_, upstream_buffer_, parser,
                     beast::bind_front_handler(&SandboxApiSession::onUpstreamRead, shared_from_this()));
  }

  void onUpstreamRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      return relayFailed(502, "the agent server's answer is larger than " +
                                  std::to_string(server_.options.agent_proxy.max_response_bytes) + " bytes");
    }
    if (ec) {
      return relayFailed(ec == beast::error::timeout ? 504 : 502, "no valid answer from the agent server");
    }
    if (upstream_parser_->get().result_int() < 200) {
      return relayFailed(502, "an interim answer from the agent server");  // nothing here asks for one
    }
    endUpstream();
    auto& reply = reply_.emplace(upstream_parser_->release());
    const auto length = reply[http::field::content_length];
    const std::string head_length = head_request_ ? std::string(length) : std::string();
    removeHopByHop(reply.base(), false);
    reply.keep_alive(client_keep_alive_);
    if (head_request_) {
      if (!head_length.empty()) {
        reply.set(http::field::content_length, head_length);
      }
    } else {
      reply.prepare_payload();
    }
    endpoint_ = "agent_proxy";
    send();
  }

  void relayFailed(unsigned status, std::string reason) {
    endUpstream();
    spdlog::warn("sandbox API agent proxy: {} {}: {}", client_ip_, std::string(parser_->get().target()), reason);
    refuseProxy(AgentProxyRefusal{status, std::move(reason)}, client_keep_alive_);
  }

  void endUpstream() {
    if (upstream_) {
      beast::error_code ignored;
      upstream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
      upstream_->close();
    }
    releaseRelaySlot();
  }

  void releaseRelaySlot() {
    if (holds_relay_slot_) {
      holds_relay_slot_ = false;
      server_.open_relays.fetch_sub(1);
    }
  }

  // --- replies ----------------------------------------------------------------------------------

  void answerAndClose(unsigned status, std::string body) {
    control::ApiResponse response;
    response.status = status;
    response.body = std::move(body);
    answer(std::move(response), false);
  }

  void answer(control::ApiResponse response, bool keep_alive) {
    auto& reply = reply_.emplace(static_cast<http::status>(response.status), 11);
    reply.set(http::field::content_type, "application/json");
    reply.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : response.headers) {
      reply.set(name, value);
    }
    reply.body() = std::move(response.body);
    reply.keep_alive(keep_alive);
    reply.prepare_payload();
    owner_ = std::move(response.owner);
    endpoint_ = response.endpoint.empty() ? std::string_view("other") : response.endpoint;
    send();
  }

  void send() {
    stream_.expires_after(server_.options.header_timeout);
    http::async_write(stream_, *reply_, beast::bind_front_handler(&SandboxApiSession::onWrite, shared_from_this()));
  }

  void onWrite(beast::error_code ec, std::size_t bytes_out) {
    const auto duration = std::chrono::steady_clock::now() - started_;
    const unsigned status = reply_->result_int();
    server_.metrics.callFinished(endpoint_, status, duration);
    if (server_.options.access_log) {
      logCall(status, bytes_out, duration);
    }
    reason_.clear();
    if (ec) {
      return close();
    }
    if (!reply_->keep_alive()) {
      return lingerThenClose();
    }
    doRead(server_.options.idle_timeout);
  }

  // A refusal before the body was read (413 from Content-Length, 431, 400) leaves the caller
  // sending: closing at once would reset the connection, and a reset destroys the answer in
  // the caller's receive buffer before it reads it. So stop sending, read and discard for a
  // bounded time and size, then close (the "lingering close" of RFC 9112 section 9.6).
  void lingerThenClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(drain_buffer_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kMaxDrainBytes) {
        return self->close();
      }
      self->drain();
    });
  }

  void logCall(unsigned status, std::size_t bytes_out, std::chrono::nanoseconds duration) {
    const bool parsed = parser_ && parser_->is_header_done();
    AccessLogEntry entry;
    entry.time = std::chrono::system_clock::now();
    entry.client_ip = client_ip_;
    if (parsed) {
      const auto& request = parser_->get();
      entry.method = request.method_string();
      entry.target = request.target();
      entry.host = request[http::field::host];
      entry.user_agent = request[http::field::user_agent];
    }
    entry.status = status;
    entry.bytes_in = bytes_in_;
    entry.bytes_out = bytes_out;
    entry.duration = duration;
    entry.route = RouteClass::gateway;
    entry.reason = reason_.empty() ? std::string_view("sandbox_api") : std::string_view(reason_);
    entry.user = owner_;  // the owner's user key; the API key itself is never logged
    emitAccessLog(entry);
    flushAccessLog();  // calls are few: each line goes out at once
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  static constexpr std::string_view kApiKeyField = "X-API-Key";
  static constexpr std::chrono::seconds kLingerTime{2};
  static constexpr std::size_t kMaxDrainBytes = 4 * 1024 * 1024;
  static constexpr std::uint32_t kUpstreamHeaderLimit = 64 * 1024;
  std::array<char, 4096> drain_buffer_{};
  std::size_t drained_ = 0;

  SandboxApiServer::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body, Fields>> reply_;
  std::string client_ip_;
  std::string owner_;
  std::string_view endpoint_ = "other";
  std::string reason_;  // the access log's; "" = "sandbox_api"
  std::chrono::steady_clock::time_point started_;
  std::size_t bytes_in_ = 0;

  // The proxy's exchange (one at a time per connection).
  bool proxy_ = false;
  bool client_keep_alive_ = false;
  bool head_request_ = false;
  bool holds_relay_slot_ = false;
  std::optional<beast::tcp_stream> upstream_;
  beast::flat_buffer upstream_buffer_;
  std::optional<http::request<http::string_body, Fields>> upstream_request_;
  std::optional<http::response_parser<http::string_body, FieldAllocator>> upstream_parser_;
};

}  // namespace

void SandboxApiServer::Impl::doAccept() {
  // Each connection gets its own strand: the threads share one io_context.
  acceptor.async_accept(net::make_strand(context), [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) {
      return;
    }
    if (!ec && !admitted(socket)) {
      boost::system::error_code ignored;
      socket.close(ignored);
    } else if (!ec) {
      if (open_connections.fetch_add(1) >= options.max_connections) {
        open_connections.fetch_sub(1);
        spdlog::warn("sandbox API: {} connections open, refusing another", options.max_connections);
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<SandboxApiSession>(*this, std::move(socket))->run();
      }
    }
    doAccept();
  });
}

// Checked on accept, before anything is read: a sandbox never gets a byte of HTTP parsing.
bool SandboxApiServer::Impl::admitted(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  const std::string ip = ec ? std::string() : peer.address().to_string();
  if (!ec && admitsSandboxApiPeer(ip, options.app_server_user)) {
    return true;
  }
  metrics.peerRefused();
  const std::uint64_t refused = refused_since_log.fetch_add(1) + 1;
  const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
  std::int64_t last = last_refusal_log_ns.load();
  const std::int64_t interval = std::chrono::nanoseconds(kRefusalLogInterval).count();
  if ((last == 0 || now - last >= interval) && last_refusal_log_ns.compare_exchange_strong(last, now)) {
    refused_since_log.fetch_sub(refused);
    spdlog::warn("sandbox API: closed a connection from {} (not loopback, not an app server); {} refused since the last such line",
                 ip.empty() ? std::string("an unknown peer") : ip, refused);
  }
  return false;
}

SandboxApiServer::SandboxApiServer(SandboxApiServerOptions options, SandboxApiHandler handler, SandboxApiMetrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), metrics)) {}

SandboxApiServer::~SandboxApiServer() { stop(); }

std::optional<std::string> SandboxApiServer::start() {
  const auto& options = impl_->options;
  boost::system::error_code ec;
  const auto address = net::ip::make_address(options.listen_address, ec);
  if (ec) {
    return fmt::format("sandbox.listen_address: '{}' is not an IP address", options.listen_address);
  }
  const tcp::endpoint endpoint(address, options.listen_port);
  auto& acceptor = impl_->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); !ec) {
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return fmt::format("cannot listen on sandbox API {}:{}: {}", options.listen_address, options.listen_port, ec.message());
  }
  impl_->doAccept();
  for (unsigned i = 0; i < std::max(1u, options.threads); ++i) {
    impl_->threads.emplace_back([this] {
      try {
        impl_->context.run();
      } catch (const std::exception& e) {
        spdlog::critical("sandbox API thread stopped: {}", e.what());
        std::terminate();
      }
    });
  }
  return std::nullopt;
}

ListenAddress SandboxApiServer::address() const {
  boost::system::error_code ec;
  const auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? ListenAddress{} : ListenAddress{endpoint.address().to_string(), endpoint.port()};
}

void SandboxApiServer::stop() {
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  impl_->context.stop();
  for (auto& thread : impl_->threads) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  // No thread runs the context any more: the listening socket closes now, so a caller is
  // refused at once rather than left in the backlog.
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace oh::gateway
