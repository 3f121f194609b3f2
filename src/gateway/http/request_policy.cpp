#include "http/request_policy.h"

#include <boost/beast/core/string.hpp>

#include "common/text.h"

namespace oh::gateway {
namespace http = boost::beast::http;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return boost::beast::iequals(a, b);
}

}  // namespace

bool headerHasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    const auto item = common::trimOws(value.substr(0, comma));
    if (iequals(item, token)) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    value.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<RequestRejection> checkRequestHead(const RequestHeader& head) {
  if (head.version() != 11 && head.version() != 10) {
    return RequestRejection{"unsupported HTTP version"};
  }
  if (head.method() == http::verb::connect) {
    return RequestRejection{"CONNECT is not proxied"};
  }
  const std::string_view target = head.target();
  if (target.empty() || target.front() != '/') {
    return RequestRejection{"request target is not origin-form"};
  }
  if (target.size() > 1 && target[1] == '/') {
    // "//host/path" is a network-path reference: some upstream frameworks treat it as a host.
    return RequestRejection{"request target starts with //"};
  }
  const auto hosts = head.count(http::field::host);
  if (hosts != 1) {
    return RequestRejection{hosts == 0 ? "missing Host" : "more than one Host"};
  }
  if (common::trimOws(head[http::field::host]).empty()) {
    return RequestRejection{"empty Host"};
  }
  const auto transfer_encodings = head.count(http::field::transfer_encoding);
  const auto content_lengths = head.count(http::field::content_length);
  if (transfer_encodings > 0) {
    if (transfer_encodings > 1 || !iequals(common::trimOws(head[http::field::transfer_encoding]), "chunked")) {
      return RequestRejection{"Transfer-Encoding other than chunked"};
    }
    if (head.version() == 10) {
      return RequestRejection{"Transfer-Encoding in HTTP/1.0"};
    }
    if (content_lengths > 0) {
      return RequestRejection{"both Content-Length and Transfer-Encoding"};
    }
  }
  if (content_lengths > 1) {
    return RequestRejection{"more than one Content-Length"};
  }
  if (content_lengths == 1) {
    const auto value = common::trimOws(head[http::field::content_length]);
    if (value.empty() || value.size() > 19 ||
        value.find_first_not_of("0123456789") != std::string_view::npos) {
      return RequestRejection{"invalid Content-Length"};
    }
  }
  return std::nullopt;
}

std::string_view targetPath(std::string_view target) {
  const auto query = target.find('?');
  return query == std::string_view::npos ? target : target.substr(0, query);
}

std::uint64_t bodyLimitFor(std::string_view path, const LimitSettings& limits) {
  std::uint64_t limit = limits.max_body_bytes;
  std::size_t best = 0;
  bool matched = false;
  for (const auto& rule : limits.body_rules) {
    if (path.starts_with(rule.path_prefix) && (!matched || rule.path_prefix.size() > best)) {
      best = rule.path_prefix.size();
      limit = rule.max_bytes;
      matched = true;
    }
  }
  return limit;
}

bool isWebSocketUpgrade(const RequestHeader& head) {
  return head.method() == http::verb::get &&
         headerHasToken(head[http::field::connection], "upgrade") &&
         iequals(common::trimOws(head[http::field::upgrade]), "websocket");
}

bool isGatewayPath(std::string_view path) {
  return path == "/_gateway" || path.starts_with("/_gateway/");
}

}  // namespace oh::gateway
