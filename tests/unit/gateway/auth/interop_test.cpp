// Cross-implementation checks: the seeds in fuzz/corpus/jwt/ were produced by an independent
// implementation (Python `cryptography`: RSA PKCS#1 v1.5, ECDSA P-256, AES-GCM, HMAC) from the
// same fixture keys. Our verifier and openers must accept them byte for byte, which pins the
// wire formats (JWS, ES256 r||s, sealed-box layout and key id, ticket MAC input).

#include "auth/handoff_ticket.h"
#include "auth/jwt.h"
#include "auth/login_flow_cookie.h"
#include "auth/session.h"

#include "test_crypto.h"
#include "test_tokens.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace oh::gateway::auth {
namespace {

// A corpus seed without its first byte (the fuzzer's parser selector).
std::string seed(const char* name) {
  std::ifstream in(std::string(OH_JWT_CORPUS_DIR) + "/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  const std::string data = s.str();
  return data.empty() ? data : data.substr(1);
}

const std::chrono::sys_seconds kT0{std::chrono::seconds(test::kNow)};

TEST(InteropTest, TokensFromAnotherImplementationVerify) {
  StaticKeys keys(parseJwks(seed("jwks")).value());
  TokenExpectations want{test::kIssuer, test::kClientId, true, std::string("n-0S6_WzA2Mj"), std::chrono::seconds(60)};
  for (const char* name : {"token_rs256", "token_es256"}) {
    auto r = verifyIdToken(seed(name), keys, want, kT0);
    ASSERT_TRUE(r) << name << ": " << describe(r.error());
    EXPECT_EQ(r->sub, "5f1c0a2e-user");
  }
  EXPECT_EQ(verifyIdToken(seed("token_expired"), keys, want, kT0).error().code, JwtError::expired);
  EXPECT_EQ(verifyIdToken(seed("token_alg_none"), keys, want, kT0).error().code, JwtError::alg_none);
}

TEST(InteropTest, SealedValuesFromAnotherImplementationOpen) {
  const SealedBox box = SealedBox::create(std::string(32, 'A'), std::string(32, 'B')).value();
  auto session = openSession(box, seed("session"), kT0);
  ASSERT_TRUE(session) << session.error().reason;
  EXPECT_EQ(session->sub, "u");
  EXPECT_EQ(session->refresh_token, std::string(100, 'r'));
  auto flow = openLoginFlow(box, seed("login_flow"), "state", kT0);
  ASSERT_TRUE(flow) << flow.error().reason;
  EXPECT_EQ(flow->return_path, "/x");
}

TEST(InteropTest, TicketFromAnotherImplementationVerifies) {
  test::FakeClock clock(test::kNow);
  ReplayCache replay;
  TicketVerifier verifier(std::string(32, 'K'), clock, replay);
  auto id = verifier.verify(seed("ticket"), "3000-abc.runtime.oh.example.com");
  ASSERT_TRUE(id) << toString(id.error().code);
  EXPECT_EQ(id->email, "a@example.com");
}

}  // namespace
}  // namespace oh::gateway::auth
