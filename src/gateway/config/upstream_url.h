#pragma once
// Parses upstream.url: an absolute http:// URL with a host, an optional port and nothing else
// (no user info, path, query or fragment), so the gateway never forwards to a surprise.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace oh::gateway {

struct UpstreamEndpoint {
  std::string host;  // IPv6 without brackets, ready for a resolver
  std::uint16_t port = 80;
};

// The endpoint, or a message saying what is wrong ("must use http://, but ..." style).
std::variant<UpstreamEndpoint, std::string> parseUpstreamUrl(std::string_view url);

}  // namespace oh::gateway
