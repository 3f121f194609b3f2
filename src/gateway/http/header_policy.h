#pragma once
// Header rewriting between client and upstream, as pure functions over Beast's field container:
// hop-by-hop removal (RFC 9110 section 7.6.1), the X-Forwarded-* family, and the main site's
// response policy (no caching of HTML, as the reference design's edge function did; no Server).

#include <span>
#include <string_view>

#include "http/fields.h"
#include "http/request_gate.h"

namespace oh::gateway {

// Removes Connection and every field it names, Keep-Alive, Proxy-Connection, TE, Trailer,
// Transfer-Encoding and Upgrade. With keep_upgrade (a WebSocket handshake) the Upgrade field
// survives and `Connection: Upgrade` is set again, since the upstream needs both.
void removeHopByHop(Fields& fields, bool keep_upgrade);

// What the gateway knows about the client side of one request.
struct ForwardContext {
  std::string_view client_ip;   // from clientAddress(): the real client, trusted proxies skipped
  std::string_view peer_ip;     // the TCP peer, appended to X-Forwarded-For
  std::string_view proto;       // "https" behind CloudFront/ALB, "http" locally
  bool websocket = false;
  std::string_view strip_header;  // the origin-secret header: never forwarded to the app
  // The gate's ForwardPlan::remove_header_prefixes (identity headers no client may send).
  std::span<const std::string_view> remove_header_prefixes;
};

// Prepares a client request's fields for the upstream: hop-by-hop removed; X-Forwarded-For
// appended with the peer; X-Forwarded-Proto set unless the peer-supplied one is trusted
// (keep_forwarded_proto); X-Forwarded-Host set from Host; X-Real-IP set to the client; Host
// preserved; the origin secret header removed; every field whose name starts with one of
// context.remove_header_prefixes removed (any case, '_' for '-', any number). One walk over the client's
// fields does it all. Returns how many fields the prefixes removed (identity headers a client
// should never send: worth a log line).
std::size_t prepareUpstreamRequest(Fields& fields, const ForwardContext& context, bool keep_forwarded_proto);

// Prepares an upstream response's fields for the client: hop-by-hop removed (Upgrade kept for
// a 101 WebSocket answer), Server removed, and HTML made uncacheable.
void prepareClientResponse(Fields& fields, bool websocket_switch);

// Applies a gate's edits to a request prepareUpstreamRequest() made ready (which removed the
// plan's header prefixes): the Cookie header is replaced or removed, then plan.set_headers are
// set. The target is not touched.
void applyRequestEdits(Fields& fields, const ForwardPlan& plan);

// Adds plan.add_response_cookies as Set-Cookie fields of a response.
void addResponseCookies(Fields& fields, const ForwardPlan& plan);

// True when a Content-Type value is text/html (any parameters, any case).
bool isHtml(std::string_view content_type);

}  // namespace oh::gateway
