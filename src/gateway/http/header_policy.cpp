#include "http/header_policy.h"

#include <algorithm>
#include <string>
#include <vector>

#include <boost/beast/core/string.hpp>

#include "common/text.h"
#include "http/request_policy.h"

namespace oh::gateway {
namespace http = boost::beast::http;

namespace {

// Appends the connection options a Connection value names (a comma list) to `named`.
void collectConnectionOptions(std::string_view value, std::vector<std::string>& named) {
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

// A header name's byte as servers that fold names compare it: case-insensitive, and '_' the
// same as '-' (CGI, WSGI and PHP turn both into '_'; some frameworks turn '_' into '-'), so
// "X_Cognito_User_Id" reaches such an app as X-Cognito-User-Id would.
char foldedNameByte(char c) { return c == '_' ? '-' : common::toLowerAscii(c); }

bool startsWithFolded(std::string_view name, std::string_view prefix) {
  if (name.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (foldedNameByte(name[i]) != foldedNameByte(prefix[i])) {
      return false;
    }
  }
  return true;
}

bool hasAnyPrefix(std::string_view name, std::span<const std::string_view> prefixes) {
  return !name.empty() && std::any_of(prefixes.begin(), prefixes.end(), [name](std::string_view prefix) {
           // The first letters settle most fields without a full comparison.
           return !prefix.empty() && foldedNameByte(name[0]) == foldedNameByte(prefix[0]) &&
                  startsWithFolded(name, prefix);
         });
}

}  // namespace

void removeHopByHop(Fields& fields, bool keep_upgrade) {
  // One walk over the fields, erasing as it goes: an erase by name is a search of the field
  // tree, and most messages carry only one or two of these fields.
  std::vector<std::string> named;  // fields named by Connection are hop-by-hop too (RFC 9110 7.6.1)
  for (auto it = fields.begin(); it != fields.end();) {
    switch (it->name()) {
    case http::field::connection:
      collectConnectionOptions(it->value(), named);
      it = fields.erase(it);
      break;
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::te:
    case http::field::trailer:
    case http::field::transfer_encoding:
      it = fields.erase(it);
      break;
    case http::field::upgrade:
      it = keep_upgrade ? std::next(it) : fields.erase(it);
      break;
    default:
      ++it;
    }
  }
  for (const auto& name : named) {
    if (keep_upgrade && boost::beast::iequals(name, "upgrade")) {
      continue;
    }
    // Never let Connection remove the framing or routing fields we rely on; Keep-Alive and
    // Upgrade are gone already.
    if (boost::beast::iequals(name, "host") || boost::beast::iequals(name, "content-length") ||
        boost::beast::iequals(name, "keep-alive") || boost::beast::iequals(name, "upgrade")) {
      continue;
    }
    fields.erase(name);
  }
  if (keep_upgrade) {
    fields.set(http::field::connection, "Upgrade");
  }
}

std::size_t prepareUpstreamRequest(Fields& fields, const ForwardContext& context, bool keep_forwarded_proto) {
  removeHopByHop(fields, context.websocket);
  // One walk over the fields: the origin secret, the forwarding fields the gateway sets itself
  // (X-Forwarded-For once its values are in the chain) and the gate's header families go, and
  // the Host is noted. Erasing or inserting other elements leaves `host` valid.
  std::string chain;  // any X-Forwarded-For chain, several fields being one comma list
  std::string_view host;
  bool proto_kept = false;
  std::size_t removed_by_prefix = 0;
  using boost::beast::iequals;
  for (auto it = fields.begin(); it != fields.end();) {
    const std::string_view name = it->name_string();
    if (it->name() == http::field::host) {
      host = host.empty() ? std::string_view(it->value()) : host;
      ++it;
    } else if (!context.strip_header.empty() && iequals(name, context.strip_header)) {
      it = fields.erase(it);
    } else if (iequals(name, "X-Forwarded-For")) {
      const auto value = common::trimOws(it->value());
      if (!value.empty()) {
        chain.append(value.data(), value.size()).append(", ");
      }
      it = fields.erase(it);
    } else if (iequals(name, "X-Forwarded-Proto") && keep_forwarded_proto) {
      proto_kept = true;
      ++it;
    } else if (iequals(name, "X-Forwarded-Proto") || iequals(name, "X-Forwarded-Host") || iequals(name, "X-Real-IP")) {
      it = fields.erase(it);
    } else if (hasAnyPrefix(name, context.remove_header_prefixes)) {
      ++removed_by_prefix;
      it = fields.erase(it);
    } else {
      ++it;
    }
  }
  chain.append(context.peer_ip.data(), context.peer_ip.size());
  fields.insert("X-Forwarded-For", chain);
  if (!proto_kept) {
    fields.insert("X-Forwarded-Proto", context.proto);
  }
  if (!host.empty()) {
    fields.insert("X-Forwarded-Host", host);
  }
  fields.insert("X-Real-IP", context.client_ip);
  return removed_by_prefix;
}

bool isHtml(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  return boost::beast::iequals(common::trimOws(content_type.substr(0, semicolon)), "text/html");
}

void prepareClientResponse(Fields& fields, bool websocket_switch) {
  removeHopByHop(fields, websocket_switch);
  bool html = false;
  for (auto it = fields.begin(); it != fields.end();) {
    if (it->name() == http::field::server) {
      it = fields.erase(it);
      continue;
    }
    html = html || (it->name() == http::field::content_type && isHtml(it->value()));
    ++it;
  }
  if (html) {
    fields.set(http::field::cache_control, "no-cache, no-store, must-revalidate");
    fields.set(http::field::pragma, "no-cache");
    fields.set(http::field::expires, "0");
  }
}

void applyRequestEdits(Fields& fields, const ForwardPlan& plan) {
  if (plan.cookie) {
    fields.erase(http::field::cookie);
    if (!plan.cookie->empty()) {
      fields.set(http::field::cookie, *plan.cookie);
    }
  }
  for (const auto& [name, value] : plan.set_headers) {
    fields.set(name, value);
  }
}

void addResponseCookies(Fields& fields, const ForwardPlan& plan) {
  for (const auto& cookie : plan.add_response_cookies) {
    fields.insert(http::field::set_cookie, cookie);
  }
}

}  // namespace oh::gateway
