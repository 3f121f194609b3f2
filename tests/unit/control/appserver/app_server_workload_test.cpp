// The per-user spec: every variable OpenHands 1.7.0 reads for this design (docs/instance.md
// cites each), the labels, limits, network and mount; derived secrets; the settings' refusals.

#include <gtest/gtest.h>

#include <algorithm>

#include "appserver/app_server_pool.h"
#include "appserver/app_server_workload.h"
#include "appserver/user_secrets.h"
#include "pool_harness.h"

namespace oh::control::testing {
namespace {

std::map<std::string, std::string> environmentOf(const WorkloadSpec& spec) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : spec.environment) {
    EXPECT_TRUE(out.emplace(name, value).second) << "set twice: " << name;
  }
  return out;
}

AppServerCredentials credentialsFor(const std::string& user) {
  AppServerCredentials credentials;
  credentials.sandbox_api_key = "ohsb1_" + user + "_mac";
  credentials.jwt_secret = jwtSecretFor(std::string(32, 'j'), user);
  return credentials;
}

TEST(AppServerWorkload, LocalSpecRunsRemoteSandboxesWithTheUsersKeyDirectoryAndSecret) {
  const AppServerPoolSettings settings = testSettings("/srv/oh/users");
  const WorkloadSpec spec = appServerSpec(settings, kUserA, credentialsFor(kUserA));
  const auto env = environmentOf(spec);
  EXPECT_EQ(spec.name, "oh-appserver-" + kUserA);
  EXPECT_EQ(spec.image, settings.image);
  EXPECT_EQ(spec.network, "oh-user-" + kUserA);
  EXPECT_EQ(spec.workspace, "/srv/oh/users/" + kUserA);
  EXPECT_EQ(spec.limits.memory_bytes, settings.limits.memory_bytes);
  EXPECT_EQ(spec.limits.cpus, settings.limits.cpus);
  EXPECT_EQ(env.at("RUNTIME"), "remote");
  EXPECT_EQ(env.at("SANDBOX_REMOTE_RUNTIME_API_URL"), "http://10.89.0.1:8090");
  EXPECT_EQ(env.at("SANDBOX_API_KEY"), "ohsb1_" + kUserA + "_mac");
  EXPECT_EQ(env.at("OH_PERSISTENCE_DIR"), "/workspace");
  EXPECT_EQ(env.at("FILE_STORE_PATH"), "/workspace");
  EXPECT_EQ(env.at("JWT_SECRET"), jwtSecretFor(std::string(32, 'j'), kUserA));
  EXPECT_EQ(env.at("OH_WEB_URL"), "https://openhands.example.com");
  EXPECT_EQ(env.at("OH_PERMITTED_CORS_ORIGINS_0"), "https://openhands.example.com");
  EXPECT_EQ(env.at("LLM_MODEL"), "bedrock/anthropic.claude");
  EXPECT_EQ(env.at("AWS_REGION_NAME"), "us-east-1");
  for (const char* absent : {"DB_HOST", "DB_NAME", "DB_PASS", "OH_EVENT_KIND", "OH_EVENT_BUCKET_NAME", "DOCKER_HOST",
                             "FORWARDED_ALLOW_IPS", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"}) {
    EXPECT_FALSE(env.contains(absent)) << absent;  // SQLite in the directory; events on disk
  }
  EXPECT_EQ(spec.labels.at("org.openhands.managed"), "appserver-unit");
  EXPECT_EQ(spec.labels.at("org.openhands.owner"), kUserA);
  EXPECT_EQ(spec.labels.at("org.openhands.version"), "1.7.0");
  EXPECT_EQ(spec.labels.at("org.openhands.spec").size(), 32u);
}

// This test verifies the server trusts X-Forwarded-For from exactly the gateway's address on the
// user's network, never a list or "*" (sandboxes share that network), and that no pass-through
// variable can widen it.
TEST(AppServerWorkload, ForwardedAllowIpsIsExactlyTheGatewaysAddress) {
  AppServerPoolSettings settings = testSettings("/srv/oh/users");
  AppServerCredentials credentials = credentialsFor(kUserA);
  credentials.gateway_address = "10.89.3.1";
  const auto env = environmentOf(appServerSpec(settings, kUserA, credentials));
  EXPECT_EQ(env.at("FORWARDED_ALLOW_IPS"), "10.89.3.1");
  EXPECT_NE(appServerSpec(settings, kUserA, credentials).labels.at("org.openhands.spec"),
            appServerSpec(settings, kUserA, credentialsFor(kUserA)).labels.at("org.openhands.spec"));
  settings.llm_environment.emplace_back("FORWARDED_ALLOW_IPS", "*");
  EXPECT_NE(settingsRefusal(settings).find("FORWARDED_ALLOW_IPS"), std::string::npos);
}

// Plain-http runtime urls (one machine): agent-server calls go to the sandbox API listener's
// forward proxy; what the server reaches directly is excluded, never a runtime host.
TEST(AppServerWorkload, PlainHttpRuntimeUrlsGoThroughTheAgentProxy) {
  AppServerPoolSettings settings = testSettings("/srv/oh/users");
  settings.agent_proxy_url = "http://10.89.0.1:8090";
  settings.runtime_suffix = "runtime.oh.test";
  settings.s3_endpoint = "http://minio.internal:9000";
  settings.database.host = "/run/postgresql";  // a socket directory: no host
  settings.llm_environment = {{"LLM_BASE_URL", "http://user:pw@litellm.lan:4000/v1"},
                              {"OTHER_URL", "http://oh.test/x"},              // would cover the runtime hosts
                              {"IPV6_URL", "http://[fd00::5]:8000/"},
                              {"HOSTILE_URL", "http://a,b.example/"},
                              {"NOT_A_URL", "bedrock/anthropic.claude"}};
  const auto env = environmentOf(appServerSpec(settings, kUserA, credentialsFor(kUserA)));
  EXPECT_EQ(env.at("HTTP_PROXY"), "http://10.89.0.1:8090");
  EXPECT_EQ(env.at("http_proxy"), "http://10.89.0.1:8090");
  EXPECT_EQ(env.at("NO_PROXY"), "localhost,127.0.0.1,::1,10.89.0.1,minio.internal,litellm.lan,fd00::5");
  EXPECT_EQ(env.at("no_proxy"), env.at("NO_PROXY"));
  EXPECT_FALSE(env.contains("HTTPS_PROXY"));  // https goes out as it would (LLM providers, GitHub)
  settings.runtime_suffix = "runtime.litellm.lan";
  EXPECT_EQ(noProxyList(settings), "localhost,127.0.0.1,::1,10.89.0.1,minio.internal,oh.test,fd00::5");
  // The names are the pool's: a pass-through cannot replace them.
  for (const char* name : {"HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"}) {
    EXPECT_TRUE(isPoolVariable(name)) << name;
  }
}

TEST(AppServerWorkload, AwsSpecHasTheUsersDatabaseAndEventPrefix) {
  AppServerPoolSettings settings = testSettings("/mnt/efs/users");
  settings.event_bucket = "oh-events-123";
  settings.s3_endpoint = "http://127.0.0.1:5000";
  settings.database.host = "127.0.0.1";
  settings.database.port = 15432;
  settings.cors_origins = {"https://a.example.com", "https://b.example.com"};
  AppServerCredentials credentials = credentialsFor(kUserB);
  credentials.database = DatabaseLogin{"oh_user_" + kUserB, "oh_user_" + kUserB, "derived-password"};
  const auto env = environmentOf(appServerSpec(settings, kUserB, credentials));
  EXPECT_EQ(env.at("DB_HOST"), "127.0.0.1");
  EXPECT_EQ(env.at("DB_PORT"), "15432");
  EXPECT_EQ(env.at("DB_NAME"), "oh_user_" + kUserB);
  EXPECT_EQ(env.at("DB_USER"), "oh_user_" + kUserB);
  EXPECT_EQ(env.at("DB_PASS"), "derived-password");
  EXPECT_EQ(env.at("OH_EVENT_KIND"), "AwsEventServiceInjector");
  EXPECT_EQ(env.at("OH_EVENT_BUCKET_NAME"), "oh-events-123");
  EXPECT_EQ(env.at("OH_EVENT_PREFIX"), "users/" + kUserB);
  EXPECT_EQ(env.at("AWS_S3_ENDPOINT"), "http://127.0.0.1:5000");
  EXPECT_EQ(env.at("OH_PERMITTED_CORS_ORIGINS_0"), "https://a.example.com");
  EXPECT_EQ(env.at("OH_PERMITTED_CORS_ORIGINS_1"), "https://b.example.com");
}

TEST(AppServerWorkload, TheFingerprintFollowsEverySettingAndOnlyThem) {
  const AppServerPoolSettings settings = testSettings("/srv/oh/users");
  const auto fingerprint = [](const AppServerPoolSettings& s, const std::string& user) {
    return appServerSpec(s, user, credentialsFor(user)).labels.at("org.openhands.spec");
  };
  EXPECT_EQ(fingerprint(settings, kUserA), fingerprint(settings, kUserA));
  EXPECT_NE(fingerprint(settings, kUserA), fingerprint(settings, kUserB));
  AppServerPoolSettings other = settings;
  other.openhands_version = "1.8.0";
  EXPECT_NE(fingerprint(other, kUserA), fingerprint(settings, kUserA));
  other = settings;
  other.image = "docker.openhands.dev/openhands/openhands:1.8.0";
  EXPECT_NE(fingerprint(other, kUserA), fingerprint(settings, kUserA));
  other = settings;
  other.limits.cpus = 2;
  EXPECT_NE(fingerprint(other, kUserA), fingerprint(settings, kUserA));
  other = settings;
  other.llm_environment.emplace_back("LLM_BASE_URL", "http://x");
  EXPECT_NE(fingerprint(other, kUserA), fingerprint(settings, kUserA));
}

TEST(AppServerWorkload, DerivedSecretsAreStablePerUserAndPurpose) {
  const std::string key(32, 'k');
  EXPECT_EQ(jwtSecretFor(key, kUserA), jwtSecretFor(key, kUserA));
  EXPECT_EQ(jwtSecretFor(key, kUserA).size(), 43u);
  EXPECT_NE(jwtSecretFor(key, kUserA), jwtSecretFor(key, kUserB));
  EXPECT_NE(jwtSecretFor(key, kUserA), databasePasswordFor(key, kUserA));
  EXPECT_NE(jwtSecretFor(key, kUserA), jwtSecretFor(std::string(32, 'l'), kUserA));
}

TEST(AppServerWorkload, SettingsThatCannotWorkAreRefused) {
  const AppServerPoolSettings good = testSettings("/srv/oh/users");
  EXPECT_EQ(settingsRefusal(good), "");
  const auto refusedWith = [&](auto change) {
    AppServerPoolSettings settings = good;
    change(settings);
    return settingsRefusal(settings);
  };
  EXPECT_NE(refusedWith([](auto& s) { s.image.clear(); }), "");
  EXPECT_NE(refusedWith([](auto& s) { s.data_root = "relative/dir"; }), "");
  EXPECT_NE(refusedWith([](auto& s) { s.sandbox_api_url = "http://10.89.0.1:8090/"; }), "");
  EXPECT_NE(refusedWith([](auto& s) { s.secret_key = "short"; }), "");
  EXPECT_NE(refusedWith([](auto& s) { s.sandbox_key_secret = std::string(31, 's'); }), "");
  EXPECT_NE(refusedWith([](auto& s) { s.max_running = 0; }), "");
  EXPECT_NE(refusedWith([](auto& s) { s.health_path = "alive"; }), "");
  EXPECT_NE(refusedWith([](auto& s) { s.database.admin_conninfo = "host=/tmp"; }), "");  // no DB_HOST
  for (const char* ours : {"JWT_SECRET", "SANDBOX_API_KEY", "RUNTIME", "DB_PASS", "OH_PERMITTED_CORS_ORIGINS_3",
                           "OH_PERSISTENCE_DIR", "OH_EVENT_PREFIX"}) {
    const std::string refusal = refusedWith([&](auto& s) { s.llm_environment.emplace_back(ours, "x"); });
    EXPECT_NE(refusal.find(ours), std::string::npos) << ours;
  }
  MovableClock clock;
  EXPECT_THROW(AppServerPool(AppServerPoolSettings{}, std::make_shared<FakeWorkloadBackend>(), nullptr,
                             std::make_shared<AnsweringProbe>(), clock),
               std::invalid_argument);
}

}  // namespace
}  // namespace oh::control::testing
