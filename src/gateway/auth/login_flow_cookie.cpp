#include "auth/login_flow_cookie.h"

#include "common/constant_time.h"

#include <boost/json.hpp>

namespace oh::gateway::auth {

namespace json = boost::json;

std::string sealLoginFlow(const SealedBox& box, const PendingLogin& login, std::chrono::sys_seconds now,
                          common::RandomSource& random) {
  json::object o;
  o["s"] = login.state;
  o["n"] = login.nonce;
  o["v"] = login.code_verifier;
  o["r"] = login.return_path;
  o["t"] = now.time_since_epoch().count();
  return box.seal(kLoginFlowPurpose, json::serialize(o), random);
}

Result<PendingLogin> openLoginFlow(const SealedBox& box, std::string_view cookie_value, std::string_view state_param,
                                   std::chrono::sys_seconds now) {
  auto plain = box.open(kLoginFlowPurpose, cookie_value);
  if (!plain) {
    return fail(plain.error());
  }
  boost::system::error_code ec;
  json::value v = json::parse(*plain, ec);
  if (ec || !v.is_object()) {
    return failure("login flow cookie is not JSON");
  }
  const json::object& o = v.get_object();
  auto str = [&](std::string_view k) -> std::string {
    const json::value* m = o.if_contains(k);
    return m != nullptr && m->is_string() ? std::string(m->get_string()) : std::string();
  };
  const json::value* t = o.if_contains("t");
  PendingLogin login{str("s"), str("n"), str("v"), str("r")};
  if (login.state.empty() || login.nonce.empty() || login.code_verifier.empty() || t == nullptr || !t->is_int64()) {
    return failure("login flow cookie is missing fields");
  }
  const std::chrono::sys_seconds started{std::chrono::seconds(t->get_int64())};
  if (now >= started + kLoginFlowLifetime || now + std::chrono::seconds(60) < started) {
    return failure("sign-in attempt expired");
  }
  if (!common::constantTimeEqual(login.state, state_param)) {
    return failure("state mismatch");
  }
  if (login.return_path.empty()) {
    login.return_path = "/";
  }
  return login;
}

}  // namespace oh::gateway::auth
