#pragma once
// What the caller may put into an OutboundRequest: GET, POST or PUT, header fields that are valid
// tokens with values free of CR, LF and NUL (no header injection), and none of the fields the
// client writes itself (Host, Content-Length, Transfer-Encoding, Connection, ...).

#include <optional>
#include <string>

#include "outbound/https_client.h"

namespace oh::gateway::outbound {

// Caps on what the caller sends; far above what OIDC calls need.
inline constexpr std::size_t kMaxRequestHeaderBytes = 16 * 1024;
inline constexpr std::size_t kMaxRequestBodyBytes = 1024 * 1024;

// nullopt when the request may be sent, else the reason. The reason names the offending field
// by position, never by value (values carry secrets: Authorization, client_secret).
std::optional<std::string> checkOutboundRequest(const OutboundRequest& request);

}  // namespace oh::gateway::outbound
