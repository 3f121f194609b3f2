#pragma once
// The gateway's outbound calls (OIDC discovery, JWKS, the token endpoint): HTTPS with
// certificate and host-name verification against the system CA store (plus auth.ca_file),
// timeouts, and a cap on the answer's size. It owns one I/O thread, so a slow provider never
// stalls a worker; callbacks run on that thread and must hand their result back themselves.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace oh::gateway {

struct OutboundRequest {
  std::string method = "GET";    // GET, POST or PUT (IMDSv2's token)
  std::string url;               // https://host[:port]/path?query (http only to loopback when allowed)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct OutboundResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// The answer, or why there is none (DNS, connect, TLS verification, timeout, too large,
// malformed). The reason never contains the request's body or headers (they carry secrets).
using OutboundResult = std::variant<OutboundResponse, std::string>;

class HttpsClient {
public:
  struct Options {
    std::string ca_file;                        // extra trusted CAs (PEM); "" = system store only
    std::chrono::seconds timeout{10};           // whole exchange: resolve, connect, TLS, write, read
    std::size_t max_response_bytes = 1 << 20;   // larger answers are refused
    bool allow_loopback_http = false;           // tests: plain http to 127.0.0.1/::1/localhost
    std::vector<std::string> plain_http_hosts{};  // reached over plain http by design (IMDS: 169.254.169.254)
  };

  // Fails (returns the reason) when the CA file cannot be loaded.
  static std::variant<std::unique_ptr<HttpsClient>, std::string> create(Options options);
  // Ends every exchange still running (its `done` gets a reason) and joins the thread.
  // Never destroy a client from one of its own callbacks.
  virtual ~HttpsClient() = default;

  // Asynchronous: `done` runs once, on the client's own thread (also for a refused URL or
  // request, and when the client is destroyed first). A 3xx answer is returned, not followed.
  virtual void send(OutboundRequest request, std::function<void(OutboundResult)> done) = 0;

  // Blocking, for start-up and reloads only (never from a worker thread). Called on an
  // HttpsClient's own thread (from a callback) it returns an error instead of deadlocking.
  OutboundResult sendAndWait(OutboundRequest request);
};

}  // namespace oh::gateway
