// The stand-in's handlers with hostile and malformed input, in process over a real SQLite
// database in a temporary persistence directory; the sandbox API is a closed port, so every
// answer here comes from the stand-in itself (the integration test has the real peers).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "app_server.h"
#include "database.h"
#include "remote_sandbox_service.h"
#include "server.h"

namespace oh::appserver_standin {
namespace {

namespace json = boost::json;

class StandinHandlersTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "oh-appserver-standin-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    config_.persistence_dir = dir_.string();
    config_.sandbox_api_url = "http://127.0.0.1:1";
    config_.sandbox_api_key = "api-key";
    config_.httpx_timeout_seconds = 2;
    open();
  }
  void TearDown() override {
    if (app_) app_->conversations().joinStarts();
    app_.reset();
    database_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  void open() {
    if (app_) app_->conversations().joinStarts();
    app_.reset();
    auto database = openDatabase(config_);
    ASSERT_TRUE(database) << database.error().reason;
    database_ = std::move(database.value());
    auto migrated = migrate(*database_);
    ASSERT_TRUE(migrated) << migrated.error().reason;
    app_ = std::make_unique<AppServer>(config_, *database_, ProxySettings{});
  }

  Response call(const std::string& method, const std::string& target, const std::string& body = {},
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::string head = method + " " + target + " HTTP/1.1\r\nHost: app";
    for (const auto& [name, value] : headers) head += "\r\n" + name + ": " + value;
    auto parsed = parseRequestHead(head);
    EXPECT_TRUE(parsed.request) << parsed.reason;
    Request request = std::move(*parsed.request);
    request.body = body;
    return app_->handle(request);
  }
  static json::value bodyOf(const Response& response) { return json::parse(response.body); }

  std::filesystem::path dir_;
  AppConfig config_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<AppServer> app_;
};

TEST_F(StandinHandlersTest, HealthRoutes) {
  EXPECT_EQ(call("GET", "/alive").body, R"({"status":"ok"})");
  EXPECT_EQ(call("GET", "/health").body, R"("OK")");
  EXPECT_EQ(call("POST", "/alive").status, 405);
  EXPECT_EQ(call("GET", "/nope").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/nope").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/settingsx").status, 404);
}

TEST_F(StandinHandlersTest, StartRefusesMalformedBodiesWith422) {
  const std::string deep = std::string(1000, '[') + std::string(1000, ']');
  for (const std::string& body : {std::string(), std::string("{"), std::string("[]"), std::string("\"x\""), deep,
                                  std::string(R"({"sandbox_id": 5})"), std::string(R"({"conversation_id": "nope"})"),
                                  std::string(R"({"parent_conversation_id": 7})"), std::string("{\"a\":\"\xff\"}")}) {
    const Response response = call("POST", "/api/v1/app-conversations", body);
    EXPECT_EQ(response.status, 422) << body.substr(0, 40);
    EXPECT_TRUE(bodyOf(response).at("detail").is_array()) << response.body;
  }
  // Nothing was recorded by the refused starts.
  auto tasks = database_->run("SELECT COUNT(*) FROM app_conversation_start_task");
  ASSERT_TRUE(tasks);
  EXPECT_EQ(tasks->front().front(), "0");
}

TEST_F(StandinHandlersTest, AStartWhoseSandboxApiIsDownEndsInError) {
  const Response started = call("POST", "/api/v1/app-conversations", "{}");
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string id(bodyOf(started).at("id").as_string());
  EXPECT_EQ(bodyOf(started).at("status"), "WORKING");
  app_->conversations().joinStarts();
  const Response polled = call("GET", "/api/v1/app-conversations/start-tasks?ids=" + id);
  ASSERT_EQ(polled.status, 200);
  const auto task = bodyOf(polled).at(0);
  EXPECT_EQ(task.at("status"), "ERROR");
  EXPECT_NE(std::string(task.at("detail").as_string()).find("/list"), std::string::npos) << polled.body;
  EXPECT_EQ(call("GET", "/api/v1/app-conversations/start-tasks?ids=" + std::string(32, 'a')).body, "[null]");
  EXPECT_EQ(call("GET", "/api/v1/app-conversations/start-tasks?ids=zz").status, 422);
  EXPECT_EQ(call("GET", "/api/v1/app-conversations/start-tasks").status, 422);
}

TEST_F(StandinHandlersTest, BatchGetValidatesIds) {
  EXPECT_EQ(call("GET", "/api/v1/app-conversations").status, 422);
  EXPECT_EQ(call("GET", "/api/v1/app-conversations?ids=not-a-uuid").status, 400);
  std::string many;
  for (int i = 0; i < 100; ++i) many += "&ids=" + std::string(32, 'b');
  EXPECT_EQ(call("GET", "/api/v1/app-conversations?" + many.substr(1)).status, 400);
  const Response unknown = call("GET", "/api/v1/app-conversations?ids=" + std::string(32, 'c'));
  EXPECT_EQ(unknown.status, 200);
  EXPECT_EQ(unknown.body, "[null]");
}

