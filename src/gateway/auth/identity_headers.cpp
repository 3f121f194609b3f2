#include "auth/identity_headers.h"

namespace oh::gateway::auth {
namespace {

constexpr std::string_view kPrefix = "x-cognito-";

std::string headerSafe(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char ch : v.substr(0, 512)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7f) {
      out.push_back(ch);
    }
  }
  return out;
}

}  // namespace

bool isIdentityHeaderName(std::string_view name) {
  if (name.size() < kPrefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c != kPrefix[i]) {
      return false;
    }
  }
  return true;
}

std::vector<Header> identityHeaders(const Identity& identity) {
  return {
      {"X-Cognito-User-Id", headerSafe(identity.sub)},
      {"X-Cognito-Email", headerSafe(identity.email)},
      {"X-Cognito-Email-Verified", identity.email_verified ? "true" : "false"},
  };
}

IdentityHeaderPlan planIdentityHeaders(const std::vector<Header>& incoming, const Identity& identity) {
  IdentityHeaderPlan plan;
  plan.kept.reserve(incoming.size());
  for (const Header& h : incoming) {
    if (isIdentityHeaderName(h.first)) {
      ++plan.removed;
    } else {
      plan.kept.push_back(h);
    }
  }
  plan.to_set = identityHeaders(identity);
  return plan;
}

}  // namespace oh::gateway::auth
