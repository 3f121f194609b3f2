#include "auth/return_path.h"

#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

// Same-origin paths pass unchanged.
TEST(ReturnPathTest, KeepsSameOriginPaths) {
  for (const char* ok : {"/", "/conversations/abc", "/a?b=c&d=%2F", "/runtime/abc/3000/", "/%C3%A9t%C3%A9",
                         "/a//b", "/a/%2F%2Fb", "/~user/x:y@z"}) {
    EXPECT_TRUE(isSafeReturnPath(ok)) << ok;
    EXPECT_EQ(sanitizeReturnPath(ok), ok);
  }
}

// The open-redirect matrix of issue 4: each one falls back to "/".
TEST(ReturnPathTest, RefusesOpenRedirects) {
  const std::string long_path = "/" + std::string(kMaxReturnPathBytes, 'a');
  for (const std::string& bad : std::vector<std::string>{
           "//evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example", "https:evil.example",
           "https://evil.example", "HTTPS://evil.example", "javascript:alert(1)", "evil.example", "",
           "/%2F%2Fevil.example", "/%2f%2fevil.example", "/%2F/evil.example", "%2F%2Fevil.example",
           "/%5Cevil.example", "/%5cevil.example", "/a%5Cb", "/%252F%252Fevil.example", "/%25252F%25252Fevil",
           "/\tevil", "/\t/evil.example", "/\n/evil.example", "/%09/evil.example", "/%0d%0aSet-Cookie:x=y",
           "/%00", "/a b", "/a#frag", "/%", "/%2", "/%zz", "/\x7f", "/caf\xc3\xa9", long_path,
       }) {
    EXPECT_FALSE(isSafeReturnPath(bad)) << bad;
    EXPECT_EQ(sanitizeReturnPath(bad), "/") << bad;
  }
}

}  // namespace
}  // namespace oh::gateway::auth
