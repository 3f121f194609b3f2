// handleSandboxApi over the real SandboxService on in-memory fakes of the store and backend
// (service_harness.h): every endpoint, every error path, and the owner boundary (a key for user
// A never opens user B's sandbox: 404 for every call).

#include "sandbox/sandbox_api.h"

#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "sandbox/user_key.h"
#include "service_harness.h"

namespace oh::control {
namespace {

namespace json = boost::json;
using testing::eventually;
using testing::kImage;
using testing::kOwnerA;
using testing::kOwnerB;
using testing::ServiceHarness;

// The body OpenHands 1.7.0 sends to /start (remote_sandbox_service.py:482-492), compact as
// httpx 0.28 writes it.
std::string startBody(const std::string& id, const std::string& image = kImage) {
  return R"({"image":")" + image +
         R"(","command":["/usr/local/bin/openhands-agent-server","--port","60000"],"working_dir":"/workspace",)"
         R"("environment":{"LOG_JSON":"true","OH_CONVERSATIONS_PATH":"/workspace/conversations","WORKER_1":"12000"},)"
         R"("session_id":")" + id + R"(","resource_factor":1,"run_as_user":10001,"run_as_group":10001,"fs_group":10001})";
}

std::string idBody(const std::string& id) { return R"({"runtime_id":")" + id + "\"}"; }

class SandboxApiTest : public ::testing::Test {
protected:
  SandboxApiTest() : keys_(SandboxApiKeys::fromSecret(std::string(32, 's')).value()) {}

  void SetUp() override { harness_.startService(); }

  ApiResponse call(std::string_view method, std::string_view target, std::string_view body = {},
                   const std::string& owner = kOwnerA) {
    const std::string key = keys_.keyFor(owner);
    return handleSandboxApi(ApiRequest{method, target, key, body}, keys_, *harness_.service);
  }
  ApiResponse callWithKey(std::string_view method, std::string_view target, std::string_view key,
                          std::string_view body = {}) {
    return handleSandboxApi(ApiRequest{method, target, key, body}, keys_, *harness_.service);
  }

  // Starts a sandbox for the owner and waits until the reconciler has it running.
  std::string running(const std::string& owner = kOwnerA) {
    const std::string id = "sbx" + std::to_string(++counter_) + owner.substr(0, 4);
    const auto started = call("POST", "/start", startBody(id), owner);
    EXPECT_EQ(started.status, 200u) << started.body;
    EXPECT_TRUE(harness_.becomes(owner, id, "running"));
    return id;
  }

  static json::value parsed(const ApiResponse& response) { return json::parse(response.body); }
  static std::string errorOf(const ApiResponse& response) {
    return std::string(parsed(response).at("error").as_string());
  }

  ServiceHarness harness_;
  SandboxApiKeys keys_;
  int counter_ = 0;
};

// /start answers at once with starting, the session key, runtime_id = session_id; the owner
// and endpoint are reported for the access log and metrics.
TEST_F(SandboxApiTest, StartAnswersStarting) {
  const auto response = call("POST", "/start", startBody("abc123"));
  ASSERT_EQ(response.status, 200u) << response.body;
  const auto body = parsed(response);
  EXPECT_EQ(body.at("session_id").as_string(), "abc123");
  EXPECT_EQ(body.at("runtime_id").as_string(), "abc123");
  EXPECT_TRUE(body.at("status").as_string() == "starting" || body.at("status").as_string() == "running");
  EXPECT_FALSE(body.at("session_api_key").as_string().empty());
  EXPECT_EQ(response.owner, kOwnerA);
  EXPECT_EQ(response.endpoint, "start");
}

// get, batch and list in the shapes OpenHands reads; batch leaves unknown ids out and takes
// each id once; a batch of nothing is [].
TEST_F(SandboxApiTest, GetBatchList) {
  const std::string id = running();
  const auto got = call("GET", "/sessions/" + id);
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(parsed(got).at("status").as_string(), "running");
  EXPECT_EQ(parsed(got).at("url").as_string(), "https://60000-" + id + ".runtime.example.com");
  const auto batch = call("GET", "/sessions/batch?ids=" + id + "&ids=nosuch&ids=" + id + "&ids=a%2Fb");
  ASSERT_EQ(batch.status, 200u) << batch.body;
  ASSERT_EQ(parsed(batch).as_array().size(), 1u);
  EXPECT_EQ(parsed(batch).as_array()[0].at("session_id").as_string(), id);
  EXPECT_EQ(call("GET", "/sessions/batch").body, "[]");
  const auto listed = call("GET", "/list");
  ASSERT_EQ(listed.status, 200u);
  EXPECT_EQ(parsed(listed).at("runtimes").as_array().size(), 1u);
  EXPECT_EQ(listed.endpoint, "list");
}