TEST_F(StandinHandlersTest, SearchValidatesItsQuery) {
  for (const char* query : {"limit=0", "limit=101", "limit=abc", "limit=", "include_sub_conversations=maybe"}) {
    EXPECT_EQ(call("GET", std::string("/api/v1/app-conversations/search?") + query).status, 422) << query;
  }
  const Response empty = call("GET", "/api/v1/app-conversations/search?limit=5&page_id=garbage");
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, R"({"items":[],"next_page_id":null})");
}

TEST_F(StandinHandlersTest, SandboxRoutes) {
  EXPECT_EQ(call("GET", "/api/v1/sandboxes").status, 422);
  std::string many;
  for (int i = 0; i < 101; ++i) many += "&id=s" + std::to_string(i);
  EXPECT_EQ(call("GET", "/api/v1/sandboxes?" + many.substr(1)).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/sandboxes?id=unknown").body, "[null]");
  EXPECT_EQ(call("POST", "/api/v1/sandboxes/unknown/pause").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/sandboxes/unknown/pause").status, 405);
  EXPECT_EQ(call("POST", "/api/v1/sandboxes/unknown/delete").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/sandboxes/search?limit=1000").status, 422);
}

TEST_F(StandinHandlersTest, SettingsPersistInThePersistenceDirectory) {
  EXPECT_EQ(call("GET", "/api/v1/settings").status, 404);
  for (const char* body : {"", "[1]", "{", "null"}) EXPECT_EQ(call("POST", "/api/v1/settings", body).status, 422) << body;
  const Response legacy = call("POST", "/api/v1/settings", R"({"agent_settings":{}})");
  EXPECT_EQ(legacy.status, 422);
  EXPECT_EQ(bodyOf(legacy).at("keys"), json::array{"agent_settings"});
  EXPECT_EQ(call("POST", "/api/v1/settings", "{\"agent_settings_diff\":5}").status, 500);

  ASSERT_EQ(call("POST", "/api/v1/settings", R"({"llm_model":"m1","agent_settings_diff":{"llm":{"model":"m1","a":1}}})").status, 200);
  ASSERT_EQ(call("POST", "/api/v1/settings", R"({"language":"fr","agent_settings_diff":{"llm":{"a":2}}})").status, 200);
  open();  // a restart: a new process would read the same file
  const Response loaded = call("GET", "/api/v1/settings");
  ASSERT_EQ(loaded.status, 200);
  const auto settings = bodyOf(loaded);
  EXPECT_EQ(settings.at("llm_model"), "m1");
  EXPECT_EQ(settings.at("language"), "fr");
  EXPECT_EQ(settings.at("agent_settings").at("llm"), (json::object{{"model", "m1"}, {"a", 2}}));
  EXPECT_EQ(settings.at("v1_enabled"), true);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "settings.json"));
}

TEST_F(StandinHandlersTest, WebhooksCheckTheSessionKeyAgainstTheStoredHash) {
  const std::string conversation = "11111111-2222-4333-8444-555555555555";
  const std::string report = R"({"id":")" + conversation + R"(","agent":{"llm":{"model":"m2"}}})";
  EXPECT_EQ(call("POST", "/api/v1/webhooks/conversations", report).status, 401);
  EXPECT_EQ(call("POST", "/api/v1/webhooks/conversations", report, {{"X-Session-API-Key", "wrong"}}).status, 401);
  ASSERT_TRUE(database_->run("INSERT INTO v1_remote_sandbox (id, sandbox_spec_id, created_at, session_api_key_hash) "
                             "VALUES ('sb1', 'img', $1, $2)",
                             {nowTimestamp(), hashSessionApiKey("session-key")}));
  const std::vector<std::pair<std::string, std::string>> key{{"X-Session-API-Key", "session-key"}};
  EXPECT_EQ(call("GET", "/api/v1/webhooks/conversations", report, key).status, 405);
  EXPECT_EQ(call("POST", "/api/v1/webhooks/conversations", "{", key).status, 422);
  EXPECT_EQ(call("POST", "/api/v1/webhooks/conversations", R"({"id":"x"})", key).status, 422);
  EXPECT_EQ(call("POST", "/api/v1/webhooks/events/not-a-uuid", "[]", key).status, 422);
  EXPECT_EQ(call("POST", "/api/v1/webhooks/events/" + conversation, "{}", key).status, 422);
  EXPECT_EQ(call("POST", "/api/v1/webhooks/events/" + conversation, "[]", key).status, 200);
  const Response recorded = call("POST", "/api/v1/webhooks/conversations", report, key);
  ASSERT_EQ(recorded.status, 200) << recorded.body;
  EXPECT_EQ(recorded.body, R"({"success":true})");
  auto stored = database_->run("SELECT sandbox_id, llm_model, title FROM conversation_metadata WHERE conversation_id = $1",
                               {conversation});
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front(), (SqlRow{"sb1", "m2", "Conversation 11111111222243338444555555555555"}));
  // Listing needs the sandbox API's batch answer: an error there propagates (RSS:234-256).
  EXPECT_EQ(call("GET", "/api/v1/app-conversations?ids=" + conversation).status, 500);
  // A paused sandbox's key (hash cleared) no longer passes.
  ASSERT_TRUE(database_->run("UPDATE v1_remote_sandbox SET session_api_key_hash = NULL"));
  EXPECT_EQ(call("POST", "/api/v1/webhooks/conversations", report, key).status, 401);
}

