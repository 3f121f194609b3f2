// Which Host values the public and admin listeners serve (policy/host_allowlist.h, issue 16).

#include "policy/host_allowlist.h"

#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

// This test verifies the configured main hosts (with or without a port), each runtime suffix's
// main host and the hosts under it are served, in any case and with a root dot; every other
// name, a look-alike and a malformed Host are not (they get 421: DNS rebinding).
TEST(HostAllowlist, ServesConfiguredHostsOnly) {
  const HostAllowlist hosts({"oh.example.com", "localhost:8080", "origin.oh.example.com"},
                            {"runtime.oh.example.com", "runtime.other.test"});
  ASSERT_TRUE(hosts.enforced());
  for (const char* good : {"oh.example.com", "OH.Example.COM", "oh.example.com:443", "oh.example.com.",
                           "localhost:8080", "origin.oh.example.com", "other.test", "other.test:8443",
                           "5173-0123456789abcdef0123456789abcdef.runtime.oh.example.com",
                           "5173-x.RUNTIME.other.test:8080", "runtime.oh.example.com"}) {
    EXPECT_TRUE(hosts.admits(good)) << good;
  }
  for (const char* bad : {"evil.test", "localhost", "localhost:8081", "127.0.0.1", "oh.example.com.evil.test",
                          "xoh.example.com", "runtime.oh.example.com.evil.test", "xruntime.oh.example.com",
                          "oh.example.com:", "oh.example.com:12a", "oh.example.com:123456", ":8080", "", ".",
                          "[::1]:8080"}) {
    EXPECT_FALSE(hosts.admits(bad)) << bad;
  }
}

// This test verifies a configuration naming no host at all (provider "none" without runtime
// apps: tests, benchmarks) serves every Host, and that the admin listener's names are loopback
// only.
TEST(HostAllowlist, UnconfiguredServesEveryHostAndAdminIsLoopbackOnly) {
  const HostAllowlist open;
  EXPECT_FALSE(open.enforced());
  EXPECT_TRUE(open.admits("anything.test"));
  EXPECT_TRUE(HostAllowlist({}, {}).admits("anything.test"));
  for (const char* good : {"127.0.0.1:9090", "localhost:9090", "LOCALHOST", "[::1]:9090", "127.0.0.1"}) {
    EXPECT_TRUE(isLoopbackHostHeader(good)) << good;
  }
  for (const char* bad : {"rebind.evil.test:9090", "127.0.0.2:9090", "localhost.evil.test", "", "127.0.0.1:x"}) {
    EXPECT_FALSE(isLoopbackHostHeader(bad)) << bad;
  }
}

}  // namespace
}  // namespace oh::gateway
