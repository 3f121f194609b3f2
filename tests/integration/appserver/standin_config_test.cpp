// The stand-in app server's configuration rules, each the real 1.7.0 app server's (app_config.h
// cites them): which variables select the remote sandbox service, which missing ones refuse to
// start, defaults and precedence.

#include <gtest/gtest.h>

#include "app_config.h"

namespace oh::appserver_standin {
namespace {

Environment remoteEnvironment() {
  return {{"RUNTIME", "remote"},
          {"SANDBOX_API_KEY", "key-1"},
          {"SANDBOX_REMOTE_RUNTIME_API_URL", "http://127.0.0.1:8090"},
          {"HOME", "/home/u"}};
}

TEST(StandinConfig, LegacyRemoteVariablesSelectTheRemoteService) {
  auto config = parseAppConfig(remoteEnvironment());
  ASSERT_TRUE(config) << config.error().reason;
  EXPECT_EQ(config->sandbox_api_key, "key-1");
  EXPECT_EQ(config->sandbox_api_url, "http://127.0.0.1:8090");
  EXPECT_EQ(config->resource_factor, 1);
  EXPECT_EQ(config->max_num_sandboxes, 10);
  EXPECT_FALSE(config->runtime_class_sysbox);
  EXPECT_EQ(config->agent_server_image, "ghcr.io/openhands/agent-server:1.20.1-python");
  EXPECT_EQ(config->persistence_dir, "/home/u/.openhands");
  EXPECT_FALSE(config->database.host);
  EXPECT_EQ(config->listen_port, 3000);
}

TEST(StandinConfig, EachMissingRemoteVariableRefusesNamingIt) {
  for (const char* missing : {"SANDBOX_API_KEY", "SANDBOX_REMOTE_RUNTIME_API_URL"}) {
    Environment environment = remoteEnvironment();
    environment.erase(missing);
    auto config = parseAppConfig(environment);
    ASSERT_FALSE(config) << missing;
    EXPECT_NE(config.error().reason.find(missing), std::string::npos) << config.error().reason;
  }
}

TEST(StandinConfig, WithoutRemoteModeItRefusesRatherThanPretendingDocker) {
  Environment environment = remoteEnvironment();
  environment.erase("RUNTIME");
  auto config = parseAppConfig(environment);
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().reason.find("Docker"), std::string::npos);
  environment["RUNTIME"] = "docker";
  EXPECT_FALSE(parseAppConfig(environment));
}

TEST(StandinConfig, NestedOhSandboxFormNeedsTheSpecKindToo) {
  Environment environment{{"OH_SANDBOX_KIND", "RemoteSandboxServiceInjector"},
                          {"OH_SANDBOX_API_URL", "http://a:1"},
                          {"OH_SANDBOX_API_KEY", "k"},
                          {"HOME", "/h"}};
  auto without_spec = parseAppConfig(environment);
  ASSERT_FALSE(without_spec);
  EXPECT_NE(without_spec.error().reason.find("OH_SANDBOX_SPEC_KIND"), std::string::npos);
  environment["OH_SANDBOX_SPEC_KIND"] = "RemoteSandboxSpecServiceInjector";
  environment["OH_SANDBOX_RESOURCE_FACTOR"] = "2";
  environment["OH_SANDBOX_RUNTIME_CLASS"] = "sysbox";
  environment["OH_SANDBOX_MAX_NUM_SANDBOXES"] = "3";
  auto config = parseAppConfig(environment);
  ASSERT_TRUE(config) << config.error().reason;
  EXPECT_EQ(config->sandbox_api_url, "http://a:1");
  EXPECT_EQ(config->resource_factor, 2);
  EXPECT_TRUE(config->runtime_class_sysbox);
  EXPECT_EQ(config->max_num_sandboxes, 3);

  environment.erase("OH_SANDBOX_API_KEY");
  EXPECT_FALSE(parseAppConfig(environment));
  environment["OH_SANDBOX_API_KEY"] = "k";
  environment["OH_SANDBOX_RESOURCE_FACTOR"] = "two";
  EXPECT_FALSE(parseAppConfig(environment));
  environment["OH_SANDBOX_RESOURCE_FACTOR"] = "1";
  environment["OH_SANDBOX_MAX_NUM_SANDBOXES"] = "0";
  EXPECT_FALSE(parseAppConfig(environment));
  environment["OH_SANDBOX_MAX_NUM_SANDBOXES"] = "1";
  environment["OH_SANDBOX_KIND"] = "DockerSandboxServiceInjector";
  EXPECT_FALSE(parseAppConfig(environment));
}

TEST(StandinConfig, PersistenceDirectoryPrecedence) {
  Environment environment = remoteEnvironment();
  environment["FILE_STORE_PATH"] = "/.openhands";
  EXPECT_EQ(parseAppConfig(environment)->persistence_dir, "/.openhands");
  environment["OH_PERSISTENCE_DIR"] = "/data/u1";
  EXPECT_EQ(parseAppConfig(environment)->persistence_dir, "/data/u1");
  // An empty OH_PERSISTENCE_DIR is "set": FILE_STORE_PATH is not consulted (config.py:74-83).
  environment["OH_PERSISTENCE_DIR"] = "";
  EXPECT_EQ(parseAppConfig(environment)->persistence_dir, "/home/u/.openhands");
}

TEST(StandinConfig, DatabaseIsPostgresOnlyWithAHost) {
  Environment environment = remoteEnvironment();
  environment["DB_HOST"] = "";
  EXPECT_FALSE(parseAppConfig(environment)->database.host);
  environment["DB_HOST"] = "/run/pg";
  auto config = parseAppConfig(environment);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->database.host, "/run/pg");
  EXPECT_EQ(config->database.port, 5432);
  EXPECT_EQ(config->database.name, "openhands");
  EXPECT_EQ(config->database.user, "postgres");
  EXPECT_EQ(config->database.password, "postgres");
  environment["DB_PORT"] = "6543";
  environment["DB_NAME"] = "oh_u1";
  environment["DB_USER"] = "u1";
  environment["DB_PASS"] = "  secret\n";
  config = parseAppConfig(environment);
  EXPECT_EQ(config->database.port, 6543);
  EXPECT_EQ(config->database.name, "oh_u1");
  EXPECT_EQ(config->database.user, "u1");
  EXPECT_EQ(config->database.password, "secret");  // .strip() (db_session_injector.py:61)
  for (const char* bad : {"", "x", "70000", "0", "-1", "12ab"}) {
    environment["DB_PORT"] = bad;
    EXPECT_FALSE(parseAppConfig(environment)) << bad;
  }
}