// pause, resume, stop by runtime_id; stop then makes the id unknown.
TEST_F(SandboxApiTest, PauseResumeStop) {
  const std::string id = running();
  const auto paused = call("POST", "/pause", idBody(id));
  ASSERT_EQ(paused.status, 200u) << paused.body;
  EXPECT_TRUE(harness_.becomes(kOwnerA, id, "paused"));
  const auto resumed = call("POST", "/resume", idBody(id));
  ASSERT_EQ(resumed.status, 200u) << resumed.body;
  EXPECT_FALSE(parsed(resumed).at("session_api_key").as_string().empty());
  EXPECT_TRUE(harness_.becomes(kOwnerA, id, "running"));
  const auto stopped = call("POST", "/stop", idBody(id));
  ASSERT_EQ(stopped.status, 200u) << stopped.body;
  EXPECT_EQ(call("GET", "/sessions/" + id).status, 404u);
  EXPECT_EQ(call("POST", "/stop", idBody(id)).status, 404u);
}

// User B's key opens nothing of user A's: 404 for every call, left out of batch and list, and
// A's sandbox keeps running.
TEST_F(SandboxApiTest, AnotherOwnersKeyIs404Everywhere) {
  const std::string id = running(kOwnerA);
  for (const auto& [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/sessions/" + id, ""},
           {"POST", "/pause", idBody(id)},
           {"POST", "/resume", idBody(id)},
           {"POST", "/stop", idBody(id)}}) {
    const auto response = call(method, target, body, kOwnerB);
    EXPECT_EQ(response.status, 404u) << target << " " << response.body;
    EXPECT_EQ(response.owner, kOwnerB);
  }
  EXPECT_EQ(call("GET", "/sessions/batch?ids=" + id, {}, kOwnerB).body, "[]");
  EXPECT_EQ(call("GET", "/list", {}, kOwnerB).body, R"({"runtimes":[]})");
  EXPECT_NE(call("POST", "/start", startBody(id), kOwnerB).status, 200u);
  EXPECT_EQ(harness_.status(kOwnerA, id), "running");
}

// No key, a malformed key, a key of another secret: 401 on every path (even unknown ones),
// before the body or the route is looked at; /list's 401 still has "runtimes".
TEST_F(SandboxApiTest, MissingOrBadKeyIs401) {
  const auto other = SandboxApiKeys::fromSecret(std::string(32, 'o')).value();
  for (const std::string& key : {std::string(), std::string("x"), other.keyFor(kOwnerA), keys_.keyFor("A") }) {
    for (const char* target : {"/start", "/sessions/x", "/sessions/batch?ids=x", "/list", "/resume", "/nowhere"}) {
      const auto response = callWithKey("POST", target, key, "{");
      EXPECT_EQ(response.status, 401u) << target;
      EXPECT_TRUE(response.owner.empty());
    }
    const auto listed = callWithKey("GET", "/list", key);
    EXPECT_EQ(parsed(listed).at("runtimes").as_array().size(), 0u);
  }
  EXPECT_EQ(errorOf(callWithKey("GET", "/list", "")), "X-API-Key is required");
}

// Unknown paths 404, known paths with another method 405 with Allow, query parameters where
// none belong 400, a malformed target 400.
TEST_F(SandboxApiTest, RoutingErrors) {
  for (const char* target : {"/", "/start/", "//start", "/sessions", "/sessions/", "/sessions/a/b", "/v1/start",
                             "/START", "/sessions/batch/x"}) {
    EXPECT_EQ(call("GET", target).status, 404u) << target;
  }
  const auto wrong = call("GET", "/start");
  EXPECT_EQ(wrong.status, 405u);
  EXPECT_EQ(wrong.headers, (std::vector<std::pair<std::string, std::string>>{{"Allow", "POST"}}));
  EXPECT_EQ(call("POST", "/list").status, 405u);
  EXPECT_EQ(call("DELETE", "/sessions/x").status, 405u);
  EXPECT_EQ(call("PUT", "/start", startBody("abc")).status, 405u);
  EXPECT_EQ(call("GET", "/list?all=true").status, 400u);
  EXPECT_EQ(call("GET", "/sessions/batch?ids=a&limit=5").status, 400u);
  EXPECT_EQ(call("GET", "/sessions/x y").status, 400u);
  EXPECT_EQ(call("GET", "http://evil/list").status, 400u);
}

