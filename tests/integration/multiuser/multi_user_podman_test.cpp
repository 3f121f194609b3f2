// The whole multi-user design through the real oh-gateway (issue 14, "What it must show"): two
// local accounts each get their own app server (the stand-in image) on their own network, each
// starts a conversation through it as OpenHands' UI does, and each sees only their own; user A's
// crafted requests never reach B's server (B's server's own request log says so); an idle
// server culled by the pool comes back at the next visit with its conversation; a restarted
// gateway adopts the running servers; after every container is removed (an instance
// replacement) each user's conversation resumes with its workspace. One test, in this order,
// since each step starts from the state the one before left (it runs once in CI).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "multi_user_bed.h"

namespace oh::testing {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

// The pool's floor (appserver.idle_timeout_seconds); it culls at its next housekeeping (30 s).
constexpr seconds kIdleTimeout{60};

json::value parseOrNull(const std::string& text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  return ec ? json::value() : value;
}

std::string str(const json::value& value, std::string_view name) {
  if (!value.is_object()) return {};
  const auto* field = value.as_object().if_contains(name);
  return field != nullptr && field->is_string() ? std::string(field->as_string()) : std::string();
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

struct Conversation {
  std::string id;
  std::string sandbox_id;
  std::string session_key;
};

class MultiUserPodmanTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (auto why = MultiUserBed::unavailable()) GTEST_SKIP() << *why;
    began_ = std::chrono::steady_clock::now();
    const std::string suffix = randomConversationId().substr(0, 6);
    const auto failed = bed_.start({"alice-" + suffix, "bob-" + suffix}, kIdleTimeout);
    ASSERT_EQ(failed, std::nullopt) << *failed;
    for (BedUser& user : bed_.users()) ASSERT_EQ(bed_.signIn(user), std::nullopt);
  }

  BedUser& alice() { return bed_.users()[0]; }
  BedUser& bob() { return bed_.users()[1]; }

  std::optional<RawResponse> api(BedUser& user, const std::string& method, const std::string& target,
                                 const std::string& body = {}, Headers extra = {}) {
    return user.browser->fetchJson(method, target, body, std::move(extra));
  }

  // A request until the user's server answers it (503 while the gateway starts the server).
  json::value whenServed(BedUser& user, const std::string& target) {
    json::value last;
    EXPECT_TRUE(eventually(
        [&] {
          const auto answer = api(user, "GET", target);
          if (!answer || answer->status != 200) return false;
          last = parseOrNull(answer->body);
          return true;
        },
        std::chrono::minutes(4)))
        << user.name << " " << target << "\n" << bed_.gateway().stdoutText();
    return last;
  }

  // The conversations the user's server lists (ids).
  std::set<std::string> listed(BedUser& user) {
    std::set<std::string> ids;
    const json::value page = whenServed(user, "/api/v1/app-conversations/search");
    if (page.is_object() && page.as_object().contains("items")) {
      for (const auto& item : page.at("items").as_array()) ids.insert(str(item, "id"));
    }
    return ids;
  }

  // GET /api/v1/app-conversations?ids= until the predicate holds; the last conversation seen.
  json::value conversationWhen(BedUser& user, const std::string& id, const std::function<bool(const json::value&)>& holds) {
    json::value last;
    eventually(
        [&] {
          const json::value found = whenServed(user, "/api/v1/app-conversations?ids=" + id);
          last = found.is_array() && !found.as_array().empty() ? found.as_array()[0] : json::value();
          return holds(last);
        },
        std::chrono::minutes(3));
    return last;
  }

  // POST /api/v1/app-conversations, then the start task until READY: what the UI does.
  Conversation startConversation(BedUser& user) {
    whenServed(user, "/api/v1/app-conversations/search");  // the server is up
    const auto started = api(user, "POST", "/api/v1/app-conversations", "{}");
    EXPECT_TRUE(started && started->status == 200) << (started ? started->body : "no answer");
    const std::string task_id = started ? str(parseOrNull(started->body), "id") : "";
    json::value task;
    EXPECT_TRUE(eventually(
        [&] {
          const json::value tasks = whenServed(user, "/api/v1/app-conversations/start-tasks?ids=" + task_id);
          task = tasks.is_array() && !tasks.as_array().empty() ? tasks.as_array()[0] : json::value();
          return str(task, "status") == "READY" || str(task, "status") == "ERROR";
        },
        std::chrono::minutes(3)));
    EXPECT_EQ(str(task, "status"), "READY") << json::serialize(task) << bed_.appServerLog(user);
    if (str(task, "status") != "READY") return {};
    Conversation conversation{str(task, "app_conversation_id"), str(task, "sandbox_id"), ""};
    const json::value running = conversationWhen(user, conversation.id, [](const json::value& c) {
      return str(c, "sandbox_status") == "RUNNING" && str(c, "execution_status") == "idle";
    });
    EXPECT_EQ(str(running, "sandbox_status"), "RUNNING") << json::serialize(running);
    conversation.session_key = str(running, "session_api_key");
    return conversation;
  }

