// Tests for TrustedProxies (CIDR parsing and matching) and clientAddress (X-Forwarded-For walk).

#include <gtest/gtest.h>

#include "policy/client_address.h"

namespace oh::gateway {
namespace {

using boost::asio::ip::make_address;

TrustedProxies trusted(const std::vector<std::string>& cidrs) {
  std::string error;
  auto parsed = TrustedProxies::parse(cidrs, error);
  if (!parsed) {
    ADD_FAILURE() << error;
    return {};
  }
  return *parsed;
}

std::string parseError(const std::vector<std::string>& cidrs) {
  std::string error;
  EXPECT_FALSE(TrustedProxies::parse(cidrs, error).has_value());
  return error;
}

// This test verifies IPv4 CIDRs match exactly their range.
TEST(TrustedProxies, Ipv4Ranges) {
  const auto t = trusted({"10.0.0.0/8", "192.168.1.0/24", "172.16.5.4"});
  EXPECT_TRUE(t.contains(make_address("10.255.1.2")));
  EXPECT_TRUE(t.contains(make_address("192.168.1.255")));
  EXPECT_FALSE(t.contains(make_address("192.168.2.1")));
  EXPECT_TRUE(t.contains(make_address("172.16.5.4")));
  EXPECT_FALSE(t.contains(make_address("172.16.5.5")));
  EXPECT_FALSE(t.contains(make_address("11.0.0.0")));
}

// This test verifies prefixes that are not byte aligned.
TEST(TrustedProxies, OddPrefixLengths) {
  const auto t = trusted({"172.16.0.0/12", "2001:db8::/33"});
  EXPECT_TRUE(t.contains(make_address("172.31.255.255")));
  EXPECT_FALSE(t.contains(make_address("172.32.0.0")));
  EXPECT_TRUE(t.contains(make_address("2001:db8:7fff::1")));
  EXPECT_FALSE(t.contains(make_address("2001:db8:8000::1")));
}

// This test verifies IPv6 ranges and that families do not mix.
TEST(TrustedProxies, Ipv6Ranges) {
  const auto t = trusted({"fd00::/8", "::1/128"});
  EXPECT_TRUE(t.contains(make_address("fd12:3456::1")));
  EXPECT_TRUE(t.contains(make_address("::1")));
  EXPECT_FALSE(t.contains(make_address("fe80::1")));
  EXPECT_FALSE(t.contains(make_address("127.0.0.1")));
}

// This test verifies IPv4-mapped IPv6 addresses are the IPv4 clients they carry, both ways.
TEST(TrustedProxies, V4MappedIsIpv4) {
  const auto t = trusted({"10.0.0.0/8"});
  EXPECT_TRUE(t.contains(make_address("::ffff:10.1.2.3")));
  EXPECT_FALSE(t.contains(make_address("::ffff:11.1.2.3")));
  const auto mapped = trusted({"::ffff:10.0.0.0/104"});
  EXPECT_TRUE(mapped.contains(make_address("10.9.9.9")));
  EXPECT_FALSE(mapped.contains(make_address("11.0.0.1")));
}

// This test verifies /0 trusts everything of its family.
TEST(TrustedProxies, ZeroPrefix) {
  const auto t = trusted({"0.0.0.0/0"});
  EXPECT_TRUE(t.contains(make_address("8.8.8.8")));
  EXPECT_FALSE(t.contains(make_address("::2")));
}

// This test verifies an empty list trusts nothing.
TEST(TrustedProxies, EmptyTrustsNothing) {
  const auto t = trusted({});
  EXPECT_FALSE(t.contains(make_address("127.0.0.1")));
  EXPECT_FALSE(TrustedProxies{}.contains(make_address("::1")));
}

// This test verifies malformed entries are refused, each named in one message.
TEST(TrustedProxies, MalformedRefused) {
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8",
                          "10.0.0.0/ 8", "10.0.0.0/0x8", "::/129", "::ffff:10.0.0.0/8", "10.0.0", "10.0.0.0.0",
                          "1.2.3.256", "hostname", "fe80::1%eth0", "10.0.0.0/0008", "[::1]", "\n"}) {
    const std::string error = parseError({bad});
    EXPECT_FALSE(error.empty()) << bad;
  }
  const std::string error = parseError({"10.0.0.0/8", "a", "b"});
  EXPECT_NE(error.find("\"a\""), std::string::npos);
  EXPECT_NE(error.find("\"b\""), std::string::npos);
  EXPECT_NE(error.find("were provided"), std::string::npos);
}

