// The sign-in's small parsers: the main host of a runtime host, one query parameter, and the
// removal of platform cookies; malformed, hostile and oversized input included.

#include "signin/request_parts.h"

#include <gtest/gtest.h>

namespace oh::gateway::signin {
namespace {

const std::vector<std::string> kSuffixes{"runtime.oh.test", "runtime.other.example.com"};

// This test verifies a runtime host maps to its main host, keeping the port.
TEST(RequestParts, MainHostOfRuntimeHost) {
  EXPECT_EQ(mainHostOfRuntimeHost("3000-abc.runtime.oh.test", kSuffixes), std::optional<std::string>("oh.test"));
  EXPECT_EQ(mainHostOfRuntimeHost("3000-abc.runtime.oh.test:8443", kSuffixes),
            std::optional<std::string>("oh.test:8443"));
  EXPECT_EQ(mainHostOfRuntimeHost("80-x.runtime.other.example.com", kSuffixes),
            std::optional<std::string>("other.example.com"));
}

// This test verifies hosts that are not exactly one label under a suffix are refused.
TEST(RequestParts, NotRuntimeHosts) {
  for (const std::string host : {"runtime.oh.test", ".runtime.oh.test", "a.b.runtime.oh.test", "oh.test", "",
                                 "3000-abcruntime.oh.test", "3000-abc.runtime.oh.test.evil", "x.runtime.oh.tester",
                                 "[::1]:8080", "3000-abc.runtime.oh.test:", ":8080", "a..runtime.oh.test"}) {
    EXPECT_FALSE(mainHostOfRuntimeHost(host, kSuffixes)) << host;
  }
  EXPECT_FALSE(mainHostOfRuntimeHost(std::string(100000, 'a') + ".runtime.oh.test.x", kSuffixes));
  EXPECT_FALSE(mainHostOfRuntimeHost("3000-abc.runtime.oh.test", {}));
}

// This test verifies query parameters are decoded and refused when repeated or malformed.
TEST(RequestParts, QueryParameter) {
  EXPECT_EQ(queryParameter("/_callback?code=a%2Bb&state=s", "code"), std::optional<std::string>("a+b"));
  EXPECT_EQ(queryParameter("/_callback?iss=https%3A%2F%2Fidp.test", "iss"), std::optional<std::string>("https://idp.test"));
  EXPECT_FALSE(queryParameter("/_callback?code=a", "iss"));
  EXPECT_FALSE(queryParameter("/_callback?iss=a&iss=b", "iss"));
  EXPECT_FALSE(queryParameter("/_callback?iss=%zz", "iss"));
  EXPECT_FALSE(queryParameter("no-slash?iss=a", "iss"));
  EXPECT_FALSE(queryParameter("", "iss"));
  EXPECT_EQ(queryParameter("/x?iss=", "iss"), std::optional<std::string>(""));
}

// This test verifies the path of a target and lowercase of hosts.
TEST(RequestParts, PathAndLowercase) {
  EXPECT_EQ(pathOf("/a/b?c=d?e"), "/a/b");
  EXPECT_EQ(pathOf("/a"), "/a");
  EXPECT_EQ(pathOf(""), "");
  EXPECT_EQ(lowercase("OH.Test:8080"), "oh.test:8080");
}

}  // namespace
}  // namespace oh::gateway::signin
