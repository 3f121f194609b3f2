// Each synthesized template equals its snapshot in snapshots/<stack>.json, so any change to a
// template shows up in review as a diff. OH_UPDATE_SNAPSHOTS=1 rewrites the snapshots.
// The launch template's user data is replaced by a marker: it has its own issue and tests
// (tests/unit/infra/instance), and would otherwise tie these snapshots to every script edit.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "test_app.h"

namespace oh::infra {
namespace {
namespace json = boost::json;

void pretty(const json::value& v, std::string& out, int indent) {
  const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
  const std::string close(static_cast<std::size_t>(indent), ' ');
  if (v.is_object() && !v.as_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [key, value] : v.as_object()) {
      out += (first ? "" : ",\n") + pad + json::serialize(json::string(key)) + ": ";
      pretty(value, out, indent + 2);
      first = false;
    }
    out += "\n" + close + "}";
  } else if (v.is_array() && !v.as_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& value : v.as_array()) {
      out += (first ? "" : ",\n") + pad;
      pretty(value, out, indent + 2);
      first = false;
    }
    out += "\n" + close + "]";
  } else {
    out += json::serialize(v);
  }
}

std::string snapshotText(const StackSpec& stack) {
  json::object doc = stack.template_.toJson();
  for (auto& [id, resource] : doc.at("Resources").as_object()) {
    auto& r = resource.as_object();
    if (r.at("Type") == "AWS::EC2::LaunchTemplate") {
      r.at("Properties").as_object().at("LaunchTemplateData").as_object()["UserData"] =
          "<user data: see tests/unit/infra/instance>";
    }
  }
  std::string out;
  pretty(doc, out, 0);
  return out + "\n";
}

std::filesystem::path snapshotPath(const std::string& stack_name) {
  return std::filesystem::path(OH_SNAPSHOT_DIR) / (stack_name + ".json");
}

bool updating() {
  const char* update = std::getenv("OH_UPDATE_SNAPSHOTS");
  return update != nullptr && std::string(update) == "1";
}

class SnapshotTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SnapshotTest, TemplateMatchesSnapshot) {
  const auto app = testing::testApp();
  const auto& stack = testing::stackNamed(app, GetParam());
  const std::string actual = snapshotText(stack);
  const auto path = snapshotPath(stack.name);
  if (updating()) {
    std::ofstream(path, std::ios::binary) << actual;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path << " is missing: run with OH_UPDATE_SNAPSHOTS=1";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(expected.str(), actual) << stack.name << " changed: review the diff, then run with OH_UPDATE_SNAPSHOTS=1";
}

INSTANTIATE_TEST_SUITE_P(AllStacks, SnapshotTest,
                         ::testing::Values("OpenHands-Auth", "OpenHands-Network", "OpenHands-Monitoring",
                                           "OpenHands-Security", "OpenHands-Database", "OpenHands-Compute",
                                           "OpenHands-Edge"),
                         [](const auto& param_info) {
                           std::string name = param_info.param.substr(std::string("OpenHands-").size());
                           return name;
                         });

// OH_DUMP_TEMPLATES=DIR writes the unmasked templates there (for cfn-lint by hand).
TEST(SnapshotDumpTest, WritesUnmaskedTemplatesWhenAsked) {
  const char* dir = std::getenv("OH_DUMP_TEMPLATES");
  if (dir == nullptr) {
    GTEST_SKIP() << "set OH_DUMP_TEMPLATES=DIR to write the templates";
  }
  for (const auto& stack : testing::testApp()) {
    std::string out;
    pretty(stack.template_.toJson(), out, 0);
    std::ofstream file(std::filesystem::path(dir) / (stack.name + ".json"), std::ios::binary);
    file << out << "\n";
    EXPECT_TRUE(file.good()) << stack.name;
  }
}

TEST(SnapshotFormatTest, PrettyPrintingKeepsOrderAndRoundTrips) {
  const json::value doc = json::parse(R"({"b":[1,{"x":"y"}],"a":{},"c":[]})");
  std::string out;
  pretty(doc, out, 0);
  EXPECT_EQ(out, "{\n  \"b\": [\n    1,\n    {\n      \"x\": \"y\"\n    }\n  ],\n  \"a\": {},\n  \"c\": []\n}");
  EXPECT_EQ(json::parse(out), doc);
}

}  // namespace
}  // namespace oh::infra