TEST_F(StandinHandlersTest, SessionApiKeyGuardsTheUiRoutersOnly) {
  config_.session_api_key = "ui-key";
  open();
  EXPECT_EQ(call("GET", "/api/v1/settings").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/settings", {}, {{"X-Session-API-Key", "bad"}}).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/settings", {}, {{"X-Session-API-Key", "ui-key"}}).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/sandboxes?id=a").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/app-conversations/search").status, 401);
  EXPECT_EQ(call("GET", "/alive").status, 200);
  EXPECT_EQ(call("POST", "/api/v1/webhooks/conversations", "{}").status, 401);  // its own key check
}

TEST_F(StandinHandlersTest, CorsFollowsThePermittedOrigins) {
  auto response = call("GET", "/alive", {}, {{"Origin", "https://anything.example"}});
  EXPECT_NE(std::find(response.headers.begin(), response.headers.end(),
                      std::make_pair(std::string("access-control-allow-origin"), std::string("https://anything.example"))),
            response.headers.end());
  config_.permitted_cors_origins = {"https://oh.example"};
  open();
  response = call("GET", "/alive", {}, {{"Origin", "https://evil.example"}});
  for (const auto& [name, value] : response.headers) EXPECT_NE(name, "access-control-allow-origin");
  EXPECT_EQ(call("OPTIONS", "/api/v1/settings", {}, {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}}).status, 400);
  EXPECT_EQ(call("OPTIONS", "/api/v1/settings", {}, {{"Origin", "https://oh.example"}, {"Access-Control-Request-Method", "POST"}}).status, 200);
}

TEST_F(StandinHandlersTest, HomePageListsConversationsEscaped) {
  EXPECT_NE(call("GET", "/").body.find("No conversations yet"), std::string::npos);
  ASSERT_TRUE(database_->run("INSERT INTO conversation_metadata (conversation_id, title, sandbox_id, conversation_version, "
                             "created_at) VALUES ('11111111-2222-4333-8444-555555555555', '<script>x</script>', 'sb9', "
                             "'V1', $1)",
                             {nowTimestamp()}));
  const Response page = call("GET", "/");
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("11111111-2222-4333-8444-555555555555"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>x"), std::string::npos);
}

TEST_F(StandinHandlersTest, MigrationIsIdempotentAndRefusesAnotherRevision) {
  EXPECT_TRUE(migrate(*database_));
  ASSERT_TRUE(database_->run("UPDATE alembic_version SET version_num = '010'"));
  EXPECT_FALSE(migrate(*database_));
}

// Over a socket: the listener refuses oversized heads and bodies before reading them.
TEST_F(StandinHandlersTest, ListenerRefusesOversizedInput) {
  config_.listen_host = "127.0.0.1";
  config_.listen_port = 0;
  auto* server = new Server(config_, *app_);  // runs for the rest of the process
  std::string error;
  const std::uint16_t port = server->bind(error);
  ASSERT_NE(port, 0) << error;
  std::thread([server] { server->run(); }).detach();
  const auto exchange = [port](const std::string& bytes) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::string out;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) out.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
  };
  EXPECT_EQ(exchange("POST /api/v1/settings HTTP/1.1\r\nContent-Length: 2097152\r\n\r\n").rfind("HTTP/1.1 413", 0), 0u);
  EXPECT_EQ(exchange("GET / HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n").rfind("HTTP/1.1 431", 0), 0u);
  EXPECT_EQ(exchange("BLAH\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  const std::string alive = exchange("GET /alive HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(alive.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_NE(alive.find(R"({"status":"ok"})"), std::string::npos);
}

}  // namespace
}  // namespace oh::appserver_standin
