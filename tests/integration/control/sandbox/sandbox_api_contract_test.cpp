// The remote sandbox API against real Podman containers, through the real oh-gateway, sending
// exactly what OpenHands 1.7.0's RemoteSandboxService sends (remote_sandbox_caller.h), once
// with SQLite and once with PostgreSQL as the store.

#include <cctype>
#include <signal.h>

#include <set>
#include <thread>

#include <boost/json/serialize.hpp>

#include "sandbox_contract_fixture.h"

namespace oh::testing {
namespace {

namespace json = boost::json;

std::string str(const json::value& value, std::string_view key) {
  if (!value.is_object() || !value.as_object().contains(key) || !value.at(key).is_string()) {
    return {};
  }
  return std::string(value.at(key).as_string());
}

std::vector<std::string> envOf(const json::value& inspected) {
  std::vector<std::string> env;
  for (const auto& entry : inspected.at("Config").at("Env").as_array()) {
    env.emplace_back(entry.as_string());
  }
  return env;
}

std::string envValue(const json::value& inspected, const std::string& name) {
  for (const std::string& entry : envOf(inspected)) {
    if (entry.rfind(name + "=", 0) == 0) {
      return entry.substr(name.size() + 1);
    }
  }
  return {};
}

// A call to the agent server stand-in in the container (its bridge address, port 60000), with
// the session key as the app server sends it (X-Session-API-Key, SDK dependencies.py:11).
ApiAnswer agentCall(const std::string& ip, const std::string& method, const std::string& path,
                    const std::string& session_key, const std::string& body = {}) {
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + ip + ":60000\r\nConnection: close\r\n";
  if (!session_key.empty()) {
    request += "X-Session-API-Key: " + session_key + "\r\n";
  }
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return tcpRequest(ip, 60000, request);
}

class SandboxApiContract : public SandboxContractTest {
protected:
  // Starts a sandbox and waits until it runs; its id and session key.
  std::pair<std::string, std::string> startRunning(const SandboxUser& user) {
    const std::string id = randomSandboxId();
    const auto started = caller(user).start(openHandsStartBody(id, PodmanService::image()));
    EXPECT_EQ(started.status, 200) << started.body;
    const auto running = waitForStatus(user, id, "running");
    EXPECT_EQ(str(running.json, "status"), "running") << running.body;
    return {id, str(running.json, "session_api_key")};
  }

