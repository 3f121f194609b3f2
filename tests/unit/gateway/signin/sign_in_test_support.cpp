#include "sign_in_test_support.h"

#include <cstdlib>
#include <fstream>

#include <boost/json.hpp>
#include <boost/url.hpp>
#include <gtest/gtest.h>

#include "auth/local_users.h"

namespace oh::gateway::signin_test {

namespace json = boost::json;

std::string FakeIdp::idToken(bool with_nonce) const {
  if (id_token_override) {
    return id_token_override();
  }
  const std::string header = R"({"alg":")" + std::string(signing_key == auth::test::TestKey::ec1 ? "ES256" : "RS256") +
                             R"(","kid":")" + signing_kid + R"("})";
  return auth::test::signJwt(header, claimsJson(with_nonce), signing_key);
}

std::string FakeIdp::claimsJson(bool with_nonce) const {
  json::object p;
  p["iss"] = kIssuer;
  p["aud"] = kClientId;
  p["sub"] = sub;
  p["email"] = sub + "@example.test";
  p["email_verified"] = true;
  p["token_use"] = "id";
  const std::int64_t now = clock_.now().time_since_epoch().count();
  p["iat"] = now;
  p["exp"] = now + id_token_ttl;
  if (with_nonce) {
    p["nonce"] = nonce;
  }
  return json::serialize(p);
}

std::size_t FakeIdp::count(std::string_view url_part) const {
  std::size_t n = 0;
  for (const OutboundRequest& r : seen) {
    n += r.url.find(url_part) != std::string::npos ? 1u : 0u;
  }
  return n;
}

OutboundResult FakeIdp::answer(const OutboundRequest& request) {
  if (down) {
    return std::string("connect: connection refused");
  }
  const std::string base(kIssuer);
  if (request.url == base + "/.well-known/openid-configuration") {
    json::object d;
    d["issuer"] = discovery_issuer;
    d["authorization_endpoint"] = base + "/auth";
    d["token_endpoint"] = base + "/token";
    d["jwks_uri"] = base + "/jwks";
    d["end_session_endpoint"] = base + "/session/end";
    return OutboundResponse{200, "application/json", json::serialize(d)};
  }
  if (request.url == base + "/jwks") {
    return OutboundResponse{200, "application/json", auth::test::jwksJson(jwks)};
  }
  if (request.url == base + "/token" && request.method == "POST") {
    json::object t;
    const bool refresh = request.body.find("grant_type=refresh_token") != std::string::npos;
    if (refresh && refuse_refresh) {
      return OutboundResponse{400, "application/json", R"({"error":"invalid_grant"})"};
    }
    t["id_token"] = idToken(!refresh);
    t["access_token"] = "access-token-value";
    t["token_type"] = "Bearer";
    t["expires_in"] = id_token_ttl;
    if (!refresh) {
      t["refresh_token"] = refresh_token;
    }
    return OutboundResponse{200, "application/json", json::serialize(t)};
  }
  return OutboundResponse{404, "text/plain", "not found"};
}

void FakeIdp::releaseAll() {
  auto pending = std::move(held);
  held.clear();
  for (auto& [request, done] : pending) {
    done(answer(request));
  }
}

void FakeClient::send(OutboundRequest request, std::function<void(OutboundResult)> done) {
  idp_->seen.push_back(request);
  if (idp_->hold) {
    idp_->held.emplace_back(std::move(request), std::move(done));
    return;
  }
  done(idp_->answer(request));
}

Files::Files() {
  char pattern[] = "/tmp/oh-signin-test-XXXXXX";
  dir_ = ::mkdtemp(pattern);
  write("cookie.key", std::string(64, 'a'), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  write("cookie-old.key", std::string(64, 'b'), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  write("ticket.key", std::string(64, 'c'), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  write("client.secret", std::string(kClientSecret) + "\n",
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto added = auth::addUser(path("users"), "alice", kPassword, auth::PasswordHashParams::minimumForTests());
  EXPECT_TRUE(added) << (added ? "" : added.error().reason);
}

Files::~Files() { std::filesystem::remove_all(dir_); }

void Files::write(const std::string& name, const std::string& contents, std::filesystem::perms perms) const {
  std::ofstream(dir_ / name, std::ios::binary | std::ios::trunc) << contents;
  std::filesystem::permissions(dir_ / name, perms);
}

std::string header(const ErrorReply& reply, std::string_view name) {
  for (const auto& [n, v] : reply.headers) {
    if (n == name) {
      return v;
    }
  }
  return {};
}

std::vector<std::string> setCookies(const ErrorReply& reply) {
  std::vector<std::string> out;
  for (const auto& [n, v] : reply.headers) {
    if (n == "Set-Cookie") {
      out.push_back(v);
    }
  }
  return out;
}

std::string cookiePair(const std::vector<std::string>& set_cookies, std::string_view name) {
  for (const std::string& line : set_cookies) {
    const std::string prefix = std::string(name) + "=";
    if (line.starts_with(prefix)) {
      const std::string pair = line.substr(0, line.find(';'));
      return pair.size() == prefix.size() ? std::string() : pair;
    }
  }
  return {};
}

std::string cookiePair(const ErrorReply& reply, std::string_view name) { return cookiePair(setCookies(reply), name); }

std::string urlParam(std::string_view url, std::string_view name) {
  auto parsed = boost::urls::parse_uri_reference(url);
  if (!parsed) {
    return {};
  }
  auto it = parsed->params().find(name);
  return it == parsed->params().end() ? std::string() : std::string((*it).value);
}

GateRequest TestRequest::view() const {
  GateRequest r;
  r.method = method;
  r.target = target;
  r.host = host;
  r.cookie = cookie;
  r.accept = accept;
  r.sec_fetch_mode = sec_fetch_mode;
  r.x_requested_with = x_requested_with;
  r.client_ip = client_ip;
  r.websocket = websocket;
  if (body) {
    r.body = std::string_view(*body);
  }
  return r;
}

std::optional<AuthOutcome> run(SignIn& sign_in, const TestRequest& request, HostRole role, bool allow_anonymous,
                               std::shared_ptr<std::optional<AuthOutcome>> pending) {
  if (!pending) {
    pending = std::make_shared<std::optional<AuthOutcome>>();
  }
  sign_in.authenticate(request.view(), role, allow_anonymous, [pending](AuthOutcome outcome) {
    EXPECT_FALSE(pending->has_value()) << "Done called twice";
    *pending = std::move(outcome);
  });
  return *pending;
}

}  // namespace oh::gateway::signin_test
