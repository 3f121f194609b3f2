#pragma once
// TestUpstream: an HTTP/1.1 origin server for integration tests, listening on 127.0.0.1:0 and
// served by its own threads (one per connection, blocking Beast I/O: simple and plenty for tests).
//
// Routes (by path; the query string is ignored):
//   /bytes/N      200, Content-Length N, the pattern body (http_types.h) generated on the fly
//   /chunked/N    200, chunked, N pattern bytes generated on the fly
//   /slow/MS      waits MS milliseconds before the response header, then a small text body
//   /html         text/html with a cacheable Cache-Control (the gateway must override it)
//   /hop          response carrying hop-by-hop fields (Connection: X-Upstream-Hop, Keep-Alive)
//   /status/N     status N with a small text body
//   /truncated/N  announces 2N bytes, sends N, then closes the connection (upstream failure)
//   anything else echo: JSON of method, target, headers, body length and body SHA-256
//                 (request bodies are hashed while streaming in, so /upload of 200 MB is fine)
// Every response carries `Server: test-upstream/1.0`. Every request is recorded (see
// RecordedRequest) so tests can assert that nothing was smuggled past the gateway.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/http_types.h"

namespace oh::testing {

inline constexpr std::string_view kUpstreamServerHeader = "test-upstream/1.0";

struct RecordedRequest {
  std::uint64_t connection_id = 0;  // which accepted TCP connection carried it (1-based)
  std::string method;
  std::string target;
  Headers headers;
  std::uint64_t body_bytes = 0;
  std::string body_sha256;  // set once complete
  bool complete = false;    // the whole body arrived
};

// What the echo route returns, parsed back from its JSON.
struct EchoedRequest {
  std::string method;
  std::string target;
  Headers headers;
  std::uint64_t body_bytes = 0;
  std::string body_sha256;
  std::uint64_t connection_id = 0;
};
std::optional<EchoedRequest> parseEcho(std::string_view json);

// True when text is one JSON object (access-log lines).
bool isJsonObject(std::string_view text);

class TestUpstream {
public:
  TestUpstream();  // binds and starts serving; throws if it cannot bind
  ~TestUpstream();
  TestUpstream(const TestUpstream&) = delete;
  TestUpstream& operator=(const TestUpstream&) = delete;

  std::uint16_t port() const;
  std::string url() const;  // http://127.0.0.1:PORT

  std::vector<RecordedRequest> requests() const;
  std::uint64_t connectionsAccepted() const;
  // Waits until at least n requests have arrived (headers read); false on timeout.
  bool waitForRequests(std::size_t n, std::chrono::milliseconds timeout) const;

  // Closes the listener and every connection, wakes slow handlers, joins the threads.
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oh::testing
