#pragma once
// Decides which address a request comes from: the TCP peer, unless the peer is a trusted proxy
// (CIDR list from rate_limit.trusted_proxies), in which case X-Forwarded-For is walked from the
// right, skipping trusted hops, and the first untrusted address wins (the usual rule, as in
// nginx's real_ip_recursive). Malformed X-Forwarded-For entries stop the walk at the last good hop.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace oh::gateway {

class TrustedProxies {
public:
  // Parses CIDRs ("10.0.0.0/8", "::1/128", or a bare address). nullopt with `error` naming the
  // bad entry when one does not parse.
  static std::optional<TrustedProxies> parse(const std::vector<std::string>& cidrs, std::string& error);
  TrustedProxies() = default;

  bool contains(const boost::asio::ip::address& address) const;

private:
  struct Network {
    boost::asio::ip::address base;
    unsigned prefix_length = 0;
  };
  std::vector<Network> networks_;
};

// The client's address as text, for rate limiting, X-Real-IP and the access log.
// With several X-Forwarded-For fields, pass them joined with ", " in order (RFC 9110 5.3).
std::string clientAddress(const boost::asio::ip::address& peer, std::string_view x_forwarded_for,
                          const TrustedProxies& trusted);

// The viewer's address from CloudFront's CloudFront-Viewer-Address header ("IP:port", an IPv6
// address unbracketed: "2001:db8::1:443"), as text; nullopt when it does not parse. Believe it
// only on a request whose origin secret matched: only CloudFront knows that secret, and
// CloudFront replaces whatever a viewer sent under this name.
std::optional<std::string> viewerAddress(std::string_view cloudfront_viewer_address);

// The rate-limit bucket for a client address (as clientAddress() returns it): an IPv4 address
// as is, an IPv6 address as its /64 ("2001:db8:1:2::/64"), because one customer usually holds a
// whole /64 and could otherwise rotate through it to escape the limit and flood the table.
// Text that is not an address is returned unchanged.
std::string rateLimitKey(std::string_view client_address);

}  // namespace oh::gateway
