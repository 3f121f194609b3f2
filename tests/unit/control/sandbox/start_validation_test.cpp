// Every rule a POST /start must pass, each with the request OpenHands sends changed in one
// field: refused with 400 and a message naming the field.
#include "sandbox/start_validation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "service_harness.h"

namespace oh::control::testing {
namespace {

struct Refusal {
  const char* name;
  std::function<void(StartRequest&)> change;
  const char* field;  // the message names it
};

class StartValidationTest : public ::testing::Test {
protected:
  SandboxServiceSettings settings = ServiceHarness().settings();
};

TEST_F(StartValidationTest, WhatOpenHandsSendsIsAccepted) {
  EXPECT_EQ(validateStart(settings, openHandsStart("4oE9wHT2LTrpL9w5KfKz0v")), std::nullopt);
  EXPECT_EQ(validateStart(settings, openHandsStart("0123456789abcdef0123456789abcdef")), std::nullopt)
      << "a conversation id's hex";
  auto no_identity = openHandsStart("x");
  no_identity.spec.run_as_user.reset();
  no_identity.spec.run_as_group.reset();
  no_identity.spec.fs_group.reset();
  no_identity.spec.environment.clear();
  no_identity.spec.command = {"/bin/agent", "--port=8000"};
  no_identity.spec.resource_factor = settings.max_resource_factor;
  EXPECT_EQ(validateStart(settings, no_identity), std::nullopt);
}

TEST_F(StartValidationTest, EveryRuleRefusesWith400NamingItsField) {
  const std::vector<Refusal> refusals = {
      {"empty id", [](StartRequest& r) { r.session_id = ""; }, "session_id"},
      {"id too long", [](StartRequest& r) { r.session_id = std::string(65, 'a'); }, "session_id"},
      {"id with a dash", [](StartRequest& r) { r.session_id = "abc-def"; }, "session_id"},
      {"id with a dot", [](StartRequest& r) { r.session_id = "abc.def"; }, "session_id"},
      {"id with a slash", [](StartRequest& r) { r.session_id = "../etc"; }, "session_id"},
      {"id with NUL", [](StartRequest& r) { r.session_id = std::string("ab\0c", 4); }, "session_id"},
      {"id with UTF-8", [](StartRequest& r) { r.session_id = "caf\xc3\xa9"; }, "session_id"},
      {"image not allowed", [](StartRequest& r) { r.spec.image = "docker.io/library/alpine:latest"; }, "image"},
      {"image prefix of allowed", [](StartRequest& r) { r.spec.image = kImage.substr(0, 20); }, "image"},
      {"image empty", [](StartRequest& r) { r.spec.image = ""; }, "image"},
      {"command empty", [](StartRequest& r) { r.spec.command.clear(); }, "command"},
      {"command program empty", [](StartRequest& r) { r.spec.command = {""}; }, "command"},
      {"command NUL", [](StartRequest& r) { r.spec.command.push_back(std::string("a\0b", 3)); }, "command"},
      {"command too long", [](StartRequest& r) { r.spec.command.resize(1000, "x"); }, "command"},
      {"port not a number", [](StartRequest& r) { r.spec.command = {"/bin/agent", "--port", "http"}; }, "--port"},
      {"port too large", [](StartRequest& r) { r.spec.command = {"/bin/agent", "--port", "65536"}; }, "--port"},
      {"port zero", [](StartRequest& r) { r.spec.command = {"/bin/agent", "--port=0"}; }, "--port"},
      {"port missing value", [](StartRequest& r) { r.spec.command = {"/bin/agent", "--port", ""}; }, "--port"},
      {"working dir relative", [](StartRequest& r) { r.spec.working_dir = "workspace"; }, "working_dir"},
      {"working dir empty", [](StartRequest& r) { r.spec.working_dir = ""; }, "working_dir"},
      {"working dir parent", [](StartRequest& r) { r.spec.working_dir = "/workspace/../etc"; }, "working_dir"},
      {"working dir ends in parent", [](StartRequest& r) { r.spec.working_dir = "/workspace/.."; }, "working_dir"},
      {"working dir NUL", [](StartRequest& r) { r.spec.working_dir = std::string("/w\0", 3); }, "working_dir"},
      {"working dir huge", [](StartRequest& r) { r.spec.working_dir = "/" + std::string(5000, 'a'); }, "working_dir"},
      {"env name empty", [](StartRequest& r) { r.spec.environment.emplace_back("", "x"); }, "environment"},
      {"env name digit first", [](StartRequest& r) { r.spec.environment.emplace_back("1ABC", "x"); }, "environment"},
      {"env name with =", [](StartRequest& r) { r.spec.environment.emplace_back("A=B", "x"); }, "environment"},
      {"env name with space", [](StartRequest& r) { r.spec.environment.emplace_back("A B", "x"); }, "environment"},
      {"env name huge", [](StartRequest& r) { r.spec.environment.emplace_back(std::string(300, 'A'), "x"); },
       "environment"},
      {"env value NUL", [](StartRequest& r) { r.spec.environment.emplace_back("A", std::string("x\0y", 3)); },
       "environment"},
      {"env too many", [](StartRequest& r) { r.spec.environment.resize(2000, {"A", "b"}); }, "environment"},
      {"root user", [](StartRequest& r) { r.spec.run_as_user = 0; }, "run_as_user"},
      {"root group", [](StartRequest& r) { r.spec.run_as_group = 0; }, "run_as_group"},
      {"root fs group", [](StartRequest& r) { r.spec.fs_group = 0; }, "fs_group"},
      {"factor zero", [](StartRequest& r) { r.spec.resource_factor = 0; }, "resource_factor"},
      {"factor negative", [](StartRequest& r) { r.spec.resource_factor = -1; }, "resource_factor"},
      {"factor over max", [](StartRequest& r) { r.spec.resource_factor = 4.5; }, "resource_factor"},
      {"factor NaN", [](StartRequest& r) { r.spec.resource_factor = std::nan(""); }, "resource_factor"},
      {"factor infinite",
       [](StartRequest& r) { r.spec.resource_factor = std::numeric_limits<double>::infinity(); }, "resource_factor"},
      {"runtime class sysbox", [](StartRequest& r) { r.runtime_class = "sysbox-runc"; }, "runtime_class"},
      {"runtime class gvisor", [](StartRequest& r) { r.runtime_class = "gvisor"; }, "runtime_class"},
  };
  for (const auto& refusal : refusals) {
    auto request = openHandsStart("4oE9wHT2LTrpL9w5KfKz0v");
    refusal.change(request);
    auto error = validateStart(settings, request);
    ASSERT_TRUE(error) << refusal.name;
    EXPECT_EQ(error->status, 400u) << refusal.name;
    EXPECT_NE(error->message.find(refusal.field), std::string::npos) << refusal.name << ": " << error->message;
    EXPECT_EQ(error->message.find('\0'), std::string::npos) << refusal.name;
    EXPECT_LT(error->message.size(), 300u) << refusal.name << ": a hostile value is not echoed whole";
  }
}

TEST_F(StartValidationTest, IdsAndEnvironmentNames) {
  EXPECT_TRUE(isSandboxId("a"));
  EXPECT_TRUE(isSandboxId(std::string(64, 'Z')));
  EXPECT_FALSE(isSandboxId(std::string(65, 'Z')));
  EXPECT_FALSE(isSandboxId("a_b"));
  EXPECT_TRUE(isEnvironmentName("_A1"));
  EXPECT_TRUE(isEnvironmentName("lower_case"));
  EXPECT_FALSE(isEnvironmentName("A-B"));
}

}  // namespace
}  // namespace oh::control::testing
