// HttpsClient on Boost.Beast: one io_context on one thread per client, one short-lived
// connection per exchange (OIDC calls are rare: discovery and JWKS at start and on rotation,
// the token endpoint per sign-in and per renewal), so no connection pool.
#include "outbound/https_client.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <future>
#include <optional>
#include <thread>
#include <unordered_set>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "outbound/outbound_url.h"
#include "outbound/request_check.h"

namespace oh::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// True on every HttpsClient's I/O thread: blocking there would stall (or deadlock) every
// outbound call of that client, so sendAndWait refuses.
thread_local bool t_on_outbound_thread = false;

// Response heads of OIDC providers are small; this stops a hostile server feeding headers forever.
constexpr std::uint32_t kMaxResponseHeaderBytes = 64 * 1024;

// SNI (RFC 6066 3). OpenSSL's SSL_set_tlsext_host_name is a macro with a C cast; this is its body.
bool setServerName(SSL* ssl, const std::string& host) {
  return SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(host.c_str())) == 1;
}

class AsioHttpsClient;

// One request/response exchange. It owns itself through the handlers it has pending (Beast's
// shape); the client's deadline timer guarantees it ends, and `done` runs exactly once.
class Exchange : public std::enable_shared_from_this<Exchange> {
public:
  Exchange(AsioHttpsClient& client, outbound::OutboundUrl url, OutboundRequest request,
           std::function<void(OutboundResult)> done);

  void start();
  // Ends the exchange now with `reason` (client shutting down).
  void abort(const std::string& reason) { finish(failure(reason)); }

private:
  void onDeadline(error_code ec);
  void onResolve(error_code ec, const tcp::resolver::results_type& results);
  void onConnect(error_code ec);
  void onHandshake(error_code ec);
  void onWrite(error_code ec);
  void onRead(error_code ec);

  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  std::string failure(std::string_view what) const;
  // The reason for an I/O error; the deadline wins over the cancellation it caused.
  std::string ioFailure(std::string_view stage, error_code ec) const;
  void finish(OutboundResult result);

  AsioHttpsClient& client_;
  outbound::OutboundUrl url_;
  OutboundRequest request_;
  std::function<void(OutboundResult)> done_;
  std::chrono::seconds timeout_;
  std::size_t max_response_bytes_;

  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::optional<beast::tcp_stream> plain_;
  http::request<http::string_body> wire_request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  bool timed_out_ = false;
  bool finished_ = false;
};

class AsioHttpsClient final : public HttpsClient {
public:
  AsioHttpsClient(Options options, ssl::context context)
      : options_(std::move(options)), ssl_(std::move(context)), work_(asio::make_work_guard(io_)) {
    thread_ = std::thread([this] {
      t_on_outbound_thread = true;
      io_.run();
    });
  }

  ~AsioHttpsClient() override {
    // Every exchange still running ends now with a reason, so no caller (sendAndWait) waits forever.
    asio::post(io_, [this] {
      stopping_ = true;
      const std::vector<std::shared_ptr<Exchange>> running = liveExchanges();
      for (const auto& exchange : running) {
        exchange->abort("outbound client shut down");
      }
    });
    work_.reset();
    thread_.join();
  }

  void send(OutboundRequest request, std::function<void(OutboundResult)> done) override {
    asio::post(io_, [this, request = std::move(request), done = std::move(done)]() mutable {
      start(std::move(request), std::move(done));
    });
  }

  // For Exchange (I/O thread only).
  asio::io_context& io() { return io_; }
  ssl::context& sslContext() { return ssl_; }
  const Options& options() const { return options_; }
  void forget(Exchange* exchange) { live_.erase(exchange); }

private:
  void start(OutboundRequest request, std::function<void(OutboundResult)> done) {
    if (stopping_) {
      deliver(done, std::string("outbound client shut down"));
      return;
    }
    auto url = outbound::parseOutboundUrl(request.url, options_.allow_loopback_http, options_.plain_http_hosts);
    if (auto* reason = std::get_if<std::string>(&url)) {
      deliver(done, "refused URL: " + *reason);
      return;
    }
    if (auto reason = outbound::checkOutboundRequest(request)) {
      deliver(done, "refused request: " + *reason);
      return;
    }
    auto exchange = std::make_shared<Exchange>(*this, std::get<outbound::OutboundUrl>(std::move(url)),
                                               std::move(request), std::move(done));
    live_.insert(exchange.get());
    exchange->start();
  }

