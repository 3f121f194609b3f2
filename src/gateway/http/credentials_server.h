#pragma once
// The container credential endpoint's own listener (issue 15), on [credentials]
// listen_address:listen_port (169.254.170.2:8091 by default, an address botocore accepts over
// plain HTTP). Its own io_context and thread, never the data plane's workers: a request waits
// on STS through the outbound client, and the answer is written back on this listener's
// thread. Requests are tiny GETs: no body is accepted. One access-log line per request names
// the owner's user key, never the token.
//
//   CredentialsServer server(options, endpoint, metrics);
//   if (auto error = server.start()) { ... }
//   server.stop();
//
// Beast-free header.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "credentials/credential_endpoint.h"
#include "credentials/credential_metrics.h"
#include "http/gateway_server.h"

namespace oh::gateway {

struct CredentialsServerOptions {
  std::string listen_address = "169.254.170.2";
  std::uint16_t listen_port = 8091;
  std::chrono::seconds header_timeout{10};   // the whole request
  std::chrono::seconds idle_timeout{30};     // between keep-alive requests
  std::chrono::seconds answer_timeout{20};   // waiting for STS, then 503
  bool access_log = true;
  std::size_t max_connections = 1024;        // every sandbox of the instance, with room
};

class CredentialsServer {
public:
  // endpoint and metrics outlive the server.
  CredentialsServer(CredentialsServerOptions options, const credentials::CredentialEndpoint& endpoint,
                    credentials::CredentialMetrics& metrics);
  ~CredentialsServer();  // stop()
  CredentialsServer(const CredentialsServer&) = delete;
  CredentialsServer& operator=(const CredentialsServer&) = delete;

  // Binds and starts the thread; the problem as text when the address cannot be bound.
  std::optional<std::string> start();
  ListenAddress address() const;
  // Closes the listener and every connection, joins the thread. Idempotent.
  void stop();

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace oh::gateway
