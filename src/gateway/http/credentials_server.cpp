#include "http/credentials_server.h"

#include <atomic>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/access_sink.h"
#include "observability/access_log.h"

namespace oh::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// botocore's request head is ~200 bytes (Host, Accept, Authorization, User-Agent).
constexpr std::uint32_t kHeaderLimit = 8 * 1024;

}  // namespace

struct CredentialsServer::Impl {
  Impl(CredentialsServerOptions o, const credentials::CredentialEndpoint& e, credentials::CredentialMetrics& m)
      : options(std::move(o)), endpoint(e), metrics(m), acceptor(context) {}

  CredentialsServerOptions options;
  const credentials::CredentialEndpoint& endpoint;
  credentials::CredentialMetrics& metrics;
  net::io_context context;
  tcp::acceptor acceptor;
  std::thread thread;
  std::atomic<std::size_t> open_connections{0};
  bool stopped = false;

  void doAccept();
};

namespace {

class CredentialsSession : public std::enable_shared_from_this<CredentialsSession> {
public:
  CredentialsSession(CredentialsServer::Impl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)), answer_deadline_(stream_.get_executor()) {
    boost::system::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    client_ip_ = ec ? std::string() : peer.address().to_string();
  }
  ~CredentialsSession() { server_.open_connections.fetch_sub(1); }

  void run() { doRead(server_.options.idle_timeout); }

private:
  void doRead(std::chrono::seconds first_byte_timeout) {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(0);  // a GET: any body is refused
    stream_.expires_after(std::min(first_byte_timeout, server_.options.header_timeout));
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&CredentialsSession::onRead, shared_from_this()));
  }

  void onRead(beast::error_code ec, std::size_t) {
    started_ = std::chrono::steady_clock::now();
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      return close();
    }
    if (ec) {
      return answer(credentials::CredentialReply{400, R"({"code":"bad_request","message":"malformed HTTP request"})", "",
                                                 "bad_request"},
                    false);
    }
    const auto& request = parser_->get();
    std::vector<std::string_view> authorization;
    for (const auto& field : request) {
      if (field.name() == http::field::authorization) {
        authorization.push_back(field.value());
      }
    }
    const bool keep_alive = request.keep_alive();
    // The answer may come from the outbound client's thread: hop back onto this connection's
    // strand before touching the stream. A deadline answers 503 if STS never does.
    waiting_ = true;
    answer_deadline_.expires_after(server_.options.answer_timeout);
    answer_deadline_.async_wait([self = shared_from_this()](beast::error_code wait_error) {
      if (!wait_error) {
        self->deliver(credentials::CredentialReply{503, R"({"code":"unavailable","message":"no answer in time"})", "",
                                                   "unavailable"},
                      false);
      }
    });
    server_.endpoint.handle(request.method_string(), request.target(), authorization,
                            [self = shared_from_this(), keep_alive](credentials::CredentialReply reply) {
                              net::post(self->stream_.get_executor(), [self, keep_alive, reply = std::move(reply)]() mutable {
                                self->deliver(std::move(reply), keep_alive);
                              });
                            });
  }

  // On the strand: the first of the endpoint's answer and the deadline wins.
  void deliver(credentials::CredentialReply reply, bool keep_alive) {
    if (!waiting_) {
      return;
    }
    waiting_ = false;
    answer_deadline_.cancel();
    answer(std::move(reply), keep_alive);
  }

  void answer(credentials::CredentialReply reply, bool keep_alive) {
    auto& response = response_.emplace(static_cast<http::status>(reply.status), 11);
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    response.body() = std::move(reply.body);
    response.keep_alive(keep_alive);
    response.prepare_payload();
    owner_ = std::move(reply.owner);
    outcome_ = reply.outcome;
    stream_.expires_after(server_.options.header_timeout);
    http::async_write(stream_, response, beast::bind_front_handler(&CredentialsSession::onWrite, shared_from_this()));
  }

  void onWrite(beast::error_code ec, std::size_t bytes_out) {
    server_.metrics.requestFinished(outcome_);
    if (server_.options.access_log) {
      logCall(bytes_out);
    }
    if (ec || !response_->keep_alive()) {
      return close();
    }
    doRead(server_.options.idle_timeout);
  }

  void logCall(std::size_t bytes_out) {
    AccessLogEntry entry;
    entry.time = std::chrono::system_clock::now();
    entry.client_ip = client_ip_;
    if (parser_ && parser_->is_header_done()) {
      const auto& request = parser_->get();
      entry.method = request.method_string();
      entry.target = request.target();
      entry.host = request[http::field::host];
      entry.user_agent = request[http::field::user_agent];
    }
    entry.status = response_->result_int();
    entry.bytes_out = bytes_out;
    entry.duration = std::chrono::steady_clock::now() - started_;
    entry.route = RouteClass::gateway;
    entry.reason = "credentials";
    entry.user = owner_;  // the owner's user key; the token is never logged
    emitAccessLog(entry);
    flushAccessLog();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  CredentialsServer::Impl& server_;
  beast::tcp_stream stream_;
  net::steady_timer answer_deadline_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::string client_ip_;
  std::string owner_;
  std::string_view outcome_ = "bad_request";
  bool waiting_ = false;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace

void CredentialsServer::Impl::doAccept() {
  acceptor.async_accept(net::make_strand(context), [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) {
      return;
    }
    if (!ec) {
      if (open_connections.fetch_add(1) >= options.max_connections) {
        open_connections.fetch_sub(1);
        spdlog::warn("credentials: {} connections open, refusing another", options.max_connections);
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<CredentialsSession>(*this, std::move(socket))->run();
      }
    }
    doAccept();
  });
}

CredentialsServer::CredentialsServer(CredentialsServerOptions options, const credentials::CredentialEndpoint& endpoint,
                                     credentials::CredentialMetrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), endpoint, metrics)) {}

CredentialsServer::~CredentialsServer() { stop(); }

std::optional<std::string> CredentialsServer::start() {
  const auto& options = impl_->options;
  boost::system::error_code ec;
  const auto address = net::ip::make_address(options.listen_address, ec);
  if (ec) {
    return fmt::format("credentials.listen_address: '{}' is not an IP address", options.listen_address);
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
    return fmt::format("cannot listen for container credentials on {}:{}: {}{}", options.listen_address,
                       options.listen_port, ec.message(),
                       ec == boost::system::errc::address_not_available
                           ? " (add the address to an interface first, e.g. ip addr add 169.254.170.2/32 dev oh-creds)"
                           : "");
  }
  impl_->doAccept();
  impl_->thread = std::thread([this] {
    try {
      impl_->context.run();
    } catch (const std::exception& e) {
      spdlog::critical("credentials listener thread stopped: {}", e.what());
      std::terminate();
    }
  });
  return std::nullopt;
}

ListenAddress CredentialsServer::address() const {
  boost::system::error_code ec;
  const auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? ListenAddress{} : ListenAddress{endpoint.address().to_string(), endpoint.port()};
}

void CredentialsServer::stop() {
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  impl_->context.stop();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace oh::gateway
