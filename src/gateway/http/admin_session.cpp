// The admin listener (loopback only): GET /metrics in Prometheus text format, and the JSON
// documents other parts add (Metrics::addDocument: GET /appservers). Deliberately
// tiny and separate from the client path, so scraping never competes with request policy.

#include <memory>
#include <optional>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http/worker.h"
#include "policy/host_allowlist.h"

namespace oh::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

// A scrape request is a few hundred bytes; anything bigger is not a scraper.
constexpr std::uint32_t kAdminHeaderLimit = 8 * 1024;

std::string_view pathOf(beast::string_view target) {
  const std::string_view whole(target.data(), target.size());
  return whole.substr(0, whole.find('?'));
}

class AdminSession : public std::enable_shared_from_this<AdminSession> {
public:
  AdminSession(Worker& worker, tcp::socket socket) : worker_(worker), stream_(std::move(socket)) {}

  void run() { doRead(); }

private:
  void doRead() {
    parser_.emplace();
    parser_->header_limit(kAdminHeaderLimit);
    parser_->body_limit(0);
    stream_.expires_after(worker_.snapshot()->settings->server.client_header_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&AdminSession::onRead, shared_from_this()));
  }

  void onRead(beast::error_code ec, std::size_t) {
    if (ec) {
      return close();
    }
    const auto& request = parser_->get();
    auto& response = response_.emplace(http::status::ok, 11);
    if (!isLoopbackHostHeader(request[http::field::host]) || request.count(http::field::host) != 1) {
      // DNS rebinding: a page on a name re-pointed at 127.0.0.1 must not read the metrics.
      response.result(http::status::misdirected_request);
      response.set(http::field::content_type, "text/plain; charset=utf-8");
      response.body() = "Misdirected Request\n";
    } else if (request.method() == http::verb::get &&
               (request.target() == "/metrics" || request.target().starts_with("/metrics?"))) {
      response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response.body() = worker_.metrics().renderPrometheus();
    } else if (auto document = request.method() == http::verb::get ? worker_.metrics().renderDocument(pathOf(request.target()))
                                                                  : std::nullopt) {
      response.set(http::field::content_type, "application/json");
      response.set(http::field::cache_control, "no-store");
      response.body() = std::move(*document);
    } else {
      response.result(http::status::not_found);
      response.set(http::field::content_type, "text/plain; charset=utf-8");
      response.body() = "Not Found\n";
    }
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    stream_.expires_after(worker_.snapshot()->settings->server.client_idle_timeout);
    http::async_write(stream_, response, beast::bind_front_handler(&AdminSession::onWrite, shared_from_this()));
  }

  void onWrite(beast::error_code ec, std::size_t) {
    if (ec || !response_->keep_alive()) {
      return close();
    }
    doRead();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  Worker& worker_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

}  // namespace

void startAdminSession(Worker& worker, tcp::socket socket) {
  std::make_shared<AdminSession>(worker, std::move(socket))->run();
}

}  // namespace oh::gateway
