// libFuzzer target over everything the sign-in code parses from the network or the browser:
// compact JWS tokens (parse + verify + claims), JWKS documents, token-endpoint responses,
// sealed cookies (session and login flow), hand-off tickets, return paths, Cookie headers, the
// /_callback query with its flow cookie, the runtime ticket issue (its Location names only the
// checked host) and redemption, the local login form, the users file, the cookie selection (a
// valid session among hostile copies is always found) and the platform-cookie removal
// (checked: none ever reaches an app).
// The first input byte picks the parser so one corpus exercises all of them.

#include "common/random_source.h"
#include "common/wall_clock.h"
#include "auth/cookies.h"
#include "auth/handoff_ticket.h"
#include "auth/jwt.h"
#include "auth/local_login_page.h"
#include "auth/local_users.h"
#include "auth/login_flow_cookie.h"
#include "auth/return_path.h"
#include "auth/runtime_handoff.h"
#include "auth/sign_in_flow.h"
#include "auth/session.h"
#include "auth/token_exchange.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace oh::gateway::auth;  // NOLINT: fuzz harness

// Public halves of the unit tests' rsa-1 and ec-1 fixtures (tests/unit/gateway/auth/test_keys.h).
constexpr std::string_view kJwks = R"JWKS({"keys":[{"kid":"rsa-1","kty":"RSA","n":"zwheQ7giGvET4iW9d_bIdQBDbPzXLCEGBuk_uUqHxUS9KxYUokwUT-S50gtCr5Mb-2PSZ1nPIO59Qnnt9jR4c4NTmEJ7vo-VpcsA3F4UZqTxbACispiWnQHkUEIaaUbWn0SC221XH0QYtUtPRjMluJQK3lXva6pwFkDwoCmcHnvldDQu5LkkyOeR5fcNMubX7hnSwlyi33DXFLl8sqPEW0g5y_urMmua8HnCH6zFcTS0Y9cyczOkoRGw8dMIG5yvQyDEDxZavBEbED2J2Qb2dQnltHJTpVYrwVzFY-dzYF5u2KT6O3GMk7OD0Pui4sORmQOd9b9GmrT-cheyI6QFKQ","e":"AQAB"},{"kid":"ec-1","kty":"EC","crv":"P-256","x":"iPjBGaVOSRPYSiIAz2exdTOVRk4IHvVq2H26sWwjpPA","y":"wtUSLKbd2rIP_OdnLSRuu8XCaF5VlpuNMjCnCn1xwp8"}]})JWKS";

class FixedClock final : public oh::common::WallClock {
public:
  oh::common::UnixSeconds now() const override { return oh::common::UnixSeconds(std::chrono::seconds(1764000000)); }
};

