#include "http/header_policy.h"

#include <string>
#include <vector>

#include <boost/beast/core/string.hpp>

#include "common/text.h"
#include "http/request_policy.h"

namespace oh::gateway {
namespace http = boost::beast::http;

void removeHopByHop(Fields& fields, bool keep_upgrade) {
  // Fields named by Connection are hop-by-hop too (RFC 9110 section 7.6.1). Collect first:
  // erasing while reading the Connection values would invalidate them.
  std::vector<std::string> named;
  const auto connection = fields.equal_range(http::field::connection);
  for (auto it = connection.first; it != connection.second; ++it) {
    std::string_view value = it->value();
    while (!value.empty()) {
      const auto comma = value.find(',');
      const auto item = common::trimOws(value.substr(0, comma));
      if (!item.empty()) {
        named.emplace_back(item);
      }
      if (comma == std::string_view::npos) {
        break;
      }
      value.remove_prefix(comma + 1);
    }
  }
  for (const auto& name : named) {
    if (keep_upgrade && boost::beast::iequals(name, "upgrade")) {
      continue;
    }
    // Never let Connection remove the framing or routing fields we rely on.
    if (boost::beast::iequals(name, "host") || boost::beast::iequals(name, "content-length")) {
      continue;
    }
    fields.erase(name);
  }
  fields.erase(http::field::connection);
  fields.erase(http::field::keep_alive);
  fields.erase(http::field::proxy_connection);
  fields.erase(http::field::te);
  fields.erase(http::field::trailer);
  fields.erase(http::field::transfer_encoding);
  if (keep_upgrade) {
    fields.set(http::field::connection, "Upgrade");
  } else {
    fields.erase(http::field::upgrade);
  }
}

void prepareUpstreamRequest(Fields& fields, const ForwardContext& context, bool keep_forwarded_proto) {
  removeHopByHop(fields, context.websocket);
  if (!context.strip_header.empty()) {
    fields.erase(context.strip_header);
  }

  // Append the peer to any X-Forwarded-For chain (several fields are one comma list).
  std::string chain;
  const auto range = fields.equal_range("X-Forwarded-For");
  for (auto it = range.first; it != range.second; ++it) {
    const auto value = common::trimOws(it->value());
    if (value.empty()) {
      continue;
    }
    if (!chain.empty()) {
      chain += ", ";
    }
    chain.append(value.data(), value.size());
  }
  if (!chain.empty()) {
    chain += ", ";
  }
  chain.append(context.peer_ip.data(), context.peer_ip.size());
  fields.set("X-Forwarded-For", chain);

  if (!keep_forwarded_proto || fields.count("X-Forwarded-Proto") == 0) {
    fields.set("X-Forwarded-Proto", context.proto);
  }
  const auto host = fields[http::field::host];
  if (!host.empty()) {
    fields.set("X-Forwarded-Host", host);
  }
  fields.set("X-Real-IP", context.client_ip);
}

bool isHtml(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  return boost::beast::iequals(common::trimOws(content_type.substr(0, semicolon)), "text/html");
}

void prepareClientResponse(Fields& fields, bool websocket_switch) {
  removeHopByHop(fields, websocket_switch);
  fields.erase(http::field::server);
  if (isHtml(fields[http::field::content_type])) {
    fields.set(http::field::cache_control, "no-cache, no-store, must-revalidate");
    fields.set(http::field::pragma, "no-cache");
    fields.set(http::field::expires, "0");
  }
}

std::size_t applyRequestEdits(Fields& fields, const ForwardPlan& plan) {
  std::size_t removed = 0;
  if (!plan.remove_header_prefixes.empty()) {
    for (auto it = fields.begin(); it != fields.end();) {
      const std::string_view name = it->name_string();
      bool remove = false;
      for (const auto& prefix : plan.remove_header_prefixes) {
        remove = remove || common::startsWithIgnoreCase(name, prefix);
      }
      removed += remove ? 1 : 0;
      it = remove ? fields.erase(it) : std::next(it);
    }
  }
  if (plan.cookie) {
    fields.erase(http::field::cookie);
    if (!plan.cookie->empty()) {
      fields.set(http::field::cookie, *plan.cookie);
    }
  }
  for (const auto& [name, value] : plan.set_headers) {
    fields.set(name, value);
  }
  return removed;
}

void addResponseCookies(Fields& fields, const ForwardPlan& plan) {
  for (const auto& cookie : plan.add_response_cookies) {
    fields.insert(http::field::set_cookie, cookie);
  }
}

}  // namespace oh::gateway