// Ids with path separators, dots or percent escapes name no sandbox: 404 (the service is never
// asked for them); a /start with such an id is 400.
TEST_F(SandboxApiTest, HostileIds) {
  const std::string id = running();
  for (const std::string& target :
       {"/sessions/" + id + "%2F..", std::string("/sessions/%2e%2e"), "/sessions/..%2F" + id, "/sessions/" + id + "%00",
        "/sessions/" + id + "%20", "/sessions/" + std::string(65, 'a')}) {
    EXPECT_EQ(call("GET", target).status, 404u) << target;
  }
  EXPECT_EQ(call("POST", "/pause", idBody("../" + id)).status, 404u);
  EXPECT_EQ(call("POST", "/pause", idBody(id + "/")).status, 404u);
  EXPECT_EQ(call("POST", "/start", startBody("../etc")).status, 400u);
  EXPECT_EQ(call("POST", "/start", startBody("a%2Fb")).status, 400u);
  EXPECT_EQ(harness_.status(kOwnerA, id), "running");
}

// Refused options: Docker fields by name, an image off the allow-list, sysbox, a huge resource
// factor; nothing is recorded for them.
TEST_F(SandboxApiTest, RefusedOptions) {
  for (const char* field : {"privileged", "devices", "binds", "network_mode", "volumes", "cap_add"}) {
    std::string body = startBody("refused1");
    body.insert(body.size() - 1, std::string(",\"") + field + "\":true");
    const auto response = call("POST", "/start", body);
    EXPECT_EQ(response.status, 400u) << field;
    EXPECT_NE(errorOf(response).find(field), std::string::npos) << errorOf(response);
  }
  EXPECT_EQ(call("POST", "/start", startBody("refused1", "docker.io/library/alpine")).status, 400u);
  std::string sysbox = startBody("refused1");
  sysbox.insert(sysbox.size() - 1, R"(,"runtime_class":"sysbox-runc")");
  EXPECT_EQ(call("POST", "/start", sysbox).status, 400u);
  std::string greedy = startBody("refused1");
  greedy.replace(greedy.find("\"resource_factor\":1"), 19, "\"resource_factor\":100");
  EXPECT_EQ(call("POST", "/start", greedy).status, 400u);
  EXPECT_EQ(call("GET", "/sessions/refused1").status, 404u);
}

// Malformed, oversized, badly encoded, deeply nested and duplicate-key bodies: 400 or 413.
TEST_F(SandboxApiTest, MalformedBodies) {
  EXPECT_EQ(call("POST", "/start", std::string(kMaxApiBodyBytes + 1, ' ')).status, 413u);
  for (const std::string& body : {std::string(), std::string("{"), std::string("[]"), std::string("null"),
                                  std::string("{\"image\":\"\xff\"}"), std::string(10000, '[') + std::string(10000, ']'),
                                  startBody("dup1").insert(1, "\"session_id\":\"dup2\","),
                                  std::string(R"({"image":5,"session_id":"x"})")}) {
    EXPECT_EQ(call("POST", "/start", body).status, 400u) << body.substr(0, 80);
  }
  EXPECT_EQ(call("POST", "/pause", "{}").status, 400u);
  EXPECT_EQ(call("POST", "/pause", R"({"runtime_id":["x"]})").status, 400u);
  EXPECT_EQ(call("POST", "/resume", R"({"runtime_id":"x","force":true})").status, 400u);
}

// Limits: a repeated start of one's own id answers the same sandbox (idempotent), another
// owner's id is 409, running beyond max_running_per_user 429.
TEST_F(SandboxApiTest, Limits) {
  const std::string id = running();
  const auto again = call("POST", "/start", startBody(id));
  EXPECT_EQ(again.status, 200u) << again.body;
  EXPECT_EQ(parsed(again).at("session_id").as_string(), id);
  EXPECT_EQ(call("POST", "/start", startBody(id), kOwnerB).status, 409u);
  running();
  running();
  const auto over = call("POST", "/start", startBody("fourth"));
  EXPECT_EQ(over.status, 429u) << over.body;
}

// The store down: 503 with Retry-After on every call; /list keeps "runtimes".
TEST_F(SandboxApiTest, StoreDownIs503WithRetryAfter) {
  const std::string id = running();
  harness_.store->setUnavailable(true);
  for (const auto& [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"POST", "/start", startBody("later1")},
           {"GET", "/list", ""},
           {"POST", "/pause", idBody(id)}}) {
    const auto response = call(method, target, body);
    EXPECT_EQ(response.status, 503u) << target << " " << response.body;
    EXPECT_EQ(response.headers, (std::vector<std::pair<std::string, std::string>>{{"Retry-After", "5"}})) << target;
  }
  EXPECT_EQ(parsed(call("GET", "/list")).at("runtimes").as_array().size(), 0u);
  harness_.store->setUnavailable(false);
  EXPECT_EQ(call("GET", "/list").status, 200u);
}

}  // namespace
}  // namespace oh::control