  std::vector<std::shared_ptr<Exchange>> liveExchanges() {
    std::vector<std::shared_ptr<Exchange>> out;
    for (Exchange* exchange : live_) {
      out.push_back(exchange->shared_from_this());
    }
    return out;
  }

public:
  // Runs a caller's callback; an exception from it must not end the I/O thread (and with it
  // every later outbound call), so it is swallowed here: the callback owns its errors.
  static void deliver(std::function<void(OutboundResult)>& done, OutboundResult result) {
    try {
      done(std::move(result));
    } catch (...) {
    }
  }

private:
  Options options_;
  asio::io_context io_{1};
  ssl::context ssl_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unordered_set<Exchange*> live_;  // I/O thread only
  bool stopping_ = false;               // I/O thread only
  std::thread thread_;
};

Exchange::Exchange(AsioHttpsClient& client, outbound::OutboundUrl url, OutboundRequest request,
                   std::function<void(OutboundResult)> done)
    : client_(client),
      url_(std::move(url)),
      request_(std::move(request)),
      done_(std::move(done)),
      timeout_(client.options().timeout),
      max_response_bytes_(client.options().max_response_bytes),
      resolver_(client.io()),
      deadline_(client.io()) {
  if (url_.tls) {
    tls_.emplace(client.io(), client.sslContext());
  } else {
    plain_.emplace(client.io());
  }
  parser_.header_limit(kMaxResponseHeaderBytes);
  parser_.body_limit(max_response_bytes_);
}

std::string Exchange::failure(std::string_view what) const {
  // host:port only: the path and query may carry secrets, the headers and body always do.
  std::string reason = url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host;
  reason += ":" + std::to_string(url_.port) + ": ";
  reason += what;
  return reason;
}

std::string Exchange::ioFailure(std::string_view stage, error_code ec) const {
  if (timed_out_) {
    return failure("timed out after " + std::to_string(timeout_.count()) + " s (during " + std::string(stage) + ")");
  }
  return failure(std::string(stage) + " failed: " + ec.message());
}

void Exchange::start() {
  deadline_.expires_after(timeout_);
  deadline_.async_wait(beast::bind_front_handler(&Exchange::onDeadline, shared_from_this()));
  auto flags = tcp::resolver::numeric_service;
  if (url_.host_is_ip) {
    flags |= tcp::resolver::numeric_host;
  }
  resolver_.async_resolve(url_.host, std::to_string(url_.port), flags,
                          beast::bind_front_handler(&Exchange::onResolve, shared_from_this()));
}

void Exchange::onDeadline(error_code ec) {
  if (ec || finished_) {
    return;
  }
  // Cancelling makes the pending operation complete with operation_aborted; its handler then
  // reports the timeout. Closing the socket also ends a TLS handshake waiting on a silent peer.
  timed_out_ = true;
  resolver_.cancel();
  lowest().close();
}

void Exchange::onResolve(error_code ec, const tcp::resolver::results_type& results) {
  if (finished_) {
    return;
  }
  if (ec) {
    finish(ioFailure("resolve", ec));
    return;
  }
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) {
    // Plain http is allowed to loopback only: check where the name really points.
    if (url_.tls || entry.endpoint().address().is_loopback()) {
      endpoints.push_back(entry.endpoint());
    }
  }
  if (endpoints.empty()) {
    finish(failure(url_.tls ? "resolved to no address" : "plain http refused: the host does not resolve to loopback"));
    return;
  }
  lowest().async_connect(endpoints, [self = shared_from_this()](error_code connect_ec, const tcp::endpoint&) {
    self->onConnect(connect_ec);
  });
}

void Exchange::onConnect(error_code ec) {
  if (finished_) {
    return;
  }
  if (ec) {
    finish(ioFailure("connect", ec));
    return;
  }
  if (!tls_) {
    onHandshake({});
    return;
  }
  SSL* ssl = tls_->native_handle();
  if (url_.host_is_ip) {
    // An IP literal is checked against the certificate's IP SANs; SNI carries names only (RFC 6066 3).
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url_.host.c_str()) != 1) {
      finish(failure("cannot set up certificate verification for the address"));
      return;
    }
  } else {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, url_.host.c_str()) != 1 || !setServerName(ssl, url_.host)) {
      finish(failure("cannot set up certificate verification for the host name"));
      return;
    }
  }
  tls_->async_handshake(ssl::stream_base::client,
                        beast::bind_front_handler(&Exchange::onHandshake, shared_from_this()));
}