TEST(StandinConfig, WebUrlAndCorsOrigins) {
  Environment environment = remoteEnvironment();
  EXPECT_FALSE(parseAppConfig(environment)->web_url);
  environment["WEB_HOST"] = "oh.example.com";
  EXPECT_EQ(parseAppConfig(environment)->web_url, "https://oh.example.com");
  environment["OH_WEB_URL"] = "http://appserver.internal:3000";
  EXPECT_EQ(parseAppConfig(environment)->web_url, "http://appserver.internal:3000");

  environment["PERMITTED_CORS_ORIGINS"] = " https://a.example , ,https://b.example";
  EXPECT_EQ(parseAppConfig(environment)->permitted_cors_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example"}));
  environment["OH_PERMITTED_CORS_ORIGINS_0"] = "https://c.example";
  environment["OH_PERMITTED_CORS_ORIGINS_1"] = "https://d.example";
  environment["OH_PERMITTED_CORS_ORIGINS_3"] = "https://ignored.example";  // not consecutive
  EXPECT_EQ(parseAppConfig(environment)->permitted_cors_origins,
            (std::vector<std::string>{"https://c.example", "https://d.example"}));
  environment["OH_PERMITTED_CORS_ORIGINS"] = "not json";
  EXPECT_FALSE(parseAppConfig(environment));
}

TEST(StandinConfig, AgentServerEnvironmentAndImage) {
  Environment environment = remoteEnvironment();
  environment["LLM_MODEL"] = "bedrock/model";
  environment["LLM_TIMEOUT"] = "600";
  environment["LMNR_PROJECT_API_KEY"] = "l";
  environment["OTHER"] = "not forwarded";
  environment["OH_AGENT_SERVER_ENV"] = R"({"LLM_TIMEOUT":"7200","DEBUG":"true"})";
  environment["AGENT_SERVER_IMAGE_REPOSITORY"] = "localhost/agent";
  auto config = parseAppConfig(environment);
  ASSERT_TRUE(config) << config.error().reason;
  EXPECT_EQ(config->agent_server_env, (std::map<std::string, std::string>{{"DEBUG", "true"},
                                                                           {"LLM_MODEL", "bedrock/model"},
                                                                           {"LLM_TIMEOUT", "7200"},
                                                                           {"LMNR_PROJECT_API_KEY", "l"}}));
  // The repository alone does not override the image (sandbox_spec_service.py:64-69).
  EXPECT_EQ(config->agent_server_image, "ghcr.io/openhands/agent-server:1.20.1-python");
  environment["AGENT_SERVER_IMAGE_TAG"] = "t1";
  EXPECT_EQ(parseAppConfig(environment)->agent_server_image, "localhost/agent:t1");
  for (const char* bad : {"[1]", "{", R"({"A":1})"}) {
    environment["OH_AGENT_SERVER_ENV"] = bad;
    EXPECT_FALSE(parseAppConfig(environment)) << bad;
  }
}

TEST(StandinConfig, SecretsAndKeys) {
  Environment environment = remoteEnvironment();
  auto config = parseAppConfig(environment);
  EXPECT_FALSE(config->jwt_secret);
  EXPECT_FALSE(config->session_api_key);
  environment["JWT_SECRET"] = "s";
  environment["SESSION_API_KEY"] = "sk";
  config = parseAppConfig(environment);
  EXPECT_EQ(config->jwt_secret, "s");
  EXPECT_EQ(config->session_api_key, "sk");
}

TEST(StandinConfig, CommandLineAcceptsTheStockImagesCommand) {
  AppConfig config;
  std::string error;
  const char* stock[] = {"app", "uvicorn", "openhands.server.listen:app", "--host", "127.0.0.1", "--port", "3100"};
  ASSERT_TRUE(applyCommandLine(config, 7, stock, error)) << error;
  EXPECT_EQ(config.listen_host, "127.0.0.1");
  EXPECT_EQ(config.listen_port, 3100);
  const char* bad_port[] = {"app", "--port", "99999"};
  EXPECT_FALSE(applyCommandLine(config, 3, bad_port, error));
  const char* dangling[] = {"app", "--host"};
  EXPECT_FALSE(applyCommandLine(config, 2, dangling, error));
  const char* unknown[] = {"app", "--reload"};
  EXPECT_FALSE(applyCommandLine(config, 2, unknown, error));
}

}  // namespace
}  // namespace oh::appserver_standin
