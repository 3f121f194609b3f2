#include "credentials/sandbox_credential_tokens.h"

#include <gtest/gtest.h>

namespace oh::control {
namespace {

SandboxCredentialTokens tokens(char fill = 'k') { return SandboxCredentialTokens::fromKey(std::string(32, fill)).value(); }

TEST(SandboxCredentialTokensTest, TokenNamesItsSandbox) {
  const std::string token = tokens().tokenFor("Abc123");
  EXPECT_TRUE(token.starts_with("ohcr1.Abc123."));
  EXPECT_EQ(tokens().sandboxOf(token), "Abc123");
  EXPECT_NE(tokens().tokenFor("Abc124"), token);
  EXPECT_EQ(tokens().tokenFor("Abc123"), token) << "derived, so re-creating a container gives the same token";
}

TEST(SandboxCredentialTokensTest, RefusesOtherKeysAndTampering) {
  const std::string token = tokens().tokenFor("Abc123");
  EXPECT_FALSE(tokens('j').sandboxOf(token));
  std::string other_id = token;
  other_id.replace(6, 6, "Abc124");
  EXPECT_FALSE(tokens().sandboxOf(other_id)) << "another sandbox's id with this sandbox's mac";
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens().sandboxOf(flipped));
}

TEST(SandboxCredentialTokensTest, RefusesMalformedTokens) {
  const std::string token = tokens().tokenFor("Abc123");
  const std::string mac = token.substr(token.size() - 43);
  for (const std::string& bad :
       {std::string(), std::string("ohcr1."), token.substr(1), token + "x", "ohcr2" + token.substr(5),
        "ohcr1..Abc123" + token.substr(12), "ohcr1.Abc-12." + mac, "ohcr1." + std::string(65, 'a') + "." + mac,
        "ohcr1.Abc123" + mac, "Bearer " + token, token + "\r\n", std::string(4096, 'a')}) {
    EXPECT_FALSE(tokens().sandboxOf(bad)) << bad;
  }
  EXPECT_FALSE(SandboxCredentialTokens::fromKey(std::string(31, 'k')));
  EXPECT_FALSE(SandboxCredentialTokens::fromKey(""));
}

}  // namespace
}  // namespace oh::control