  std::string sandboxContainerId(const std::string& sandbox_id) {
    return str(bed_.sandboxContainer(sandbox_id), "Id");
  }

  // The stand-in's request log lines after the first `skip` (it logs {"method","path",...}).
  static std::vector<std::string> linesAfter(const std::string& log, std::size_t skip) {
    std::vector<std::string> lines;
    std::size_t count = 0;
    for (std::size_t at = 0; at < log.size();) {
      const std::size_t end = std::min(log.find('\n', at), log.size());
      if (log.find("\"path\"", at) < end && count++ >= skip) lines.push_back(log.substr(at, end - at));
      at = end + 1;
    }
    return lines;
  }
  static std::size_t requestLines(const std::string& log) { return linesAfter(log, 0).size(); }

  // Where the time goes (printed, never asserted).
  void mark(const char* step) const {
    std::printf("[ multi-user ] %6.1f s  %s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count(), step);
    std::fflush(stdout);
  }

  MultiUserBed bed_;
  std::chrono::steady_clock::time_point began_;
};

TEST_F(MultiUserPodmanTest, TwoUsersIsolationCullRestartAndReplacement) {
  mark("bed ready, both signed in");
  // ---- 1. Each user starts a conversation through their own app server ---------------------
  // Bob first: his server's idle time (step 2) runs while Alice's conversation starts. Alice's
  // first visit starts her server meanwhile (the gateway answers 503 and starts it).
  ASSERT_TRUE(api(alice(), "GET", "/api/v1/app-conversations/search"));
  const Conversation b = startConversation(bob());
  ASSERT_FALSE(HasFailure()) << bed_.appServerLog(bob());
  EXPECT_EQ(listed(bob()), std::set<std::string>{b.id});
  const Conversation a = startConversation(alice());
  ASSERT_FALSE(HasFailure()) << bed_.appServerLog(alice());
  ASSERT_FALSE(a.id.empty());
  ASSERT_FALSE(b.id.empty());
  ASSERT_FALSE(a.session_key.empty());
  EXPECT_EQ(listed(alice()), std::set<std::string>{a.id});

  // Two servers, each on its own user's network with its own sandbox there.
  const auto servers = bed_.appServerContainers();
  ASSERT_EQ(servers.size(), 2u);
  for (BedUser* user : {&alice(), &bob()}) {
    const json::value server = bed_.appServerContainer(*user);
    const auto& networks = server.at("NetworkSettings").at("Networks").as_object();
    ASSERT_EQ(networks.size(), 1u);
    const std::string network = std::string(networks.begin()->key());
    EXPECT_TRUE(network.ends_with(user->user_key)) << network;
    const std::string sandbox = user == &alice() ? a.sandbox_id : b.sandbox_id;
    EXPECT_TRUE(bed_.sandboxContainer(sandbox).at("NetworkSettings").at("Networks").as_object().contains(network));
  }

  // Their agent-server calls went through the gateway's forward proxy (the sandbox API
  // listener, which relays only to the caller's own sandboxes), set by the pool.
  for (BedUser* user : {&alice(), &bob()}) {
    const json::value server = bed_.appServerContainer(*user);
    std::vector<std::string> env;
    for (const auto& entry : server.at("Config").at("Env").as_array()) env.emplace_back(entry.as_string());
    EXPECT_NE(std::find(env.begin(), env.end(), "HTTP_PROXY=" + bed_.sandboxApiUrl()), env.end()) << user->name;
  }
  EXPECT_GT(bed_.metric("oh_sandbox_api_requests_total{endpoint=\"agent_proxy\",code=\"200\"}"), 0);

  // Each user's workspace gets a file, written in the sandbox as the agent would.
  ASSERT_EQ(bed_.exec(sandboxContainerId(a.sandbox_id), "echo alice-notes > /workspace/notes.txt"), 0);
  ASSERT_EQ(bed_.exec(sandboxContainerId(b.sandbox_id), "echo bob-notes > /workspace/notes.txt"), 0);

  mark("conversations started");
  // ---- 1b. Alice's crafted requests never reach Bob's server -------------------------------
  const std::size_t bob_before = requestLines(bed_.appServerLog(bob()));
  const std::size_t alice_before = requestLines(bed_.appServerLog(alice()));
  const std::string bob_sandbox_host = "12000-" + lower(b.sandbox_id) + ".runtime.oh.test";
  {
    // Bob's ids in paths and queries: Alice's server answers, knowing none of them.
    const json::value by_id = whenServed(alice(), "/api/v1/app-conversations?ids=" + b.id);
    ASSERT_TRUE(by_id.is_array()) << json::serialize(by_id);
    EXPECT_TRUE(by_id.as_array().size() == 1 && by_id.as_array()[0].is_null()) << json::serialize(by_id);
    const json::value sandboxes = whenServed(alice(), "/api/v1/sandboxes?id=" + b.sandbox_id);
    EXPECT_TRUE(sandboxes.is_array() && sandboxes.as_array().size() == 1 && sandboxes.as_array()[0].is_null())
        << json::serialize(sandboxes);
    const auto resumed = api(alice(), "POST", "/api/v1/sandboxes/" + b.sandbox_id + "/resume", "{}");
    ASSERT_TRUE(resumed);
    EXPECT_EQ(resumed->status, 404) << resumed->body;
    // Forged identity headers and Bob's session key on an API call: routed by Alice's cookie.
    const auto forged = api(alice(), "GET", "/api/v1/app-conversations/search", {},
                            {{"X-Cognito-User-Id", bob().name}, {"X-Forwarded-User", bob().name},
                             {"X-Session-API-Key", a.session_key}, {"X-Forwarded-Host", "bob.oh.test"}});
    ASSERT_TRUE(forged && forged->status == 200);
    EXPECT_EQ(forged->body.find(b.id), std::string::npos) << forged->body;
    EXPECT_NE(forged->body.find(a.id), std::string::npos) << forged->body;
    // A webhook with Alice's sandbox's key naming Bob's conversation goes to Alice's server.
    const std::string report = R"({"id":")" + b.id + R"(","agent":{"llm":{"model":"stolen"}}})";
    Browser anonymous(bed_.gatewayPort(), "oh.test");
    const auto own_key = anonymous.fetchJson("POST", "/api/v1/webhooks/conversations", report,
                                             {{"X-Session-API-Key", a.session_key}});
    ASSERT_TRUE(own_key);
    EXPECT_EQ(own_key->status, 200) << own_key->body;  // her own server took it (checked below)
    // A forged key, or none, reaches no server at all.
    for (const std::string& key : {std::string("forged-key"), std::string()}) {
      Headers headers;
      if (!key.empty()) headers.push_back({"X-Session-API-Key", key});
      const auto refused = anonymous.fetchJson("POST", "/api/v1/webhooks/conversations", report, headers);
      ASSERT_TRUE(refused);
      EXPECT_EQ(refused->status, 401) << refused->body;
    }
    // A forged session cookie is no session: no server is asked.
    Browser forger(bed_.gatewayPort(), "oh.test");
    std::string cookie = alice().browser->jar()["oh_session"];
    cookie.back() = cookie.back() == 'A' ? 'B' : 'A';
    forger.jar()["oh_session"] = cookie;
    const auto forged_cookie = forger.fetchJson("GET", "/api/v1/app-conversations/search");
    ASSERT_TRUE(forged_cookie);
    EXPECT_EQ(forged_cookie->status, 401) << forged_cookie->body;
    // Bob's sandbox's runtime host with Alice's session: refused, not Bob's to open.
    Browser runtime(bed_.gatewayPort(), bob_sandbox_host);
    runtime.jar()["oh_session"] = alice().browser->jar()["oh_session"];
    const auto app = runtime.navigate("/");
    ASSERT_TRUE(app);
    EXPECT_TRUE(app->status == 403 || app->status == 401 || app->status == 302) << app->status << " " << app->body;
  }
  // Bob's server heard nothing of it (its own request log), Alice's heard the calls it answered.
  const auto bob_heard = linesAfter(bed_.appServerLog(bob()), bob_before);
  for (const std::string& line : bob_heard) ADD_FAILURE() << "Bob's server was reached: " << line;
  const std::string alice_heard = bed_.appServerLog(alice());
  EXPECT_GT(requestLines(alice_heard), alice_before);
  EXPECT_NE(alice_heard.find("/api/v1/sandboxes/" + b.sandbox_id + "/resume"), std::string::npos);
  EXPECT_NE(alice_heard.find("/api/v1/webhooks/conversations"), std::string::npos);
  // The webhook made a record of that id in Alice's own server, on her own sandbox: nothing of
  // Bob's (a stock server records what its sandboxes report, webhook_router.py).
  const json::value recorded = whenServed(alice(), "/api/v1/app-conversations?ids=" + b.id);
  ASSERT_TRUE(recorded.is_array() && recorded.as_array().size() == 1);
  if (!recorded.as_array()[0].is_null()) {
    EXPECT_EQ(str(recorded.as_array()[0], "sandbox_id"), a.sandbox_id);
  }
  const std::set<std::string> alice_list = listed(alice());
  EXPECT_TRUE(alice_list.contains(a.id));
  const std::size_t bob_after_attacks = requestLines(bed_.appServerLog(bob()));

  mark("isolation checked");
  // ---- 2. Bob's idle server is culled, and comes back at his next visit ---------------------
  const std::string bob_container = str(bed_.appServerContainer(bob()), "Id");
  ASSERT_TRUE(eventually(
      [&] {
        std::this_thread::sleep_for(seconds(2));
        api(alice(), "GET", "/api/v1/app-conversations/search");  // Alice stays active
        const json::value container = bed_.appServerContainer(bob());
        return container.is_object() && !container.at("State").at("Running").as_bool();
      },
      kIdleTimeout + std::chrono::minutes(2)))
      << bed_.admin("/appservers");
  mark("Bob's server culled");
  for (const std::string& line : linesAfter(bed_.appServerLog(bob()), bob_after_attacks)) {
    ADD_FAILURE() << "Bob's server was visited while idle: " << line;  // culled for idleness alone
  }
  EXPECT_GE(bed_.metric("oh_appserver_events_total{event=\"cull_idle\"}"), 1);
  const json::value back = conversationWhen(bob(), b.id, [](const json::value& c) { return !c.is_null(); });
  EXPECT_EQ(str(back, "id"), b.id);
  EXPECT_EQ(str(bed_.appServerContainer(bob()), "Id"), bob_container);  // the same container, started again
  EXPECT_EQ(listed(bob()), std::set<std::string>{b.id});  // and his list is his own

  mark("culled and back");
  // ---- 3. A restarted gateway adopts the running servers -----------------------------------
  std::map<std::string, std::string> ids;
  for (const auto& server : bed_.appServerContainers()) ids[str(server, "Name")] = str(server, "Id");
  ASSERT_EQ(ids.size(), 2u);
  bed_.killGateway();
  ASSERT_EQ(bed_.startGateway(), std::nullopt);
  EXPECT_EQ(listed(alice()), alice_list);  // the old cookies still sign in
  EXPECT_EQ(listed(bob()), std::set<std::string>{b.id});
  std::map<std::string, std::string> adopted;
  for (const auto& server : bed_.appServerContainers()) adopted[str(server, "Name")] = str(server, "Id");
  EXPECT_EQ(adopted, ids);  // the same containers, no second one
  EXPECT_EQ(bed_.metric("oh_appserver_events_total{event=\"adoption\"}"), 2);
  EXPECT_EQ(bed_.metric("oh_appserver_events_total{event=\"start\"}"), 0);

  mark("adopted");
  // ---- 4. Instance replacement: every container gone, the gateway restarted ----------------
  bed_.stopGateway();
  EXPECT_GE(bed_.removeEveryContainer(), 4u);  // two servers, two sandboxes
  EXPECT_TRUE(bed_.appServerContainers().empty());
  EXPECT_TRUE(bed_.sandboxContainers().empty());
  ASSERT_EQ(bed_.startGateway(), std::nullopt);
  for (auto [user, conversation, note, list] :
       {std::tuple{&alice(), a, "alice-notes", alice_list}, std::tuple{&bob(), b, "bob-notes", std::set<std::string>{b.id}}}) {
    SCOPED_TRACE(user->name);
    EXPECT_EQ(listed(*user), list);
    const json::value paused = conversationWhen(*user, conversation.id, [](const json::value& c) {
      return str(c, "sandbox_status") == "PAUSED";
    });
    ASSERT_EQ(str(paused, "sandbox_status"), "PAUSED") << json::serialize(paused);
    const auto resumed = api(*user, "POST", "/api/v1/sandboxes/" + conversation.sandbox_id + "/resume", "{}");
    ASSERT_TRUE(resumed);
    ASSERT_EQ(resumed->status, 200) << resumed->body << bed_.appServerLog(*user);
    const json::value running = conversationWhen(*user, conversation.id, [](const json::value& c) {
      return str(c, "sandbox_status") == "RUNNING" && str(c, "execution_status") == "idle";
    });
    EXPECT_EQ(str(running, "sandbox_status"), "RUNNING") << json::serialize(running) << bed_.appServerLog(*user);
    EXPECT_EQ(bed_.exec(sandboxContainerId(conversation.sandbox_id), std::string("grep -qx ") + note + " /workspace/notes.txt"), 0);
  }
  EXPECT_EQ(bed_.appServerContainers().size(), 2u);
  EXPECT_EQ(bed_.sandboxContainers().size(), 2u);
  mark("done");
}

}  // namespace
}  // namespace oh::testing
