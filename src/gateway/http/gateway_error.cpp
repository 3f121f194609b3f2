#include "http/gateway_error.h"

#include <fmt/format.h>

#include "common/text.h"

namespace oh::gateway {
namespace {

ErrorReply plain(unsigned status, std::string body, bool close) {
  ErrorReply reply;
  reply.status = status;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body = std::move(body);
  reply.body += '\n';
  reply.close_connection = close;
  return reply;
}

// Local mode is a person at a terminal: tell them what is missing instead of a bare 502.
ErrorReply localUpstreamDownPage(std::string_view upstream_url) {
  ErrorReply reply;
  reply.status = 502;
  reply.content_type = "text/html; charset=utf-8";
  const std::string url = common::escapeHtml(upstream_url);
  reply.body = fmt::format(
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>OpenHands is not running</title></head>\n"
      "<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">\n"
      "<h1>OpenHands is not running</h1>\n"
      "<p>oh-gateway is up, but nothing answers at <code>{0}</code> (<code>upstream.url</code> in the "
      "gateway's configuration).</p>\n"
      "<p>Start OpenHands so that it listens there (by default on port 3000), for example:</p>\n"
      "<pre>docker run -it --rm -p 3000:3000 docker.all-hands.dev/all-hands-ai/openhands</pre>\n"
      "<p>or point the gateway elsewhere: <code>OH_UPSTREAM=http://127.0.0.1:PORT scripts/run-local.sh</code> "
      "(<code>OH_PORT</code> changes the gateway's own port), or edit <code>upstream.url</code> in "
      "<code>.local/gateway.toml</code> and send the gateway SIGHUP.</p>\n"
      "<p>This page reloads by itself in 5 seconds.</p>\n"
      "<script>setTimeout(function(){{location.reload()}},5000)</script>\n"
      "</body></html>\n",
      url);
  // A person will retry; never let a browser or proxy keep this page.
  reply.headers.emplace_back("Cache-Control", "no-cache, no-store, must-revalidate");
  return reply;
}

}  // namespace

std::string_view gatewayErrorName(GatewayError error) {
  switch (error) {
  case GatewayError::bad_request: return "bad_request";
  case GatewayError::forbidden_origin: return "origin";
  case GatewayError::misdirected_host: return "host";
  case GatewayError::not_found: return "not_found";
  case GatewayError::payload_too_large: return "body_too_large";
  case GatewayError::rate_limited: return "rate_limit";
  case GatewayError::header_too_large: return "header_too_large";
  case GatewayError::upstream_unavailable: return "upstream_unavailable";
  case GatewayError::not_ready: return "not_ready";
  case GatewayError::draining: return "draining";
  case GatewayError::upstream_timeout: return "upstream_timeout";
  }
  return "unknown";
}

ErrorReply errorReply(GatewayError error, const ErrorContext& context) {
  switch (error) {
  case GatewayError::bad_request:
    return plain(400, "Bad Request", true);
  case GatewayError::forbidden_origin:
    // The exact body the reference design's ALB fixed response uses.
    return plain(403, "Access Denied - Invalid Origin", false);
  case GatewayError::misdirected_host:
    return plain(421, "Misdirected Request: this host name is not served here", false);
  case GatewayError::not_found:
    return plain(404, "Not Found", false);
  case GatewayError::payload_too_large:
    // The unread body may still be arriving: closing is the only way to stay in sync.
    return plain(413, "Payload Too Large", true);
  case GatewayError::rate_limited: {
    ErrorReply reply = plain(429, "Too Many Requests", false);
    const auto seconds = context.retry_after.count() < 1 ? 1 : context.retry_after.count();
    reply.headers.emplace_back("Retry-After", std::to_string(seconds));
    return reply;
  }
  case GatewayError::header_too_large:
    return plain(431, "Request Header Fields Too Large", true);
  case GatewayError::upstream_unavailable:
    if (context.mode == Mode::local) {
      return localUpstreamDownPage(context.upstream_url);
    }
    return plain(502, "Bad Gateway", false);
  case GatewayError::not_ready:
    // Not the reason itself (a socket path, the provider's address): the probe is public; the
    // access log and the gateway's log say why.
    return plain(503, "Service Unavailable: not ready (the gateway's log says why)", false);
  case GatewayError::draining: {
    ErrorReply reply = plain(503, "Service Unavailable: shutting down", true);
    reply.headers.emplace_back("Retry-After", "1");
    return reply;
  }
  case GatewayError::upstream_timeout:
    return plain(504, "Gateway Timeout", false);
  }
  return plain(500, "Internal Server Error", true);
}

}  // namespace oh::gateway