// This test verifies host bits set is refused with the intended network suggested.
TEST(TrustedProxies, HostBitsRefusedWithSuggestion) {
  EXPECT_NE(parseError({"192.168.1.7/24"}).find("did you mean \"192.168.1.0/24\"?"), std::string::npos);
  EXPECT_NE(parseError({"2001:db8::1/32"}).find("did you mean \"2001:db8::/32\"?"), std::string::npos);
}

// This test verifies surrounding spaces in an entry are tolerated.
TEST(TrustedProxies, SpacesTrimmed) {
  EXPECT_TRUE(trusted({" 10.0.0.0/8 "}).contains(make_address("10.0.0.1")));
}

// This test verifies the peer is the client when it is not trusted, whatever it claims.
TEST(ClientAddress, UntrustedPeerIgnoresForwardedFor) {
  const auto t = trusted({"10.0.0.0/8"});
  EXPECT_EQ(clientAddress(make_address("203.0.113.9"), "1.1.1.1", t), "203.0.113.9");
  EXPECT_EQ(clientAddress(make_address("203.0.113.9"), "10.0.0.5", t), "203.0.113.9");
  EXPECT_EQ(clientAddress(make_address("203.0.113.9"), "", trusted({})), "203.0.113.9");
}

// This test verifies a trusted peer's rightmost entry is believed.
TEST(ClientAddress, TrustedPeerOneHop) {
  const auto t = trusted({"10.0.0.0/8"});
  EXPECT_EQ(clientAddress(make_address("10.0.1.2"), "198.51.100.7", t), "198.51.100.7");
}

// This test verifies spoofed entries left of the real client are ignored.
TEST(ClientAddress, SpoofedLeftEntriesIgnored) {
  const auto t = trusted({"10.0.0.0/8"});
  EXPECT_EQ(clientAddress(make_address("10.0.1.2"), "6.6.6.6, 198.51.100.7", t), "198.51.100.7");
  // A spoofer claiming to be a trusted proxy gains nothing beyond its own address.
  EXPECT_EQ(clientAddress(make_address("10.0.1.2"), "6.6.6.6, 10.9.9.9, 198.51.100.7", t), "198.51.100.7");
}

// This test verifies a chain of trusted proxies is skipped from the right.
TEST(ClientAddress, TrustedChain) {
  const auto t = trusted({"10.0.0.0/8", "192.168.0.0/16"});
  EXPECT_EQ(clientAddress(make_address("10.0.0.1"), "198.51.100.7, 192.168.3.4, 10.2.2.2", t), "198.51.100.7");
}

// This test verifies an all-trusted chain yields the leftmost entry.
TEST(ClientAddress, AllTrustedGivesLeftmost) {
  const auto t = trusted({"10.0.0.0/8"});
  EXPECT_EQ(clientAddress(make_address("10.0.0.1"), "10.3.3.3, 10.2.2.2", t), "10.3.3.3");
}

// This test verifies an empty or blank header leaves the peer as the client.
TEST(ClientAddress, EmptyHeader) {
  const auto t = trusted({"10.0.0.0/8"});
  EXPECT_EQ(clientAddress(make_address("10.0.0.1"), "", t), "10.0.0.1");
  EXPECT_EQ(clientAddress(make_address("10.0.0.1"), "  \t ", t), "10.0.0.1");
}

// This test verifies garbage entries stop the walk at the last good hop.
TEST(ClientAddress, GarbageStopsTheWalk) {
  const auto t = trusted({"10.0.0.0/8"});
  const auto peer = make_address("10.0.0.1");
  EXPECT_EQ(clientAddress(peer, "garbage", t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, "1.2.3.4, garbage", t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, "garbage, 10.0.0.7", t), "10.0.0.7");
  EXPECT_EQ(clientAddress(peer, "1.2.3.4,,10.0.0.7", t), "10.0.0.7");
  EXPECT_EQ(clientAddress(peer, "1.2.3.4,", t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, ",,,,", t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, "1.2.3.4\r\n", t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, std::string("1.2.3.4\0", 8), t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, "unknown", t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, "fe80::1%eth0", t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, std::string(100000, '1'), t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, "999.1.1.1", t), "10.0.0.1");
}

