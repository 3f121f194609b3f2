#pragma once
// WebSocket peers for integration tests: an echo server standing in for OpenHands' socket.io
// and agent-server endpoints, and a blocking client with timeouts. Both use Beast; this header
// does not, so tests that include it compile quickly.
//
// WebSocketEchoServer (127.0.0.1:0, one thread per connection) echoes text as text and binary
// as binary, answers pings (Beast answers them itself), and obeys two text commands:
//   "close:CODE"   closes the connection with that close code and reason "server-close"
//   "ping:PAYLOAD" sends a ping with that payload to the client
// It records the upgrade requests, the control frames it received and the close codes it saw.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/http_types.h"

namespace oh::testing {

struct WebSocketHandshake {
  std::string target;
  Headers headers;
};

class WebSocketEchoServer {
public:
  WebSocketEchoServer();  // throws if it cannot bind
  ~WebSocketEchoServer();
  WebSocketEchoServer(const WebSocketEchoServer&) = delete;
  WebSocketEchoServer& operator=(const WebSocketEchoServer&) = delete;

  std::uint16_t port() const;
  std::string url() const;  // http://127.0.0.1:PORT (what the gateway's upstream.url takes)

  std::vector<WebSocketHandshake> handshakes() const;
  std::vector<std::string> pingsReceived() const;
  std::vector<std::string> pongsReceived() const;
  // Close codes of the close frames the clients sent (0 when a connection ended without one).
  std::vector<std::uint16_t> closeCodes() const;
  bool waitForCloseCodes(std::size_t n, std::chrono::milliseconds timeout) const;
  bool waitForPongs(std::size_t n, std::chrono::milliseconds timeout) const;

  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct WebSocketMessage {
  bool text = true;
  std::string data;
};

// A blocking WebSocket client; every operation has a timeout, after which the connection is
// closed and the operation reports failure.
class WebSocketClient {
public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{10000};

  WebSocketClient();
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  // TCP connect and upgrade. On failure returns a description; handshakeStatus() then holds the
  // HTTP status the server answered with (e.g. 403), or 0 when there was no response.
  std::optional<std::string> connect(std::uint16_t port, const std::string& host_header,
                                     const std::string& target, const Headers& extra_headers = {},
                                     std::chrono::milliseconds timeout = kDefaultTimeout);
  unsigned handshakeStatus() const;
  Headers handshakeResponseHeaders() const;

  bool sendText(const std::string& text, std::chrono::milliseconds timeout = kDefaultTimeout);
  bool sendBinary(const std::string& data, std::chrono::milliseconds timeout = kDefaultTimeout);
  bool ping(const std::string& payload, std::chrono::milliseconds timeout = kDefaultTimeout);
  // One text message sent as several frames (a first frame and continuations), one per piece.
  bool sendTextFragments(const std::vector<std::string>& pieces,
                         std::chrono::milliseconds timeout = kDefaultTimeout);
  // The next data message; nullopt on close, error or timeout (closeCode() tells a close apart).
  std::optional<WebSocketMessage> read(std::chrono::milliseconds timeout = kDefaultTimeout);
  // Payloads of pongs/pings seen while reading.
  std::vector<std::string> pongsReceived() const;
  std::vector<std::string> pingsReceived() const;
  // Sends a close frame and waits for the peer's.
  bool close(std::uint16_t code, std::chrono::milliseconds timeout = kDefaultTimeout);
  // The close code the peer sent, once a read ended with a close frame.
  std::optional<std::uint16_t> closeCode() const;
  // True once an operation ran out of time (as opposed to the peer closing or failing).
  bool timedOut() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oh::testing
