#include "outbound/outbound_url.h"

#include <algorithm>
#include <charconv>
#include <cctype>

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace oh::gateway::outbound {
namespace {

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return out;
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Host names as DNS sees them: letters, digits, '-', '.', and '_' (seen in real provider
// domains). Anything else (percent escapes, spaces, non-ASCII) is refused rather than guessed.
bool isPlainHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) {
    return false;
  }
  return std::all_of(host.begin(), host.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace

bool isLoopbackHost(std::string_view host) {
  const std::string lower = lowerAscii(host);
  if (lower == "localhost" || endsWith(lower, ".localhost")) {
    return true;
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(lower, ec);
  return !ec && address.is_loopback();
}

std::variant<OutboundUrl, std::string> parseOutboundUrl(std::string_view url, bool allow_loopback_http,
                                                        const std::vector<std::string>& plain_http_hosts) {
  if (url.size() > kMaxOutboundUrlBytes) {
    return std::string("URL longer than 8 KiB");
  }
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return std::string("not an absolute URL");
  }
  const boost::urls::url_view& view = *parsed;
  OutboundUrl out;
  switch (view.scheme_id()) {
    case boost::urls::scheme::https:
      out.tls = true;
      out.port = 443;
      break;
    case boost::urls::scheme::http:
      out.tls = false;
      out.port = 80;
      break;
    default:
      return std::string("scheme must be https");
  }
  if (view.has_userinfo()) {
    return std::string("URL must not contain user information");
  }
  switch (view.host_type()) {
    case boost::urls::host_type::ipv4:
      out.host = std::string(view.encoded_host());
      out.host_is_ip = true;
      break;
    case boost::urls::host_type::ipv6:
      out.host = view.host_ipv6_address().to_string();
      out.host_is_ip = true;
      break;
    case boost::urls::host_type::name:
      out.host = lowerAscii(view.encoded_host());
      if (!isPlainHostName(out.host)) {
        return std::string("host name is not a plain DNS name");
      }
      break;
    default:
      return std::string("URL has no usable host");
  }
  const bool plain_by_design = std::find(plain_http_hosts.begin(), plain_http_hosts.end(), out.host) != plain_http_hosts.end();
  if (!out.tls && !plain_by_design && !(allow_loopback_http && isLoopbackHost(out.host))) {
    return "plain http refused for host " + out.host + " (https required)";
  }
  if (view.has_port()) {
    const std::string_view text = view.port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
      return std::string("port must be between 1 and 65535");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  out.target = std::string(view.encoded_path());
  if (out.target.empty()) {
    out.target = "/";
  } else if (out.target.front() != '/') {
    return std::string("URL path must be absolute");
  }
  if (view.has_query()) {
    out.target += '?';
    out.target += std::string(view.encoded_query());
  }
  // The fragment is the client's business and never goes on the wire (RFC 9110 4.2.4).
  out.host_header = view.host_type() == boost::urls::host_type::ipv6 ? "[" + out.host + "]" : out.host;
  const std::uint16_t default_port = out.tls ? 443 : 80;
  if (out.port != default_port) {
    out.host_header += ":" + std::to_string(out.port);
  }
  return out;
}

}  // namespace oh::gateway::outbound
