#pragma once
// Decisions about a parsed request head, as pure functions tested without sockets:
// is it well-formed enough to forward (no ambiguity about framing or target), which body limit
// applies, which route class it counts under, is it a WebSocket upgrade.

#include <cstdint>
#include <optional>
#include <string_view>

#include "config/settings.h"
#include "http/fields.h"
#include "observability/metrics.h"

namespace oh::gateway {

// Why a request head is refused (always 400: the caller closes the connection).
struct RequestRejection {
  std::string_view reason;
};

// Checks what Beast's parser lets through but a reverse proxy must not forward:
// - HTTP/1.0 and 1.1 only;
// - origin-form targets ("/path?query") only: absolute-form, authority-form (CONNECT) and
//   asterisk-form are refused, so the upstream cannot be steered to another host;
// - exactly one non-empty Host;
// - Transfer-Encoding, when present, exactly "chunked" (no other codings, no lists), never with
//   Content-Length (Beast also refuses that pair; checked again because smuggling is the risk);
// - at most one Content-Length value.
std::optional<RequestRejection> checkRequestHead(const RequestHeader& head);

// The body limit for `path`: the longest matching limits.body_rules prefix, else max_body_bytes.
std::uint64_t bodyLimitFor(std::string_view path, const LimitSettings& limits);

// The path part of an origin-form target (before '?').
std::string_view targetPath(std::string_view target);

// True for `Connection: upgrade` + `Upgrade: websocket` on a GET (RFC 6455 section 4.1).
bool isWebSocketUpgrade(const RequestHeader& head);

// True when the target is one of the gateway's own endpoints (/_gateway/...).
bool isGatewayPath(std::string_view path);

// True when a comma-separated header value contains `token` (case-insensitive).
bool headerHasToken(std::string_view value, std::string_view token);

}  // namespace oh::gateway
