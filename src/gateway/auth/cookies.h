#pragma once
// Cookie headers: building our Set-Cookie values (RFC 6265 section 4.1) and reading or
// removing our cookies from a request's Cookie header. Pure string functions.

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oh::gateway::auth {

// The platform cookies' base names: the names on plain http (local mode).
constexpr std::string_view kSessionCookieName = "oh_session";
constexpr std::string_view kLoginFlowCookieName = "oh_login";
constexpr std::string_view kRuntimeCookieName = "oh_runtime";
constexpr std::string_view kLoginCsrfCookieName = "oh_login_csrf";

// Over HTTPS every platform cookie is named "__Host-" + base name. Browsers accept such a cookie
// only with Secure, Path=/ and no Domain, set by the host itself: a runtime host (a subdomain of
// the main host, running a user's scripts) can neither set nor shadow the main host's cookies,
// nor another runtime host's. Plain http cannot have the prefix (it requires Secure), so local
// mode keeps the base names and relies on every copy being tried (findCookies).
constexpr std::string_view kHostCookiePrefix = "__Host-";

// Every cookie the gateway itself sets, under both names: the one list of platform cookie
// names. Add a new gateway cookie here and no upstream will ever receive it (withoutPlatformCookies).
constexpr std::array<std::string_view, 8> kPlatformCookieNames{
    kSessionCookieName,   kLoginFlowCookieName,   kRuntimeCookieName,   kLoginCsrfCookieName,
    "__Host-oh_session", "__Host-oh_login", "__Host-oh_runtime", "__Host-oh_login_csrf"};

// The name a platform cookie (given by its base name) has on the wire: with the __Host- prefix
// when cookies are Secure (HTTPS), else the base name.
constexpr std::string_view platformCookieName(std::string_view base_name, bool secure) {
  constexpr std::size_t kBases = kPlatformCookieNames.size() / 2;
  for (std::size_t i = 0; i < kBases; ++i) {
    if (kPlatformCookieNames[i] == base_name) {
      return secure ? kPlatformCookieNames[i + kBases] : kPlatformCookieNames[i];
    }
  }
  return base_name;  // not a platform cookie: unchanged
}
// oauth2-proxy's figure: most browsers cap a cookie (name + value + attributes) at 4096 bytes.
constexpr std::size_t kMaxCookieBytes = 4000;

struct CookieAttributes {
  bool secure = true;  // off only for http://localhost (secureCookieFor)
  std::chrono::seconds max_age{0};
  std::string_view same_site = "Lax";
};

// name=value; Path=/; Max-Age=N; HttpOnly; Secure; SameSite=Lax. Host-only: never a Domain.
std::string buildSetCookie(std::string_view name, std::string_view value, const CookieAttributes& attributes);
// Deletes the cookie (empty value, Max-Age=0), with the same attributes so browsers match it.
std::string buildClearCookie(std::string_view name, bool secure);

// Secure is dropped only for plain-http development on localhost (browsers treat
// http://localhost as a secure context, but some refuse Secure cookies over http).
bool secureCookieFor(std::string_view scheme, std::string_view host_without_port);

// The values of every `name` cookie in a Cookie header value, in the order sent. A browser
// sends several when other hosts of the site (or paths) set the same name: the caller tries each
// and never lets the first, possibly planted, copy decide alone.
std::vector<std::string_view> findCookies(std::string_view cookie_header, std::string_view name);

// The Cookie header without any `name` cookie (every occurrence); "" if nothing remains.
std::string removeCookie(std::string_view cookie_header, std::string_view name);

// Who receives a forwarded request's Cookie header.
enum class CookieAudience {
  // The OpenHands app: keeps the session cookie (HttpOnly, and the app cannot misuse it), loses the rest.
  openhands,
  // A user's app (untrusted code, or an agent server): loses every platform cookie.
  user_app,
};

// The Cookie header without the platform cookies `audience` must not see (every occurrence);
// nullopt when none of them is present, so the common case leaves the header untouched and
// allocates nothing; "" when nothing remains. Names match exactly ("my_oh_login" stays).
std::optional<std::string> withoutPlatformCookies(std::string_view cookie_header, CookieAudience audience);

}  // namespace oh::gateway::auth
