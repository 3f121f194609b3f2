#include "auth/local_login_page.h"

#include "common/constant_time.h"
#include "common/text.h"
#include "auth/return_path.h"

#include <fmt/format.h>

#include <optional>

namespace oh::gateway::auth {
namespace {

constexpr std::string_view kCsrfPurpose = "oh-local-login-v1";

}  // namespace

std::string issueLoginCsrf(const SealedBox& box, common::RandomSource& random, std::chrono::sys_seconds now) {
  return box.seal(kCsrfPurpose, std::to_string(now.time_since_epoch().count()), random);
}

bool checkLoginCsrf(const SealedBox& box, std::string_view cookie_value, std::string_view form_value,
                    std::chrono::sys_seconds now) {
  if (cookie_value.empty() || !common::constantTimeEqual(cookie_value, form_value)) {
    return false;
  }
  auto issued = box.open(kCsrfPurpose, cookie_value);
  if (!issued || issued->empty() || issued->size() > 12 ||
      issued->find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const std::chrono::sys_seconds at{std::chrono::seconds(std::stoll(*issued))};
  return now >= at - std::chrono::seconds(60) && now < at + kLoginCsrfLifetime;
}

std::string renderLoginPage(const LoginPage& page) {
  const std::string error =
      page.error.empty() ? std::string() : fmt::format("<p class=\"error\" role=\"alert\">{}</p>\n", common::escapeHtml(page.error));
  return fmt::format(
      R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Sign in - OpenHands</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f4f4f5;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}}
form{{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15);width:18rem}}
h1{{font-size:1.25rem;margin:0 0 1rem}}
label{{display:block;margin:.75rem 0 .25rem;font-size:.9rem}}
input[type=text],input[type=password]{{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}}
button{{margin-top:1.25rem;width:100%;padding:.6rem;font-size:1rem}}
.error{{color:#b91c1c;font-size:.9rem}}
</style>
</head>
<body>
<form method="post" action="{action}">
<h1>Sign in</h1>
{error}<label for="username">User name</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" required value="{username}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="rd" value="{rd}">
<input type="hidden" name="csrf" value="{csrf}">
<button type="submit">Sign in</button>
</form>
</body>
</html>
)",
      fmt::arg("action", kLoginPath), fmt::arg("error", error), fmt::arg("username", common::escapeHtml(page.username)),
      fmt::arg("rd", common::escapeHtml(sanitizeReturnPath(page.return_path))), fmt::arg("csrf", common::escapeHtml(page.csrf)));
}

Session localAccountSession(std::string_view username, std::chrono::sys_seconds now, std::chrono::seconds lifetime) {
  Session s;
  s.sub = std::string(username);
  s.email = username.find('@') != std::string_view::npos ? std::string(username) : std::string();
  s.email_verified = false;
  s.issued_at = now;
  s.absolute_expires_at = now + lifetime;
  s.id_token_expires_at = s.absolute_expires_at;
  return s;
}

Result<LoginForm> parseLoginForm(std::string_view body) {
  if (body.size() > kMaxLoginFormBytes) {
    return failure("login form too large");
  }
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<std::string> rd;
  std::optional<std::string> csrf;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    auto value = common::percentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), /*plus_as_space=*/true);
    if (!value) {
      return failure("login form has a malformed escape");
    }
    std::optional<std::string>* slot = key == "username" ? &username
                                       : key == "password" ? &password
                                       : key == "rd"       ? &rd
                                       : key == "csrf"     ? &csrf
                                                           : nullptr;
    if (slot == nullptr) {
      continue;
    }
    if (slot->has_value()) {
      return failure("login form repeats a field");
    }
    *slot = std::move(*value);
  }
  if (!username || !password || !csrf || username->empty() || password->empty()) {
    return failure("login form is missing fields");
  }
  return LoginForm{std::move(*username), std::move(*password), sanitizeReturnPath(rd.value_or("/")),
                   std::move(*csrf)};
}

}  // namespace oh::gateway::auth
