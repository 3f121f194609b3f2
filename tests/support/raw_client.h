#pragma once
// RawClient: a blocking TCP client that sends exactly the bytes it is given and parses the raw
// response itself, so hostile requests reach the gateway unaltered. Every wait has a timeout.
// POSIX sockets only (no Boost), so it also works as a neutral observer of the gateway's bytes.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "support/http_types.h"

namespace oh::testing {

struct RawResponse {
  int status = 0;
  std::string version;  // e.g. "HTTP/1.1"
  std::string reason;
  Headers headers;
  std::string body;               // kept only when ReadOptions::keep_body
  std::uint64_t body_bytes = 0;   // always counted
  std::string body_sha256;        // always computed
  bool body_matches_pattern = true;  // every body byte equals patternByte(offset)

  std::optional<std::string> header(std::string_view name) const { return findHeader(headers, name); }
  std::size_t headerCount(std::string_view name) const { return countHeader(headers, name); }
};

struct ReadOptions {
  bool keep_body = true;
  bool head_request = false;  // a response to HEAD has no body whatever its headers say
  bool keep_interim = false;  // return a 100 Continue instead of skipping it
  std::chrono::milliseconds timeout{15000};  // per wait, not overall
};

class RawClient {
public:
  // Connects to 127.0.0.1:port; check connected().
  explicit RawClient(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

  bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // Sends size pattern bytes (http_types.h), as they are or as chunks of chunk_bytes each.
  bool sendPattern(std::uint64_t size, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool sendChunkedPattern(std::uint64_t size, std::size_t chunk_bytes,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Reads one response (skipping 100 Continue). nullopt on timeout, close or malformed bytes;
  // error() says which.
  std::optional<RawResponse> readResponse(const ReadOptions& options = {});

  // True when the peer closes the connection (EOF or reset) within the timeout; bytes that
  // arrive first are appended to *extra.
  bool waitForClose(std::chrono::milliseconds timeout = std::chrono::seconds(10), std::string* extra = nullptr);

  void shutdownWrite();
  void close();

private:
  // Fills buffer_ with at least one more byte; false on EOF, error or timeout.
  bool fill(std::chrono::milliseconds timeout);
  std::optional<std::string> readLine(std::chrono::milliseconds timeout);
  bool readBody(std::uint64_t size, RawResponse& response, const ReadOptions& options);
  void consumeBody(std::string_view bytes, RawResponse& response, const ReadOptions& options, class Sha256& sha);

  int fd_ = -1;
  std::string buffer_;
  std::string error_;
  bool eof_ = false;
};

// One request on a fresh connection: "METHOD TARGET HTTP/1.1", Host, the extra headers,
// Content-Length when body is non-empty, Connection: close.
std::optional<RawResponse> simpleRequest(std::uint16_t port, std::string_view method, std::string_view target,
                                         const Headers& headers = {}, std::string_view body = {},
                                         std::string_view host = "gateway.test");
// The bytes of such a request (keep-alive unless close is true).
std::string buildRequest(std::string_view method, std::string_view target, const Headers& headers,
                         std::string_view body, std::string_view host = "gateway.test", bool close = false);

// A TCP port on 127.0.0.1 that nothing listens on (bound then released; fine for tests).
std::uint16_t unusedPort();

}  // namespace oh::testing
