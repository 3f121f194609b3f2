#include "policy/client_address.h"

#include <array>
#include <charconv>

namespace oh::gateway {
namespace {

namespace ip = boost::asio::ip;

// "::ffff:a.b.c.d" is the same client as "a.b.c.d": compare and print it as IPv4.
ip::address normalized(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

std::optional<ip::address> parseAddress(std::string_view text) {
  // Scope ids ("fe80::1%eth0") name an interface of some other machine: never a client.
  // Only address characters: the parser below reads a C string, so an embedded NUL (or
  // anything after it) must never get that far.
  if (text.empty() || text.size() > 64 ||
      text.find_first_not_of("0123456789abcdefABCDEF.:") != std::string_view::npos) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  const ip::address address = ip::make_address(std::string(text), ec);
  if (ec) {
    return std::nullopt;
  }
  return normalized(address);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

bool isPort(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && text.size() <= 5 && ec == std::errc{} && end == text.data() + text.size() &&
         value <= 65535;
}

// One X-Forwarded-For entry: an address, "[v6]", "[v6]:port" or "v4:port" (some proxies add
// the port). Anything else is malformed.
std::optional<ip::address> parseForwardedEntry(std::string_view entry) {
  entry = trim(entry);
  if (!entry.empty() && entry.front() == '[') {
    const std::size_t close = entry.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view rest = entry.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && isPort(rest.substr(1)))) {
      return std::nullopt;
    }
    auto address = parseAddress(entry.substr(1, close - 1));
    if (!address || !(entry.substr(1, close - 1).find(':') != std::string_view::npos)) {
      return std::nullopt;  // brackets are for IPv6 only
    }
    return address;
  }
  const std::size_t colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
    if (!isPort(entry.substr(colon + 1))) {
      return std::nullopt;
    }
    auto address = parseAddress(entry.substr(0, colon));
    if (!address || !address->is_v4()) {
      return std::nullopt;
    }
    return address;
  }
  return parseAddress(entry);
}

bool prefixMatches(const unsigned char* a, const unsigned char* b, unsigned prefix_length) {
  const unsigned full_bytes = prefix_length / 8;
  for (unsigned i = 0; i < full_bytes; ++i) {
    if (a[i] != b[i]) {
      return false;
    }
  }
  const unsigned rest = prefix_length % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<unsigned char>(0xFFu << (8 - rest));
  return (a[full_bytes] & mask) == (b[full_bytes] & mask);
}

template <typename Bytes>
bool hostBitsClear(const Bytes& bytes, unsigned prefix_length) {
  for (std::size_t bit = prefix_length; bit < bytes.size() * 8; ++bit) {
    if ((static_cast<unsigned>(bytes[bit / 8]) >> (7 - bit % 8)) & 1u) {
      return false;
    }
  }
  return true;
}

template <typename Bytes>
Bytes masked(Bytes bytes, unsigned prefix_length) {
  for (std::size_t bit = prefix_length; bit < bytes.size() * 8; ++bit) {
    bytes[bit / 8] = static_cast<unsigned char>(bytes[bit / 8] & ~(1u << (7 - bit % 8)));
  }
  return bytes;
}

std::string quotedEntry(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 80)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  return out + (text.size() > 80 ? "...\"" : "\"");
}

}  // namespace

