#include "auth/cookies.h"

#include <fmt/format.h>

#include "common/text.h"

namespace oh::gateway::auth {
namespace {

// Calls f(name, value, whole_pair) for each "name=value" in a Cookie header.
template <class F>
void forEachCookie(std::string_view header, F&& f) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    const std::string_view pair = common::trimOws(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    if (pair.empty()) {
      continue;
    }
    const std::size_t eq = pair.find('=');
    const std::string_view name = common::trimOws(pair.substr(0, eq));
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : common::trimOws(pair.substr(eq + 1));
    if (!f(name, value, pair)) {
      return;
    }
  }
}

bool strippedFor(std::string_view name, CookieAudience audience) {
  if (audience == CookieAudience::openhands && (name == kSessionCookieName || name == platformCookieName(kSessionCookieName, true))) {
    return false;
  }
  for (std::string_view platform : kPlatformCookieNames) {
    if (name == platform) {
      return true;
    }
  }
  return false;
}

// True when a cookie `audience` must not see may be in the header. Runs on every forwarded
// request: one substring search for the names' common prefix, then a check of each match's
// name only, without splitting the (2-3 KB) header into pairs. A match inside a value (the
// sealed session is base64url, so it may contain "oh_") is not at a name's start.
bool mayHoldStripped(std::string_view header, CookieAudience audience) {
  constexpr std::string_view kPrefix = "oh_";
  for (std::size_t at = header.find(kPrefix); at != std::string_view::npos; at = header.find(kPrefix, at + 1)) {
    std::size_t start = at;
    if (start >= kHostCookiePrefix.size() &&
        header.substr(start - kHostCookiePrefix.size(), kHostCookiePrefix.size()) == kHostCookiePrefix) {
      start -= kHostCookiePrefix.size();
    }
    if (start > 0 && header[start - 1] != ';' && header[start - 1] != ' ' && header[start - 1] != '\t') {
      continue;
    }
    const std::string_view rest = header.substr(start);
    const std::string_view name = common::trimOws(rest.substr(0, rest.find_first_of("=;")));
    if (strippedFor(name, audience)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string buildSetCookie(std::string_view name, std::string_view value, const CookieAttributes& a) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly{}; SameSite={}", name, value,
                     a.max_age.count() < 0 ? 0 : a.max_age.count(), a.secure ? "; Secure" : "", a.same_site);
}

std::string buildClearCookie(std::string_view name, bool secure) {
  return buildSetCookie(name, "", CookieAttributes{secure, std::chrono::seconds(0)});
}

bool secureCookieFor(std::string_view scheme, std::string_view host) {
  if (scheme != "http") {
    return true;
  }
  return !(host == "localhost" || host == "127.0.0.1" || host == "[::1]");
}

std::vector<std::string_view> findCookies(std::string_view header, std::string_view name) {
  std::vector<std::string_view> found;
  forEachCookie(header, [&](std::string_view n, std::string_view v, std::string_view) {
    if (n == name) {
      found.push_back(v);
    }
    return true;
  });
  return found;
}

std::string removeCookie(std::string_view header, std::string_view name) {
  std::string out;
  forEachCookie(header, [&](std::string_view n, std::string_view, std::string_view pair) {
    if (n != name) {
      if (!out.empty()) {
        out += "; ";
      }
      out += pair;
    }
    return true;
  });
  return out;
}

std::optional<std::string> withoutPlatformCookies(std::string_view header, CookieAudience audience) {
  static_assert([] {
    for (std::size_t i = 0; i < kPlatformCookieNames.size() / 2; ++i) {
      const std::string_view base = kPlatformCookieNames[i];
      const std::string_view prefixed = kPlatformCookieNames[i + kPlatformCookieNames.size() / 2];
      if (!base.starts_with("oh_") || !prefixed.starts_with(kHostCookiePrefix) ||
          prefixed.substr(kHostCookiePrefix.size()) != base) {
        return false;
      }
    }
    return true;
  }(), "mayHoldStripped searches for the common prefix; platformCookieName pairs the two halves");
  if (!mayHoldStripped(header, audience)) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(header.size());
  forEachCookie(header, [&](std::string_view name, std::string_view, std::string_view pair) {
    if (!strippedFor(name, audience)) {
      if (!out.empty()) {
        out += "; ";
      }
      out += pair;
    }
    return true;
  });
  return out;
}

}  // namespace oh::gateway::auth
