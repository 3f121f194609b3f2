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

std::optional<std::string_view> findCookie(std::string_view header, std::string_view name) {
  std::optional<std::string_view> found;
  forEachCookie(header, [&](std::string_view n, std::string_view v, std::string_view) {
    if (n == name) {
      found = v;
      return false;
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

}  // namespace oh::gateway::auth
