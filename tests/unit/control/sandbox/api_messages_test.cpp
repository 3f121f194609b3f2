#include "sandbox/api_messages.h"

#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace oh::control {
namespace {

namespace json = boost::json;

// The body OpenHands 1.7.0 sends to POST /start, field for field
// (openhands/app_server/sandbox/remote_sandbox_service.py:482-492; the environment as
// remote_sandbox_spec_service.py and :268-287 build it, trimmed).
constexpr const char* kOpenHandsStart = R"({
  "image": "ghcr.io/openhands/agent-server:1.20.1-python",
  "command": ["/usr/local/bin/openhands-agent-server", "--port", "60000"],
  "working_dir": "/workspace",
  "environment": {"OPENVSCODE_SERVER_ROOT": "/openhands/.openvscode-server", "LOG_JSON": "true",
                  "OH_CONVERSATIONS_PATH": "/workspace/conversations", "OH_VSCODE_PORT": "60001",
                  "WORKER_1": "12000", "WORKER_2": "12001"},
  "session_id": "3kTcVq1xW7bYz0Lp9Rm2Ab",
  "resource_factor": 1,
  "run_as_user": 10001,
  "run_as_group": 10001,
  "fs_group": 10001
})";

std::string withField(const std::string& name, const std::string& json_value) {
  std::string body = kOpenHandsStart;
  body.insert(body.rfind('}'), ", \"" + name + "\": " + json_value);
  return body;
}

std::string replaced(std::string body, const std::string& from, const std::string& to) {
  body.replace(body.find(from), from.size(), to);
  return body;
}

void expectRefused(const std::string& body, const std::string& message_part) {
  auto request = parseStartRequest(body);
  ASSERT_FALSE(request) << body.substr(0, 200);
  EXPECT_EQ(request.error().status, 400u);
  EXPECT_NE(request.error().message.find(message_part), std::string::npos) << request.error().message;
}

// Exactly what OpenHands sends is read into the request, the environment in its order.
TEST(ParseStartRequest, ReadsOpenHandsBody) {
  auto request = parseStartRequest(kOpenHandsStart);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->session_id, "3kTcVq1xW7bYz0Lp9Rm2Ab");
  EXPECT_EQ(request->spec.image, "ghcr.io/openhands/agent-server:1.20.1-python");
  EXPECT_EQ(request->spec.command,
            (std::vector<std::string>{"/usr/local/bin/openhands-agent-server", "--port", "60000"}));
  EXPECT_EQ(request->spec.working_dir, "/workspace");
  ASSERT_EQ(request->spec.environment.size(), 6u);
  EXPECT_EQ(request->spec.environment[0], (std::pair<std::string, std::string>{"OPENVSCODE_SERVER_ROOT", "/openhands/.openvscode-server"}));
  EXPECT_EQ(request->spec.environment[5], (std::pair<std::string, std::string>{"WORKER_2", "12001"}));
  EXPECT_EQ(request->spec.resource_factor, 1.0);
  EXPECT_EQ(request->spec.run_as_user, 10001u);
  EXPECT_EQ(request->spec.run_as_group, 10001u);
  EXPECT_EQ(request->spec.fs_group, 10001u);
  EXPECT_EQ(request->runtime_class, "");
}

// The optional forms OpenHands can send: runtime_class with sysbox (:494-496), a spec without a
// command (SandboxSpecInfo.command is `list[str] | None`), a fractional factor.
TEST(ParseStartRequest, ReadsOptionalForms) {
  auto sysbox = parseStartRequest(withField("runtime_class", "\"sysbox-runc\""));
  ASSERT_TRUE(sysbox);
  EXPECT_EQ(sysbox->runtime_class, "sysbox-runc");  // passed on: the service refuses it
  auto no_command = parseStartRequest(replaced(kOpenHandsStart, R"(["/usr/local/bin/openhands-agent-server", "--port", "60000"])", "null"));
  ASSERT_TRUE(no_command);
  EXPECT_TRUE(no_command->spec.command.empty());
  auto half = parseStartRequest(replaced(kOpenHandsStart, "\"resource_factor\": 1", "\"resource_factor\": 0.5"));
  ASSERT_TRUE(half);
  EXPECT_EQ(half->spec.resource_factor, 0.5);
  auto minimal = parseStartRequest(R"({"image":"i","session_id":"abc"})");
  ASSERT_TRUE(minimal);
  EXPECT_EQ(minimal->spec.resource_factor, 1.0);
  EXPECT_FALSE(minimal->spec.run_as_user);
}

