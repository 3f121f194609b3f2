#pragma once
// The local-accounts login page (/_gateway/login): the HTML (self-contained: inline CSS, no
// script, no external assets), the POST body parser, and login CSRF protection by double
// submit: a sealed, short-lived token is set as a cookie and embedded in the form; the POST must
// carry both, equal, and younger than kLoginCsrfLifetime.

#include "common/random_source.h"
#include "auth/cookies.h"
#include "auth/result.h"
#include "auth/sealed_box.h"
#include "auth/session.h"

#include <chrono>
#include <string>
#include <string_view>

namespace oh::gateway::auth {

constexpr std::string_view kLoginPath = "/_gateway/login";
// kLoginCsrfCookieName: auth/cookies.h, with the other platform cookie names.
constexpr std::chrono::seconds kLoginCsrfLifetime{600};
constexpr std::size_t kMaxLoginFormBytes = 8 * 1024;

std::string issueLoginCsrf(const SealedBox& box, common::RandomSource& random, std::chrono::sys_seconds now);
bool checkLoginCsrf(const SealedBox& box, std::string_view cookie_value, std::string_view form_value,
                    std::chrono::sys_seconds now);

struct LoginPage {
  std::string csrf;         // issueLoginCsrf(...)
  std::string return_path;  // sanitised again when rendered
  std::string username;     // echoed back after a failure
  std::string error;        // "" or a short message (e.g. "Wrong user name or password.")
};

// text/html; charset=utf-8. Every dynamic value is HTML-escaped.
std::string renderLoginPage(const LoginPage& page);

struct LoginForm {
  std::string username;
  std::string password;
  std::string return_path;  // sanitised
  std::string csrf;
};

// application/x-www-form-urlencoded with fields username, password, rd, csrf (each at most once).
Result<LoginForm> parseLoginForm(std::string_view body);

// The session of a signed-in local account: sub = the user name (what X-Cognito-User-Id carries),
// email = the name when it looks like an address (not verified), no refresh token, valid until
// the absolute end.
Session localAccountSession(std::string_view username, std::chrono::sys_seconds now,
                            std::chrono::seconds lifetime = kSessionLifetime);

}  // namespace oh::gateway::auth
