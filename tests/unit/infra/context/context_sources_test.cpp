#include "context/context_sources.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace oh::infra {
namespace {

EnvironmentLookup fakeEnvironment(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ContextSources, CdkContextJsonValuesAsTheCliSendsThem) {
  const auto raw = collectContext(
      fakeEnvironment({{"CDK_CONTEXT_JSON",
                        R"({"vpcId":"vpc-0123456789abcdef0","skipS3Endpoint":true,"authCallbackDomains":["a.b.com"],"n":3})"}}),
      {});
  EXPECT_TRUE(raw.problems.empty());
  EXPECT_EQ(raw.values.at("vpcId"), "vpc-0123456789abcdef0");
  EXPECT_EQ(raw.values.at("skipS3Endpoint"), "true");
  EXPECT_EQ(raw.values.at("authCallbackDomains"), R"(["a.b.com"])");
  EXPECT_EQ(raw.values.at("n"), "3");
}

TEST(ContextSources, OverflowFileThenEnvironmentThenPairs) {
  const auto dir = std::filesystem::temp_directory_path() / ("oh-ctx-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "context-overflow.json";
  std::ofstream(file) << R"({"domainName":"overflow.com","hostedZoneId":"Z1","subDomain":"a"})";
  const auto raw = collectContext(fakeEnvironment({{"CONTEXT_OVERFLOW_LOCATION_ENV", file.string()},
                                                   {"CDK_CONTEXT_JSON", R"({"subDomain":"b","region":"eu-west-1"})"}}),
                                  {"region=us-west-2", "siteName=a=b"});
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(raw.problems.empty());
  EXPECT_EQ(raw.values.at("domainName"), "overflow.com");
  EXPECT_EQ(raw.values.at("subDomain"), "b");
  EXPECT_EQ(raw.values.at("region"), "us-west-2");
  EXPECT_EQ(raw.values.at("siteName"), "a=b");
}

TEST(ContextSources, UnreadableSourcesAreProblems) {
  auto raw = collectContext(fakeEnvironment({{"CONTEXT_OVERFLOW_LOCATION_ENV", "/nonexistent/overflow.json"},
                                             {"CDK_CONTEXT_JSON", "[1,2]"}}),
                            {"novalue", "=x"});
  ASSERT_EQ(raw.problems.size(), 4U);
  EXPECT_EQ(raw.problems[0].key, "CONTEXT_OVERFLOW_LOCATION_ENV");
  EXPECT_EQ(raw.problems[1].key, "CDK_CONTEXT_JSON");
  EXPECT_NE(raw.problems[2].message.find("key=value"), std::string::npos);

  raw = collectContext(fakeEnvironment({{"CDK_CONTEXT_JSON", "{\"a\":"}}), {});
  ASSERT_EQ(raw.problems.size(), 1U);
  raw = collectContext(fakeEnvironment({{"CDK_CONTEXT_JSON", std::string(200, '[')}}), {});
  ASSERT_EQ(raw.problems.size(), 1U);  // nesting beyond the parser's depth limit is refused, not a crash
}

TEST(ContextSources, LoadReportsSourceAndKeyProblemsTogether) {
  const auto result = loadAppContext(fakeEnvironment({{"CDK_CONTEXT_JSON", "nope"}}), {"vpcId=vpc-1"});
  ASSERT_TRUE(std::holds_alternative<std::vector<ContextProblem>>(result));
  const auto& problems = std::get<std::vector<ContextProblem>>(result);
  EXPECT_EQ(problems.front().key, "CDK_CONTEXT_JSON");
  EXPECT_EQ(problems.size(), 4U);  // the source, vpcId malformed, hostedZoneId and domainName missing
}

TEST(ContextSources, LoadUsesTheDefaultRegion) {
  const auto result = loadAppContext(
      fakeEnvironment({{"CDK_DEFAULT_REGION", "ap-southeast-2"},
                       {"CDK_CONTEXT_JSON",
                        R"({"vpcId":"vpc-0123456789abcdef0","hostedZoneId":"Z0123","domainName":"example.com"})"}}),
      {});
  ASSERT_TRUE(std::holds_alternative<AppContext>(result));
  EXPECT_EQ(std::get<AppContext>(result).region, "ap-southeast-2");
}

}  // namespace
}  // namespace oh::infra