  // The running container's address, once its agent server answers /alive.
  std::string agentAddress(const std::string& id) {
    const auto containers = containersOf(id);
    if (containers.size() != 1) {
      ADD_FAILURE() << containers.size() << " containers for " << id;
      return {};
    }
    const std::string ip = addressOf(containers.front());
    EXPECT_TRUE(eventually([&] { return tcpGet(ip, 60000, "/alive").status == 200; })) << ip;
    return ip;
  }
};

// /start answers within OpenHands' 15 s timeout with a status it accepts (starting, running or
// paused: live_status_app_conversation_service.py:801-811), a session key, and runtime_id =
// session_id; polled as the app server polls, it becomes running, with url
// {scheme}://{port}-{id}.{suffix} (the runtime host grammar), and the container carries our
// labels, limits, network, workspace mount, user and keys, and no published port or privilege.
TEST_P(SandboxApiContract, StartGivesARunningContainerAsSpecified) {
  const SandboxUser alice = newUser();
  const std::string id = randomSandboxId();
  const auto started = caller(alice).start(openHandsStartBody(id, PodmanService::image()));
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_TRUE(str(started.json, "status") == "starting" || str(started.json, "status") == "running") << started.body;
  EXPECT_EQ(str(started.json, "session_id"), id);
  EXPECT_EQ(str(started.json, "runtime_id"), id);
  const std::string session_key = str(started.json, "session_api_key");
  ASSERT_GE(session_key.size(), 32u) << started.body;

  const auto running = waitForStatus(alice, id, "running");
  ASSERT_EQ(str(running.json, "status"), "running") << running.body;
  // The url's host is the id lowercased: host names are case-insensitive.
  std::string lower_id = id;
  for (char& c : lower_id) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  EXPECT_EQ(str(running.json, "url"), "http://60000-" + lower_id + ".runtime.oh.test");
  EXPECT_EQ(str(running.json, "session_api_key"), session_key);

  const auto containers = containersOf(id);
  ASSERT_EQ(containers.size(), 1u);
  const json::value& c = containers.front();
  const auto& labels = c.at("Config").at("Labels").as_object();
  EXPECT_FALSE(labels.at("org.openhands.managed").as_string().empty());
  EXPECT_EQ(labels.at("org.openhands.sandbox-id").as_string(), id);
  EXPECT_EQ(labels.at("org.openhands.owner").as_string(), alice.user_key);
  const auto& host = c.at("HostConfig").as_object();
  EXPECT_EQ(host.at("NanoCpus").to_number<std::int64_t>(), 500'000'000);
  EXPECT_EQ(host.at("Memory").to_number<std::int64_t>(), 256 * 1024 * 1024);
  EXPECT_EQ(host.at("PidsLimit").to_number<std::int64_t>(), 128);
  EXPECT_FALSE(host.at("Privileged").as_bool());
  if (host.contains("PortBindings") && host.at("PortBindings").is_object()) {
    EXPECT_TRUE(host.at("PortBindings").as_object().empty()) << json::serialize(host.at("PortBindings"));
  }
  const auto& networks = c.at("NetworkSettings").at("Networks").as_object();
  ASSERT_EQ(networks.size(), 1u);
  EXPECT_EQ(networks.begin()->key(), "oh-user-" + alice.user_key);
  bool workspace_mounted = false;
  for (const auto& mount : c.at("Mounts").as_array()) {
    if (mount.at("Destination").as_string() == "/workspace") {
      workspace_mounted = true;
      EXPECT_EQ(std::string(mount.at("Source").as_string()), workspaceRoot() + "/" + alice.user_key + "/" + id);
    } else {
      ADD_FAILURE() << "unexpected mount " << json::serialize(mount);
    }
  }
  EXPECT_TRUE(workspace_mounted);
  EXPECT_EQ(c.at("Config").at("User").as_string(), "10001:10001");
  EXPECT_EQ(envValue(c, "OH_SESSION_API_KEYS_0"), session_key);
  EXPECT_GE(envValue(c, "OH_SECRET_KEY").size(), 32u);
  EXPECT_NE(envValue(c, "OH_SECRET_KEY"), session_key);
  EXPECT_EQ(envValue(c, "OH_CONVERSATIONS_PATH"), "/workspace/conversations");

  // The agent server answers /alive without a key and /api only with the session key.
  const std::string ip = addressOf(c);
  ASSERT_FALSE(ip.empty());
  ASSERT_TRUE(eventually([&] { return tcpGet(ip, 60000, "/alive").status == 200; }));
  EXPECT_EQ(tcpGet(ip, 60000, "/alive").body, R"({"status":"ok"})");
  EXPECT_EQ(tcpGet(ip, 60000, "/api/standin/workspace/x").status, 401);
}

// get, batch and list have the shapes the app server reads: one runtime; a list matched on
// session_id with unknown ids left out (:234-266); {"runtimes": [...]} (:634-641).
TEST_P(SandboxApiContract, GetBatchListShapes) {
  const SandboxUser alice = newUser();
  const auto [id, key] = startRunning(alice);
  const auto got = caller(alice).get(id);
  ASSERT_EQ(got.status, 200);
  for (const char* field : {"session_id", "runtime_id", "status", "url", "session_api_key"}) {
    EXPECT_TRUE(got.json.as_object().contains(field)) << field << " in " << got.body;
  }
  const auto batch = caller(alice).batch({id, randomSandboxId()});
  ASSERT_EQ(batch.status, 200) << batch.body;
  ASSERT_TRUE(batch.json.is_array()) << batch.body;
  ASSERT_EQ(batch.json.as_array().size(), 1u);
  EXPECT_EQ(str(batch.json.as_array()[0], "session_id"), id);
  const auto listed = caller(alice).list();
  ASSERT_EQ(listed.status, 200);
  ASSERT_TRUE(listed.json.at("runtimes").is_array()) << listed.body;
  ASSERT_EQ(listed.json.at("runtimes").as_array().size(), 1u);
  EXPECT_EQ(str(listed.json.at("runtimes").as_array()[0], "session_id"), id);
  EXPECT_EQ(caller(newUser()).list().body, R"({"runtimes":[]})");
}

// pause stops the container and keeps everything; resume starts it again with the same key,
// and a file written to /workspace before is still there.
TEST_P(SandboxApiContract, PauseThenResume) {
  const SandboxUser alice = newUser();
  const auto [id, key] = startRunning(alice);
  const std::string ip = agentAddress(id);
  ASSERT_EQ(agentCall(ip, "PUT", "/api/standin/workspace/note", key, "kept").status, 200);
  EXPECT_EQ(agentCall(ip, "PUT", "/api/standin/workspace/note", "wrong", "x").status, 401);

  const auto paused = caller(alice).pause(id);
  ASSERT_EQ(paused.status, 200) << paused.body;
  ASSERT_EQ(str(waitForStatus(alice, id, "paused").json, "status"), "paused");
  // Paused is reported once the stop is decided; the container follows within the grace.
  EXPECT_TRUE(eventually([&] {
    auto containers = containersOf(id);
    return containers.size() == 1 && !containers.front().at("State").at("Running").as_bool();
  }));

  const auto resumed = caller(alice).resume(id);
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(str(resumed.json, "session_api_key"), key);
  ASSERT_EQ(str(waitForStatus(alice, id, "running").json, "status"), "running");
  const std::string again = agentAddress(id);
  const auto note = agentCall(again, "GET", "/api/standin/workspace/note", key);
  EXPECT_EQ(note.status, 200);
  EXPECT_EQ(note.body, "kept");
}

// An instance replacement: every container gone and the gateway restarted. get and batch report the
// sandbox paused (the UI then resumes it natively); resume re-creates it with the same id,
// session key and OH_SECRET_KEY, and the workspace file written before is still there.
TEST_P(SandboxApiContract, SurvivesInstanceReplacement) {
  const SandboxUser alice = newUser();
  const auto [id, key] = startRunning(alice);
  const std::string ip = agentAddress(id);
  ASSERT_EQ(agentCall(ip, "PUT", "/api/standin/workspace/survivor", key, "still here").status, 200);
  const std::string secret = envValue(containersOf(id).front(), "OH_SECRET_KEY");

  stopGateway();
  for (const auto& container : containersOf(id)) {
    podman_->api("DELETE", "/containers/" + std::string(container.at("Id").as_string()) + "?force=true");
  }
  ASSERT_TRUE(containersOf(id).empty());
  startGateway();

  // Paused where the app server reads each sandbox (get, batch); /list gives its
  // pause_old_sandboxes the active ones only (docs/sandboxes.md).
  ASSERT_EQ(str(waitForStatus(alice, id, "paused").json, "status"), "paused");
  const auto batch = caller(alice).batch({id});
  ASSERT_EQ(batch.json.as_array().size(), 1u) << batch.body;
  EXPECT_EQ(str(batch.json.as_array()[0], "status"), "paused");
  EXPECT_EQ(caller(alice).list().body, R"({"runtimes":[]})");

  const auto resumed = caller(alice).resume(id);
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(str(resumed.json, "session_api_key"), key);
  ASSERT_EQ(str(waitForStatus(alice, id, "running").json, "status"), "running");
  const auto containers = containersOf(id);
  ASSERT_EQ(containers.size(), 1u);
  EXPECT_EQ(envValue(containers.front(), "OH_SESSION_API_KEYS_0"), key);
  EXPECT_EQ(envValue(containers.front(), "OH_SECRET_KEY"), secret);
  const auto note = agentCall(agentAddress(id), "GET", "/api/standin/workspace/survivor", key);
  EXPECT_EQ(note.status, 200);
  EXPECT_EQ(note.body, "still here");
}

// Two resumes of a missing sandbox at once give one container.
TEST_P(SandboxApiContract, ConcurrentResumesGiveOneContainer) {
  const SandboxUser alice = newUser();
  const auto [id, key] = startRunning(alice);
  stopGateway();
  for (const auto& container : containersOf(id)) {
    podman_->api("DELETE", "/containers/" + std::string(container.at("Id").as_string()) + "?force=true");
  }
  startGateway();
  SandboxApiReply first, second;
  std::thread a([&] { first = caller(alice).resume(id); });
  std::thread b([&] { second = caller(alice).resume(id); });
  a.join();
  b.join();
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(second.status, 200) << second.body;
  ASSERT_EQ(str(waitForStatus(alice, id, "running").json, "status"), "running");
  EXPECT_EQ(containersOf(id).size(), 1u);
}

// Another user's key opens nothing of alice's: every call is 404 (batch and list leave the
// sandbox out; a start with the same id is refused), and alice's sandbox is untouched.
TEST_P(SandboxApiContract, AnotherUsersKeyGets404) {
  const SandboxUser alice = newUser();
  const SandboxUser bob = newUser();
  const auto [id, key] = startRunning(alice);
  const auto as_bob = caller(bob);
  EXPECT_EQ(as_bob.get(id).status, 404);
  EXPECT_EQ(as_bob.pause(id).status, 404);
  EXPECT_EQ(as_bob.resume(id).status, 404);
  EXPECT_EQ(as_bob.stop(id).status, 404);
  const auto batch = as_bob.batch({id});
  EXPECT_EQ(batch.status, 200);
  EXPECT_EQ(batch.body, "[]");
  EXPECT_EQ(as_bob.list().body, R"({"runtimes":[]})");
  const auto stolen = as_bob.start(openHandsStartBody(id, PodmanService::image()));
  EXPECT_NE(stolen.status, 200) << stolen.body;
  EXPECT_EQ(stolen.body.find(key), std::string::npos);
  const auto still = caller(alice).get(id);
  EXPECT_EQ(str(still.json, "status"), "running");
  EXPECT_EQ(containersOf(id).size(), 1u);
  EXPECT_TRUE(containersOf(id).front().at("State").at("Running").as_bool());
}

// No key, a malformed key, a key from another secret, or a key whose user part was swapped:
// 401 on every endpoint, and nothing is created.
TEST_P(SandboxApiContract, MissingOrBadKeyIs401) {
  const SandboxUser alice = newUser();
  const SandboxUser bob = newUser();
  std::string swapped = alice.api_key;
  swapped.replace(6, 32, bob.user_key);
  const std::string id = randomSandboxId();
  const std::string start_body = json::serialize(openHandsStartBody(id, PodmanService::image()));
  const std::string id_body = json::serialize(json::object{{"runtime_id", id}});
  for (const auto& [key, with_key] : std::vector<std::pair<std::string, bool>>{
           {"", false}, {"", true}, {"not-a-key", true}, {swapped, true},
           {"ohsb1_" + alice.user_key + "_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", true}}) {
    const auto api = callerWithKey(key);
    EXPECT_EQ(api.send("POST", "/start", start_body, with_key).status, 401) << key;
    EXPECT_EQ(api.send("GET", "/sessions/" + id, std::nullopt, with_key).status, 401);
    EXPECT_EQ(api.send("GET", "/sessions/batch?ids=" + id, std::nullopt, with_key).status, 401);
    const auto listed = api.send("GET", "/list", std::nullopt, with_key);
    EXPECT_EQ(listed.status, 401);
    EXPECT_TRUE(listed.json.at("runtimes").as_array().empty()) << listed.body;
    for (const char* path : {"/resume", "/pause", "/stop"}) {
      EXPECT_EQ(api.send("POST", path, id_body, with_key).status, 401) << path;
    }
  }
  EXPECT_TRUE(containersOf(id).empty());
  EXPECT_EQ(caller(alice).get(id).status, 404);
}

// Every privileged option is refused (400, naming it) and creates nothing: Docker options in
// the body, an image outside the allow-list, sysbox, a resource factor above the limit.
TEST_P(SandboxApiContract, RefusedOptionsAreRefused) {
  const SandboxUser alice = newUser();
  const std::string id = randomSandboxId();
  for (const auto& [field, value] : std::vector<std::pair<std::string, json::value>>{
           {"privileged", true},
           {"devices", json::array{"/dev/kmsg"}},
           {"binds", json::array{"/:/host"}},
           {"volumes", json::object{{"/var/run/docker.sock", json::object{}}}},
           {"network_mode", "host"},
           {"cap_add", json::array{"SYS_ADMIN"}},
           {"mounts", json::array{json::object{{"Source", "/"}, {"Target", "/host"}}}},
           {"security_opt", json::array{"seccomp=unconfined"}}}) {
    auto body = openHandsStartBody(id, PodmanService::image());
    body[field] = value;
    const auto refused = caller(alice).start(body);
    EXPECT_EQ(refused.status, 400) << field;
    EXPECT_NE(str(refused.json, "error").find(field), std::string::npos) << refused.body;
  }
  auto other_image = openHandsStartBody(id, "docker.io/library/alpine:latest");
  EXPECT_EQ(caller(alice).start(other_image).status, 400);
  auto sysbox = openHandsStartBody(id, PodmanService::image());
  sysbox["runtime_class"] = "sysbox-runc";  // what OpenHands sends with RUNTIME_CLASS=sysbox (:494-496)
  EXPECT_EQ(caller(alice).start(sysbox).status, 400);
  auto greedy = openHandsStartBody(id, PodmanService::image());
  greedy["resource_factor"] = 1000;
  EXPECT_EQ(caller(alice).start(greedy).status, 400);
  auto traversal = openHandsStartBody("..", PodmanService::image());
  EXPECT_EQ(caller(alice).start(traversal).status, 400);
  EXPECT_TRUE(containersOf(id).empty());
  EXPECT_EQ(caller(alice).get(id).status, 404);
}

// Hostile targets and bodies through the real listener: ids with path separators or percent
// escapes find nothing, an oversized body is 413, malformed JSON 400, a wrong method 405.
TEST_P(SandboxApiContract, HostileRequests) {
  const SandboxUser alice = newUser();
  const auto [id, key] = startRunning(alice);
  const auto api = caller(alice);
  for (const std::string& target : {"/sessions/" + id + "/../" + id, "/sessions/%2e%2e%2f" + id,
                                    "/sessions/" + id + "%2F", std::string("/sessions/../list"), "//sessions/" + id}) {
    const auto reply = api.send("GET", target, std::nullopt);
    EXPECT_EQ(reply.status, 404) << target << " " << reply.body;
    EXPECT_EQ(reply.body.find(key), std::string::npos);
  }
  EXPECT_EQ(api.send("POST", "/start", std::string(2 * 1024 * 1024, ' ')).status, 413);
  EXPECT_EQ(api.send("POST", "/start", std::string("{\"image\":")).status, 400);
  EXPECT_EQ(api.send("POST", "/pause", std::string("{\"runtime_id\":\"a\",\"runtime_id\":\"") + id + "\"}").status, 400);
  EXPECT_EQ(api.send("DELETE", "/sessions/" + id, std::nullopt).status, 405);
  EXPECT_EQ(api.send("GET", "/start", std::nullopt).status, 405);
  EXPECT_EQ(str(api.get(id).json, "status"), "running");
}

// stop removes the container and the record: the sandbox is then unknown (404), as OpenHands
// expects after delete_sandbox (:595-619); a second stop is 404, which it tolerates.
TEST_P(SandboxApiContract, StopRemovesContainerAndRecord) {
  const SandboxUser alice = newUser();
  const auto [id, key] = startRunning(alice);
  const auto stopped = caller(alice).stop(id);
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_TRUE(eventually([&] { return containersOf(id).empty(); }));
  EXPECT_EQ(caller(alice).get(id).status, 404);
  EXPECT_EQ(caller(alice).stop(id).status, 404);
  EXPECT_EQ(caller(alice).list().body, R"({"runtimes":[]})");
}

// A gateway killed with SIGKILL right after accepting a start (the create under way on its
// reconciler) leaves no orphan: after the next start every container of ours has a record, and
// the sandbox ends up running exactly once.
TEST_P(SandboxApiContract, KilledDuringCreateLeavesNoOrphan) {
  const SandboxUser alice = newUser();
  const std::string id = randomSandboxId();
  ASSERT_EQ(caller(alice).start(openHandsStartBody(id, PodmanService::image())).status, 200);
  ASSERT_TRUE(gateway_->signal(SIGKILL));
  gateway_->waitForExit(std::chrono::seconds(10));
  startGateway();
  // "starting" until the new process has looked at the sandbox; then running (the killed one's
  // create had finished) or paused (it had not: nothing is brought up without a resume).
  std::string status;
  EXPECT_TRUE(eventually([&] {
    status = str(caller(alice).get(id).json, "status");
    return status == "running" || status == "paused";
  }, std::chrono::seconds(120))) << status;
  if (status == "paused") {
    ASSERT_EQ(caller(alice).resume(id).status, 200);
  }
  ASSERT_EQ(str(waitForStatus(alice, id, "running").json, "status"), "running");
  EXPECT_EQ(containersOf(id).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Store, SandboxApiContract, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql), storeName);

}  // namespace
}  // namespace oh::testing