std::optional<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& cidrs, std::string& error) {
  TrustedProxies result;
  std::vector<std::string> bad;
  for (const std::string& cidr : cidrs) {
    const std::string_view text = trim(cidr);
    const std::size_t slash = text.find('/');
    auto base = parseAddress(text.substr(0, slash));
    if (!base) {
      bad.push_back(quotedEntry(cidr) + " (not an IP address)");
      continue;
    }
    // A v4-mapped base came back as IPv4, so its prefix counts the IPv4 bits only.
    const bool mapped = (text.substr(0, slash).find(':') != std::string_view::npos) && base->is_v4();
    const unsigned max_length = base->is_v4() ? 32 : 128;
    unsigned length = max_length;
    if (slash != std::string_view::npos) {
      const std::string_view digits = text.substr(slash + 1);
      unsigned value = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      const unsigned given_max = mapped ? 128 : max_length;
      if (digits.empty() || digits.size() > 3 || ec != std::errc{} || end != digits.data() + digits.size() ||
          value > given_max || (mapped && value < 96)) {
        bad.push_back(quotedEntry(cidr) + " (prefix length must be 0 to " + std::to_string(given_max) +
                      (mapped ? ", and at least 96 for an IPv4-mapped address)" : ")"));
        continue;
      }
      length = mapped ? value - 96 : value;
    }
    const bool clear = base->is_v4() ? hostBitsClear(base->to_v4().to_bytes(), length)
                                     : hostBitsClear(base->to_v6().to_bytes(), length);
    if (!clear) {
      const ip::address network =
          base->is_v4() ? ip::address(ip::make_address_v4(masked(base->to_v4().to_bytes(), length)))
                        : ip::address(ip::make_address_v6(masked(base->to_v6().to_bytes(), length)));
      bad.push_back(quotedEntry(cidr) + " (host bits are set; did you mean \"" + network.to_string() + "/" +
                    std::to_string(length) + "\"?)");
      continue;
    }
    result.networks_.push_back({*base, length});
  }
  if (!bad.empty()) {
    error = "must be CIDRs such as 10.0.0.0/8 or ::1/128, or bare addresses, but ";
    for (std::size_t i = 0; i < bad.size(); ++i) {
      error += (i == 0 ? "" : ", ") + bad[i];
    }
    error += bad.size() == 1 ? " was provided" : " were provided";
    return std::nullopt;
  }
  return result;
}

bool TrustedProxies::contains(const ip::address& address) const {
  const ip::address candidate = normalized(address);
  for (const Network& network : networks_) {
    if (network.base.is_v4() != candidate.is_v4()) {
      continue;
    }
    if (candidate.is_v4()) {
      const auto a = candidate.to_v4().to_bytes();
      const auto b = network.base.to_v4().to_bytes();
      if (prefixMatches(a.data(), b.data(), network.prefix_length)) {
        return true;
      }
    } else {
      const auto a = candidate.to_v6().to_bytes();
      const auto b = network.base.to_v6().to_bytes();
      if (prefixMatches(a.data(), b.data(), network.prefix_length)) {
        return true;
      }
    }
  }
  return false;
}

std::string clientAddress(const ip::address& peer, std::string_view x_forwarded_for,
                          const TrustedProxies& trusted) {
  ip::address current = normalized(peer);
  if (!trusted.contains(current)) {
    return current.to_string();
  }
  // Walk from the right: each hop was appended by the proxy to its right, so only entries
  // added by trusted proxies are believed; the first untrusted one is the client.
  std::string_view rest = x_forwarded_for;
  while (!trim(rest).empty()) {
    const std::size_t comma = rest.rfind(',');
    const std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    auto hop = parseForwardedEntry(entry);
    if (!hop) {
      break;  // malformed: believe nothing further left; the last good hop stands
    }
    current = *hop;
    if (!trusted.contains(current)) {
      break;
    }
  }
  return current.to_string();
}

std::optional<std::string> viewerAddress(std::string_view header) {
  header = trim(header);
  const std::size_t colon = header.rfind(':');
  if (colon == std::string_view::npos || !isPort(header.substr(colon + 1))) {
    return std::nullopt;
  }
  auto address = parseAddress(header.substr(0, colon));
  if (!address) {
    return std::nullopt;
  }
  return address->to_string();
}

std::string rateLimitKey(std::string_view client_address) {
  auto address = parseAddress(client_address);
  if (!address) {
    return std::string(client_address);
  }
  if (address->is_v4()) {
    return address->to_string();
  }
  const auto network = ip::make_address_v6(masked(address->to_v6().to_bytes(), 64));
  return network.to_string() + "/64";
}

}  // namespace oh::gateway
