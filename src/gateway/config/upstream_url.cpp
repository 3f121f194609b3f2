#include "config/upstream_url.h"

#include <charconv>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "config/quote.h"

namespace oh::gateway {

std::variant<UpstreamEndpoint, std::string> parseUpstreamUrl(std::string_view url) {
  const std::string expected = "must be http://host[:port] (e.g. http://127.0.0.1:3000), but " + config_text::quoted(url) + " was provided";
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    return expected;
  }
  const boost::urls::url_view& view = *parsed;
  if (view.scheme_id() != boost::urls::scheme::http) {
    return "must use the http scheme (the upstream is on a private network; TLS ends at the "
           "load balancer), but " + config_text::quoted(url) + " was provided";
  }
  if (view.has_userinfo()) {
    return "must not contain user information, but " + config_text::quoted(url) + " was provided";
  }
  if (!(view.encoded_path().empty() || view.encoded_path() == "/") || view.has_query() ||
      view.has_fragment()) {
    return "must not have a path, query or fragment, but " + config_text::quoted(url) + " was provided";
  }
  UpstreamEndpoint endpoint;
  switch (view.host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::name:
      endpoint.host = std::string(view.encoded_host());
      break;
    case boost::urls::host_type::ipv6:
      endpoint.host = view.host_ipv6_address().to_string();
      break;
    default:
      return expected;
  }
  if (endpoint.host.empty() || endpoint.host.find('%') != std::string::npos) {
    return expected;
  }
  if (view.has_port()) {
    const std::string_view port_text = view.port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
        value == 0 || value > 65535) {
      return "must have a port between 1 and 65535, but " + config_text::quoted(url) + " was provided";
    }
    endpoint.port = static_cast<std::uint16_t>(value);
  }
  return endpoint;
}

}  // namespace oh::gateway
