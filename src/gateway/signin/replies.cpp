#include "signin/replies.h"

#include <fmt/format.h>

#include "auth/challenge.h"
#include "common/text.h"

namespace oh::gateway::signin {
namespace {

void addCookies(ErrorReply& reply, const std::vector<std::string>& set_cookies) {
  for (const std::string& cookie : set_cookies) {
    reply.headers.emplace_back("Set-Cookie", cookie);
  }
}

ErrorReply base(unsigned status, std::string content_type, std::string body) {
  ErrorReply reply;
  reply.status = status;
  reply.content_type = std::move(content_type);
  reply.body = std::move(body);
  reply.headers.emplace_back("Cache-Control", "no-store");
  return reply;
}

}  // namespace

ErrorReply redirectReply(std::string location, const std::vector<std::string>& set_cookies) {
  ErrorReply reply = base(302, "", "");
  reply.headers.emplace_back("Location", std::move(location));
  addCookies(reply, set_cookies);
  return reply;
}

ErrorReply htmlReply(unsigned status, std::string html, const std::vector<std::string>& set_cookies) {
  ErrorReply reply = base(status, "text/html; charset=utf-8", std::move(html));
  // The page has no script and loads nothing: forbid both, and framing (clickjacking).
  reply.headers.emplace_back("Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
  reply.headers.emplace_back("X-Frame-Options", "DENY");
  addCookies(reply, set_cookies);
  return reply;
}

ErrorReply pageReply(unsigned status, std::string_view title, std::string_view message,
                     const std::vector<std::string>& set_cookies) {
  return htmlReply(status,
                   fmt::format("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                               "<title>{0}</title></head><body style=\"font-family:sans-serif;margin:3em\">"
                               "<h1>{0}</h1><p>{1}</p><p><a href=\"/\">Back to the start page</a></p></body></html>\n",
                               common::escapeHtml(title), common::escapeHtml(message)),
                   set_cookies);
}

ErrorReply unauthorizedJsonReply(std::string_view sign_in_url, const std::vector<std::string>& set_cookies) {
  ErrorReply reply = base(401, "application/json", auth::unauthorizedJsonBody(sign_in_url));
  addCookies(reply, set_cookies);
  return reply;
}

ErrorReply tooManyAttemptsReply(std::chrono::seconds retry_after) {
  ErrorReply reply = pageReply(429, "Too many attempts",
                               "Too many failed sign-in attempts. Wait a moment, then try again.");
  reply.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return reply;
}

ErrorReply signInUnavailableReply(bool json, std::chrono::seconds retry_after,
                                  const std::vector<std::string>& set_cookies) {
  ErrorReply reply =
      json ? base(503, "application/json",
                  R"({"error":"sign_in_unavailable","message":"The sign-in provider cannot be reached yet. Retry later."})")
           : pageReply(503, "Sign-in unavailable",
                       "The sign-in provider cannot be reached yet. This page will work again in a moment.");
  reply.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  addCookies(reply, set_cookies);
  return reply;
}

}  // namespace oh::gateway::signin