// Docker options, however privileged they look, are unknown fields: refused by name.
TEST(ParseStartRequest, RefusesEveryFieldOutsideTheContract) {
  for (const char* name : {"privileged", "devices", "binds", "network_mode", "volumes", "cap_add", "mounts",
                           "security_opt", "pid_mode", "ipc_mode", "userns_mode", "host_config", "ports",
                           "labels", "user", "runtime", "Image", "session_id "}) {
    expectRefused(withField(name, "true"), std::string("unknown field '") + name + "'");
  }
}

// Every field's type is checked, with the field named.
TEST(ParseStartRequest, RefusesWrongTypes) {
  expectRefused(replaced(kOpenHandsStart, "\"image\": \"ghcr.io/openhands/agent-server:1.20.1-python\"", "\"image\": 5"), "image: must be a string");
  expectRefused(replaced(kOpenHandsStart, "\"working_dir\": \"/workspace\"", "\"working_dir\": [\"/\"]"), "working_dir");
  expectRefused(replaced(kOpenHandsStart, "\"resource_factor\": 1", "\"resource_factor\": \"1\""), "resource_factor");
  expectRefused(replaced(kOpenHandsStart, "\"resource_factor\": 1", "\"resource_factor\": true"), "resource_factor");
  expectRefused(replaced(kOpenHandsStart, "\"resource_factor\": 1", "\"resource_factor\": 0"), "resource_factor");
  expectRefused(replaced(kOpenHandsStart, "\"resource_factor\": 1", "\"resource_factor\": -2"), "resource_factor");
  expectRefused(replaced(kOpenHandsStart, "\"resource_factor\": 1", "\"resource_factor\": 1e400"), "resource_factor");  // infinity
  expectRefused(replaced(kOpenHandsStart, "\"run_as_user\": 10001", "\"run_as_user\": -1"), "run_as_user");
  expectRefused(replaced(kOpenHandsStart, "\"run_as_user\": 10001", "\"run_as_user\": 4294967296"), "run_as_user");
  expectRefused(replaced(kOpenHandsStart, "\"run_as_group\": 10001", "\"run_as_group\": 1.5"), "run_as_group");
  expectRefused(replaced(kOpenHandsStart, "\"fs_group\": 10001", "\"fs_group\": \"10001\""), "fs_group");
  expectRefused(replaced(kOpenHandsStart, "\"--port\"", "7"), "command");
  expectRefused(replaced(kOpenHandsStart, R"(["/usr/local/bin/openhands-agent-server", "--port", "60000"])", "\"sh -c x\""), "command");
  expectRefused(replaced(kOpenHandsStart, "\"LOG_JSON\": \"true\"", "\"LOG_JSON\": true"), "environment.LOG_JSON");
  expectRefused(replaced(kOpenHandsStart, "\"LOG_JSON\": \"true\"", "\"LOG_JSON\": null"), "environment.LOG_JSON");
  expectRefused(replaced(kOpenHandsStart, "\"LOG_JSON\"", "\"A=B\""), "environment");
  expectRefused(replaced(kOpenHandsStart, "\"LOG_JSON\"", "\"\""), "environment");
  expectRefused(withField("runtime_class", "7"), "runtime_class");
}

// Strings that would reach argv or the environment never carry NUL.
TEST(ParseStartRequest, RefusesNul) {
  expectRefused(replaced(kOpenHandsStart, "\"--port\"", "\"--po\\u0000rt\""), "NUL");
  expectRefused(replaced(kOpenHandsStart, "\"LOG_JSON\": \"true\"", "\"LOG_JSON\": \"tr\\u0000ue\""), "NUL");
  expectRefused(replaced(kOpenHandsStart, "\"LOG_JSON\"", "\"LOG\\u0000JSON\""), "NUL");
}

// session_id and image are required; a session id that could not be a host label or a
// container name (path separators, dots, percent signs, too long) is refused.
TEST(ParseStartRequest, RefusesMissingOrHostileIds) {
  expectRefused(R"({"session_id":"abc"})", "image: required");
  expectRefused(R"({"image":"","session_id":"abc"})", "image: required");
  expectRefused(R"({"image":"i"})", "session_id: required");
  for (const char* id : {"", "a/b", "..", "a%2Fb", "a.b", "a-b", "a b", "\\u00e9t\\u00e9", "a\\nb", "ABC/../x"}) {
    expectRefused(std::string(R"({"image":"i","session_id":")") + id + "\"}", "session_id");
  }
  expectRefused(std::string(R"({"image":"i","session_id":")") + std::string(65, 'a') + "\"}", "session_id");
  EXPECT_TRUE(parseStartRequest(std::string(R"({"image":"i","session_id":")") + std::string(64, 'a') + "\"}"));
}

