#pragma once
// Where an outbound request goes, checked before any socket opens: the scheme (https, or http
// only to a loopback host when the client allows it), the host, the port and the request target.
// Pure functions, so the rules are unit-tested without a network.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace oh::gateway::outbound {

struct OutboundUrl {
  bool tls = true;
  std::string host;         // name or IP literal, IPv6 without brackets, lower case
  bool host_is_ip = false;  // IP literal: verified against the certificate's IP SANs, no SNI
  std::uint16_t port = 443;
  std::string target;       // origin-form: path and query ("/" when the URL has no path)
  std::string host_header;  // Host field: host, bracketed for IPv6, ":port" unless default
};

// URLs longer than this are refused (they never come from a well-formed discovery document).
inline constexpr std::size_t kMaxOutboundUrlBytes = 8 * 1024;

// 127.0.0.0/8, ::1, "localhost" and names under ".localhost" (RFC 6761 6.3).
bool isLoopbackHost(std::string_view host);

// The URL, or why it is refused. The reason names the scheme or host but never the query
// (it may carry secrets). plain_http_hosts: hosts (IP literals as written) that are reached over
// plain http by design, such as the instance metadata service at 169.254.169.254.
std::variant<OutboundUrl, std::string> parseOutboundUrl(std::string_view url, bool allow_loopback_http,
                                                        const std::vector<std::string>& plain_http_hosts = {});

}  // namespace oh::gateway::outbound
