// The gateway's own credentials: IMDS's document read strictly, the environment's variables.
#include "credentials/own_credentials.h"

#include <gtest/gtest.h>

#include <map>

#include "credentials/aws_time.h"

namespace oh::gateway::credentials {
namespace {

const std::string kImdsDocument =
    R"({"Code":"Success","LastUpdated":"2026-12-07T10:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAINSTANCE",)"
    R"("SecretAccessKey":"instance/secret+key","Token":"IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJG",)"
    R"("Expiration":"2026-12-07T16:00:00Z"})";

TEST(ImdsCredentialsTest, ReadsTheDocument) {
  auto credentials = parseImdsCredentials(kImdsDocument);
  ASSERT_TRUE(credentials) << credentials.error().reason;
  EXPECT_EQ(credentials->access_key_id, "ASIAINSTANCE");
  EXPECT_EQ(credentials->secret_access_key, "instance/secret+key");
  EXPECT_EQ(credentials->session_token, "IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJG");
  EXPECT_EQ(credentials->expiration, control::aws::parseIso8601("2026-12-07T16:00:00Z"));
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  return text.replace(text.find(from), from.size(), to);
}

TEST(ImdsCredentialsTest, RefusesMalformedDocuments) {
  for (const std::string& bad : {
           std::string(),
           std::string("[]"),
           std::string("{"),
           replaced(kImdsDocument, "\"Success\"", "\"Failure\""),
           replaced(kImdsDocument, "\"AccessKeyId\":\"ASIAINSTANCE\",", ""),
           replaced(kImdsDocument, "\"ASIAINSTANCE\"", "\"ASIA INSTANCE\""),
           replaced(kImdsDocument, "\"ASIAINSTANCE\"", "7"),
           replaced(kImdsDocument, "\"2026-12-07T16:00:00Z\"", "\"tomorrow\""),
           replaced(kImdsDocument, "\"Code\":\"Success\",", "\"Code\":\"Success\",\"Code\":\"Success\","),
           kImdsDocument + "x",
           replaced(kImdsDocument, "\"IQoJ", "\"" + std::string(20000, 'A')),
       }) {
    EXPECT_FALSE(parseImdsCredentials(bad)) << bad.substr(0, 200);
  }
}

TEST(EnvironmentCredentialsTest, ReadsTheThreeVariables) {
  std::map<std::string, std::string> env = {
      {"AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", "secret"}, {"AWS_SESSION_TOKEN", "token"}};
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto credentials = environmentCredentials(getenv);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->access_key_id, "AKIAEXAMPLE");
  EXPECT_EQ(credentials->session_token, "token");
  EXPECT_FALSE(credentials->expiration);
  env.erase("AWS_SESSION_TOKEN");
  EXPECT_EQ(environmentCredentials(getenv)->session_token, "");
  env["AWS_SECRET_ACCESS_KEY"] = "with space";
  EXPECT_FALSE(environmentCredentials(getenv));
  env.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_FALSE(environmentCredentials(getenv));
}

}  // namespace
}  // namespace oh::gateway::credentials