void Exchange::onHandshake(error_code ec) {
  if (finished_) {
    return;
  }
  if (ec) {
    const long verify = SSL_get_verify_result(tls_->native_handle());
    if (!timed_out_ && verify != X509_V_OK) {
      finish(failure(std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify)));
    } else {
      finish(ioFailure("TLS handshake", ec));
    }
    return;
  }
  wire_request_.method(request_.method == "POST"  ? http::verb::post
                       : request_.method == "PUT" ? http::verb::put
                                                  : http::verb::get);
  wire_request_.target(url_.target);
  wire_request_.version(11);
  wire_request_.set(http::field::host, url_.host_header);
  wire_request_.set(http::field::user_agent, "oh-gateway");
  // One exchange per connection: the server closes after answering, so nothing lingers.
  wire_request_.set(http::field::connection, "close");
  for (const auto& [name, value] : request_.headers) {
    wire_request_.insert(name, value);
  }
  wire_request_.body() = std::move(request_.body);
  wire_request_.prepare_payload();
  auto handler = [self = shared_from_this()](error_code write_ec, std::size_t) { self->onWrite(write_ec); };
  if (tls_) {
    http::async_write(*tls_, wire_request_, std::move(handler));
  } else {
    http::async_write(*plain_, wire_request_, std::move(handler));
  }
}

void Exchange::onWrite(error_code ec) {
  if (finished_) {
    return;
  }
  if (ec) {
    finish(ioFailure("write", ec));
    return;
  }
  auto handler = [self = shared_from_this()](error_code read_ec, std::size_t) { self->onRead(read_ec); };
  if (tls_) {
    http::async_read(*tls_, buffer_, parser_, std::move(handler));
  } else {
    http::async_read(*plain_, buffer_, parser_, std::move(handler));
  }
}

void Exchange::onRead(error_code ec) {
  if (finished_) {
    return;
  }
  if (ec == http::error::body_limit) {
    finish(failure("response larger than " + std::to_string(max_response_bytes_) + " bytes"));
    return;
  }
  if (ec == http::error::header_limit) {
    finish(failure("response header larger than " + std::to_string(kMaxResponseHeaderBytes) + " bytes"));
    return;
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == ssl::error::stream_truncated) {
    // stream_truncated: the server closed without close_notify, so a body delimited by the
    // connection's end may have been cut by an attacker; it is not trusted.
    finish(timed_out_ ? ioFailure("read", ec) : failure("connection closed before a complete response"));
    return;
  }
  if (ec && ec.category() == http::make_error_code(http::error::bad_version).category()) {
    finish(failure("malformed response: " + ec.message()));
    return;
  }
  if (ec) {
    finish(ioFailure("read", ec));
    return;
  }
  auto& message = parser_.get();
  OutboundResponse response;
  response.status = message.result_int();
  response.content_type = std::string(message[http::field::content_type]);
  response.body = std::move(message.body());
  finish(std::move(response));
}

void Exchange::finish(OutboundResult result) {
  if (finished_) {
    return;
  }
  finished_ = true;
  deadline_.cancel();
  resolver_.cancel();
  // No TLS close_notify: the whole answer is in (or the exchange failed), and waiting for the
  // peer's shutdown would only hold the connection open.
  error_code ignored;
  lowest().socket().close(ignored);
  client_.forget(this);
  AsioHttpsClient::deliver(done_, std::move(result));
  done_ = nullptr;
}

}  // namespace

std::variant<std::unique_ptr<HttpsClient>, std::string> HttpsClient::create(Options options) {
  if (options.timeout.count() <= 0) {
    return std::string("outbound timeout must be positive");
  }
  if (options.max_response_bytes == 0) {
    return std::string("outbound max_response_bytes must be positive");
  }
  ssl::context context(ssl::context::tls_client);
  if (SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION) != 1) {
    return std::string("cannot require TLS 1.2 or later");
  }
  error_code ec;
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression, ec);
  if (!ec) {
    context.set_verify_mode(ssl::verify_peer, ec);
  }
  if (!ec) {
    context.set_default_verify_paths(ec);
  }
  if (ec) {
    return "cannot set up TLS verification: " + ec.message();
  }
  if (!options.ca_file.empty()) {
    context.load_verify_file(options.ca_file, ec);
    if (ec) {
      return "cannot load CA file \"" + options.ca_file + "\": " + ec.message();
    }
  }
  return std::unique_ptr<HttpsClient>(std::make_unique<AsioHttpsClient>(std::move(options), std::move(context)));
}

OutboundResult HttpsClient::sendAndWait(OutboundRequest request) {
  if (t_on_outbound_thread) {
    return std::string("sendAndWait called on an outbound client's own thread (it would wait for itself)");
  }
  auto promise = std::make_shared<std::promise<OutboundResult>>();
  std::future<OutboundResult> answer = promise->get_future();
  send(std::move(request), [promise](OutboundResult result) { promise->set_value(std::move(result)); });
  return answer.get();
}

}  // namespace oh::gateway
