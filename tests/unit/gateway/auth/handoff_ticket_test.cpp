#include "auth/handoff_ticket.h"

#include "common/base64.h"
#include "test_crypto.h"
#include "test_tokens.h"

#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

constexpr const char* kHost = "3000-abc123.runtime.oh.example.com";

class HandoffTicketTest : public ::testing::Test {
protected:
  test::FakeClock clock_{test::kNow};
  test::CountingRandom random_;
  ReplayCache replay_{16};
  TicketIssuer issuer_{std::string(32, 'K'), clock_, random_};
  TicketVerifier verifier_{std::string(32, 'K'), clock_, replay_};
  Identity alice_{"alice-sub", "alice@example.com", true};

  void expectRefused(std::string_view ticket, std::string_view host, TicketError code) {
    auto r = verifier_.verify(ticket, host);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code) << toString(r.error().code);
  }
};

// A fresh ticket yields the user's identity once, on its own host (case-insensitive).
TEST_F(HandoffTicketTest, VerifiesOnce) {
  const std::string t = issuer_.issue(alice_, kHost);
  auto id = verifier_.verify(t, "3000-ABC123.runtime.oh.example.com");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->sub, "alice-sub");
  EXPECT_EQ(id->email, "alice@example.com");
  EXPECT_TRUE(id->email_verified);
  expectRefused(t, kHost, TicketError::replayed);
}

// This test verifies a local account's password fingerprint travels through the ticket (so the
// runtime cookie is revoked with the main session), and that a ticket without one yields none.
TEST_F(HandoffTicketTest, CarriesAccountFingerprint) {
  Identity local = alice_;
  local.account_fingerprint = "AAAAAAAAAAAAAAAA";
  auto id = verifier_.verify(issuer_.issue(local, kHost), kHost);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->account_fingerprint, "AAAAAAAAAAAAAAAA");
  auto plain = verifier_.verify(issuer_.issue(alice_, kHost), kHost);
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->account_fingerprint.empty());
}

TEST_F(HandoffTicketTest, RefusesExpiredTicket) {
  const std::string t = issuer_.issue(alice_, kHost);
  clock_.advance(std::chrono::seconds(60));
  expectRefused(t, kHost, TicketError::expired);
}

// Bound to one runtime host: another port, conversation or the main host is refused, and a
// misbound attempt does not burn the ticket.
TEST_F(HandoffTicketTest, RefusesMisboundTicket) {
  const std::string t = issuer_.issue(alice_, kHost);
  expectRefused(t, "3001-abc123.runtime.oh.example.com", TicketError::misbound);
  expectRefused(t, "oh.example.com", TicketError::misbound);
  expectRefused(t, "", TicketError::misbound);
  EXPECT_TRUE(verifier_.verify(t, kHost));
}

// Another key, a flipped byte in payload or MAC, a payload swap: bad signature.
TEST_F(HandoffTicketTest, RefusesForgedTickets) {
  TicketIssuer other{std::string(32, 'X'), clock_, random_};
  expectRefused(other.issue(alice_, kHost), kHost, TicketError::bad_signature);
  const std::string t = issuer_.issue(alice_, kHost);
  const std::string mallory = issuer_.issue({"mallory", "m@example.com", false}, kHost);
  expectRefused(t.substr(0, t.find('.')) + mallory.substr(mallory.find('.')), kHost, TicketError::bad_signature);
  std::string flipped = t;
  flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
  expectRefused(flipped, kHost, TicketError::bad_signature);
}

TEST_F(HandoffTicketTest, RefusesMalformedTickets) {
  for (const std::string& bad : {std::string(), std::string("abc"), std::string("a.b.c"), std::string("!!.!!"),
                                std::string(5000, 'A') + ".AA", std::string(".")}) {
    auto r = verifier_.verify(bad, kHost);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().code == TicketError::malformed || r.error().code == TicketError::bad_signature) << bad;
  }
}

// The replay cache is bounded: expired ids are purged to make room; if none has expired, new
// tickets are refused (fail closed).
TEST_F(HandoffTicketTest, ReplayCacheIsBounded) {
  for (int i = 0; i < 16; ++i) {
    ASSERT_TRUE(verifier_.verify(issuer_.issue(alice_, kHost), kHost));
  }
  expectRefused(issuer_.issue(alice_, kHost), kHost, TicketError::replay_cache_full);
  clock_.advance(std::chrono::seconds(61));
  EXPECT_TRUE(verifier_.verify(issuer_.issue(alice_, kHost), kHost));
  EXPECT_EQ(replay_.size(), 1u);
}

}  // namespace
}  // namespace oh::gateway::auth