// Malformed bodies: not JSON, not an object, duplicate keys (which value would we use?), bad
// UTF-8, deep nesting.
TEST(ParseStartRequest, RefusesMalformedBodies) {
  expectRefused("", "JSON object");
  expectRefused("[]", "JSON object");
  expectRefused("\"x\"", "JSON object");
  expectRefused("{", "malformed JSON");
  expectRefused(std::string(kOpenHandsStart) + "{}", "malformed JSON");
  expectRefused(withField("image", "\"other\""), "duplicate key \"image\"");
  expectRefused(replaced(kOpenHandsStart, "\"WORKER_2\"", "\"WORKER_1\""), "duplicate key \"WORKER_1\"");
  expectRefused(replaced(kOpenHandsStart, "\"/workspace\"", "\"/work\xff\""), "malformed JSON");
  expectRefused(replaced(kOpenHandsStart, "\"true\"", "\"\xed\xa0\x80\""), "malformed JSON");  // a surrogate
  expectRefused(replaced(kOpenHandsStart, "\"12001\"", "{\"a\":[1]}"), "malformed JSON");       // depth 4
  expectRefused(std::string(100000, '[') + std::string(100000, ']'), "malformed JSON");
}

// An unknown field's name is echoed cut to 64 bytes, as valid UTF-8.
TEST(ParseStartRequest, EchoedNameIsCut) {
  const std::string name = std::string(63, 'p') + "\xc3\xa9" + std::string(1000, 'p');
  auto request = parseStartRequest(withField(name, "1"));
  ASSERT_FALSE(request);
  EXPECT_NE(request.error().message.find("'" + std::string(63, 'p') + "'"), std::string::npos);
  EXPECT_LT(request.error().message.size(), 300u);
}

// The {"runtime_id"} body of /resume, /pause and /stop: exactly one string field.
TEST(ParseRuntimeIdBody, ReadsOnlyRuntimeId) {
  auto id = parseRuntimeIdBody(R"({"runtime_id": "3kTcVq1xW7bYz0Lp9Rm2Ab"})");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "3kTcVq1xW7bYz0Lp9Rm2Ab");
  for (const char* body : {"", "{}", "[]", "null", R"({"runtime_id": 5})", R"({"runtime_id": null})",
                           R"({"runtime_id": "a", "runtime_id": "b"})", R"({"runtime_id": "a", "force": true})",
                           R"({"session_id": "a"})", "{\"runtime_id\": \"\xff\"}"}) {
    auto parsed = parseRuntimeIdBody(body);
    ASSERT_FALSE(parsed) << body;
    EXPECT_EQ(parsed.error().status, 400u);
  }
}

// Replies carry the names OpenHands reads (:137-189): session_api_key always, url null when
// there is none; batch is a bare list; list is {"runtimes": [...]}, also when it fails.
TEST(RenderSandbox, FieldsOpenHandsReads) {
  SandboxView view{"abc", "abc", "running", "https://60000-abc.runtime.oh.test", "key"};
  EXPECT_EQ(json::parse(renderSandbox(view)),
            json::parse(R"({"session_id":"abc","runtime_id":"abc","status":"running",
                            "url":"https://60000-abc.runtime.oh.test","session_api_key":"key"})"));
  SandboxView paused{"abc", "abc", "paused", "", "key"};
  EXPECT_TRUE(json::parse(renderSandbox(paused)).at("url").is_null());
  EXPECT_EQ(json::parse(renderSandboxArray({view, paused})).as_array().size(), 2u);
  EXPECT_EQ(renderSandboxArray({}), "[]");
  EXPECT_EQ(json::parse(renderSandboxList({paused})).at("runtimes").as_array().size(), 1u);
  EXPECT_EQ(renderSandboxList({}), R"({"runtimes":[]})");
  EXPECT_EQ(json::parse(renderListError("down")), json::parse(R"({"error":"down","runtimes":[]})"));
  EXPECT_EQ(json::parse(renderError("a \"quoted\"\n")), json::parse(R"({"error":"a \"quoted\"\n"})"));
}

}  // namespace
}  // namespace oh::control