struct Fixture {
  FixedClock clock;
  StaticKeys keys{parseJwks(kJwks).value()};
  SealedBox box = SealedBox::create(std::string(32, 'A'), std::string(32, 'B')).value();
  ReplayCache replay{1000};
  TicketVerifier tickets{std::string(32, 'K'), clock, replay};
  SignInConfig sign_in = [] {
    SignInConfig c;
    c.provider = cognitoProvider({"eu-west-1", "eu-west-1_TestPool", "oh-test"}).value();
    c.client = {"test-client-id", "secret"};
    c.callback_hosts = {"oh.example.com"};
    return c;
  }();
  // The hand-off's host check, as the gateway injects it (runtime/runtime_address.h) reduced to
  // its contract: some hosts pass, rebuilt; the ticket URL must name only what it returned.
  HandoffConfig handoff{"oh.example.com", true, [](std::string_view h) -> std::optional<std::string> {
                          if (h.size() < 4 || h.size() > 64) {
                            return std::nullopt;
                          }
                          return "3000-" + std::to_string(h.size()) + "abcdefghijkl.runtime.oh.example.com";
                        }};
  TicketIssuer issuer{std::string(32, 'K'), clock, random};
  Session session = [] {
    Session s;
    s.sub = "user-1";
    return s;
  }();
  oh::common::SystemRandomSource random;
  TokenExpectations want{"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool", "test-client-id", true,
                         std::string("n-0S6_WzA2Mj"), std::chrono::seconds(60)};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture f;
  if (size == 0) {
    return 0;
  }
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 13) {
    case 0: {
      auto r = verifyIdToken(input, f.keys, f.want, f.clock.now());
      if (!r) {
        (void)describe(r.error());
      }
      break;
    }
    case 1:
      (void)parseJwks(input);
      break;
    case 2:
      (void)parseTokenResponse(200, input);
      (void)parseTokenResponse(400, input);
      break;
    case 3:
      (void)openSession(f.box, input, f.clock.now());
      break;
    case 4:
      (void)openLoginFlow(f.box, input, "state", f.clock.now());
      break;
    case 5:
      (void)f.tickets.verify(input, "3000-abc.runtime.oh.example.com");
      break;
    case 6: {
      const std::string safe = sanitizeReturnPath(input);
      if (safe.empty() || safe[0] != '/' || (safe.size() > 1 && (safe[1] == '/' || safe[1] == '\\'))) {
        __builtin_trap();  // the guard let an off-origin path through
      }
      break;
    }
    case 8: {
      // Request target, then a NUL, then the Cookie header.
      const std::size_t nul = input.find('\0');
      (void)startCallback(f.sign_in, f.box, f.clock.now(), "oh.example.com", input.substr(0, nul),
                          nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1));
      break;
    }
    case 7: {
      // The hand-off target: a ticket goes to the checked host only, never to the input's bytes.
      auto issued = handoffIssue(f.handoff, f.issuer, f.session, input);
      if (issued) {
        const std::string expected_prefix = "https://3000-";
        const std::string_view location = issued->location;
        const std::size_t host_end = location.find("/_gateway/ticket?");
        if (!location.starts_with(expected_prefix) || host_end == std::string_view::npos ||
            !location.substr(0, host_end).ends_with("abcdefghijkl.runtime.oh.example.com")) {
          __builtin_trap();
        }
      }
      break;
    }
    case 12: {
      // Cookie selection (issue 16): the input is a Cookie header into which one valid session
      // cookie is inserted at an offset the input picks. Every copy is found, in order, and the
      // valid one is among them, whatever hostile copies surround it.
      static const std::string valid = [] {
        Session s;
        s.sub = "user-1";
        s.issued_at = std::chrono::sys_seconds(std::chrono::seconds(1764000000));
        s.id_token_expires_at = s.issued_at + std::chrono::hours(1);
        s.absolute_expires_at = s.issued_at + std::chrono::hours(2);
        static oh::common::SystemRandomSource random;
        static const SealedBox box = SealedBox::create(std::string(32, 'A'), std::string(32, 'B')).value();
        return sealSession(box, s, random);
      }();
      const std::size_t at = input.empty() ? 0 : static_cast<unsigned char>(input[0]) % (input.size() + 1);
      std::string header(input.substr(0, at));
      header += "; __Host-oh_session=" + valid + "; ";
      header += input.substr(at);
      const auto copies = findCookies(header, platformCookieName(kSessionCookieName, true));
      bool opened = false;
      for (const std::string_view copy : copies) {
        opened = opened || static_cast<bool>(openSession(f.box, copy, f.clock.now()));
      }
      if (!opened) {
        __builtin_trap();
      }
      break;
    }
    case 9:
      (void)handoffRedeem(f.handoff, f.tickets, f.box, f.random, f.clock.now(), "3000-abc.runtime.oh.example.com",
                          input);
      break;
    case 10:
      (void)parseLoginForm(input);
      break;
    case 11:
      (void)parseUsersFile(input);
      break;
    default: {
      (void)findCookies(input, "oh_session");
      (void)removeCookie(input, "oh_session");
      // The invariant behind cookie isolation: whatever the header, a user's app never gets a
      // platform cookie, and OpenHands none but the session.
      for (const CookieAudience audience : {CookieAudience::user_app, CookieAudience::openhands}) {
        const auto kept = withoutPlatformCookies(input, audience);
        const std::string_view forwarded = kept ? std::string_view(*kept) : input;
        for (const std::string_view name : kPlatformCookieNames) {
          const bool allowed = audience == CookieAudience::openhands &&
                               (name == kSessionCookieName || name == platformCookieName(kSessionCookieName, true));
          if (!allowed && !findCookies(forwarded, name).empty()) {
            __builtin_trap();
          }
        }
      }
      break;
    }
  }
  return 0;
}