// This test verifies a very long chain of trusted hops is walked without trouble.
TEST(ClientAddress, LongChain) {
  const auto t = trusted({"10.0.0.0/8"});
  std::string header = "198.51.100.7";
  for (int i = 0; i < 5000; ++i) {
    header += ", 10.0.0.2";
  }
  EXPECT_EQ(clientAddress(make_address("10.0.0.1"), header, t), "198.51.100.7");
}

// This test verifies ports and brackets some proxies add are understood.
TEST(ClientAddress, EntriesWithPorts) {
  const auto t = trusted({"10.0.0.0/8"});
  const auto peer = make_address("10.0.0.1");
  EXPECT_EQ(clientAddress(peer, "198.51.100.7:4711", t), "198.51.100.7");
  EXPECT_EQ(clientAddress(peer, "[2001:db8::7]:443", t), "2001:db8::7");
  EXPECT_EQ(clientAddress(peer, "[2001:db8::7]", t), "2001:db8::7");
  EXPECT_EQ(clientAddress(peer, "198.51.100.7:99999", t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, "[198.51.100.7]", t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, "[2001:db8::7", t), "10.0.0.1");
  EXPECT_EQ(clientAddress(peer, "[2001:db8::7]x", t), "10.0.0.1");
}

// This test verifies IPv6 peers and entries, and v4-mapped normalisation of the result.
TEST(ClientAddress, Ipv6) {
  const auto t = trusted({"fd00::/8", "10.0.0.0/8"});
  EXPECT_EQ(clientAddress(make_address("fd00::1"), "2001:db8::99", t), "2001:db8::99");
  EXPECT_EQ(clientAddress(make_address("fd00::1"), "2001:db8::99, fd00::2", t), "2001:db8::99");
  EXPECT_EQ(clientAddress(make_address("::ffff:10.0.0.1"), "198.51.100.7", t), "198.51.100.7");
  EXPECT_EQ(clientAddress(make_address("::ffff:203.0.113.1"), "198.51.100.7", t), "203.0.113.1");
  EXPECT_EQ(clientAddress(make_address("10.0.0.1"), "::ffff:198.51.100.7", t), "198.51.100.7");
  EXPECT_EQ(clientAddress(make_address("2001:db8::5"), "1.1.1.1", t), "2001:db8::5");
}

// This test verifies IPv6 clients share a bucket per /64 and IPv4 clients are kept whole.
TEST(RateLimitKey, Ipv6GroupedByPrefix) {
  EXPECT_EQ(rateLimitKey("198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(rateLimitKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(rateLimitKey("2001:db8:1:2::1"), rateLimitKey("2001:db8:1:2:ffff::9"));
  EXPECT_NE(rateLimitKey("2001:db8:1:2::1"), rateLimitKey("2001:db8:1:3::1"));
  EXPECT_EQ(rateLimitKey("::1"), "::/64");
  EXPECT_EQ(rateLimitKey("::ffff:198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(rateLimitKey("not an address"), "not an address");
  EXPECT_EQ(rateLimitKey(""), "");
}

// This test verifies CloudFront-Viewer-Address parsing (issue 16): IPv4 and unbracketed IPv6
// with the viewer's port, normalised; anything else (no port, bad port, junk, lists, brackets
// CloudFront never sends, scope ids) is refused, so the caller keeps its own address.
TEST(ViewerAddress, ParsesCloudFrontForms) {
  EXPECT_EQ(viewerAddress("198.51.100.10:46532"), "198.51.100.10");
  EXPECT_EQ(viewerAddress(" 198.51.100.10:1 "), "198.51.100.10");
  EXPECT_EQ(viewerAddress("2001:0db8:85a3:0000:0000:8a2e:0370:7334:46532"), "2001:db8:85a3::8a2e:370:7334");
  EXPECT_EQ(viewerAddress("::ffff:198.51.100.10:443"), "198.51.100.10");
  for (const char* bad : {"", "198.51.100.10", "198.51.100.10:", "198.51.100.10:99999", "198.51.100.10:x",
                          "example.com:443", "198.51.100.10:443, 203.0.113.1:80", "[2001:db8::1]:443",
                          "fe80::1%eth0:443", "1.2.3.4:80\r\nX: y", "unknown:0"}) {
    EXPECT_FALSE(viewerAddress(bad)) << bad;
  }
}

}  // namespace
}  // namespace oh::gateway
