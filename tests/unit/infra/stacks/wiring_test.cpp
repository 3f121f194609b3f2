// How the stacks fit together: every import names an export of an earlier stack in the same
// region that it depends on, every Ref and GetAtt names something in its own template, and
// every template stays inside CloudFormation's limits.
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "test_app.h"

namespace oh::infra {
namespace {
namespace json = boost::json;

void visit(const json::value& node, const std::function<void(const json::object&)>& on_object) {
  if (node.is_array()) {
    for (const auto& element : node.as_array()) {
      visit(element, on_object);
    }
  } else if (node.is_object()) {
    on_object(node.as_object());
    for (const auto& [key, value] : node.as_object()) {
      visit(value, on_object);
    }
  }
}

TEST(WiringTest, EveryImportIsAnExportOfADependencyInTheSameRegion) {
  const auto app = testing::testApp();
  std::map<std::string, const StackSpec*> exporter;  // export name -> stack
  for (const auto& stack : app) {
    const auto doc = stack.template_.toJson();
    if (const auto* outputs = doc.if_contains("Outputs")) {
      for (const auto& [id, output] : outputs->as_object()) {
        if (const auto* name = output.as_object().if_contains("Export")) {
          EXPECT_TRUE(exporter.emplace(std::string(name->at("Name").as_string()), &stack).second) << "duplicate export";
        }
      }
    }
  }
  std::size_t imports = 0;
  for (const auto& stack : app) {
    visit(stack.template_.toJson().at("Resources"), [&](const json::object& object) {
      const auto* imported = object.if_contains("Fn::ImportValue");
      if (imported == nullptr) {
        return;
      }
      ++imports;
      ASSERT_TRUE(imported->is_string()) << stack.name;
      const auto found = exporter.find(std::string(imported->as_string()));
      ASSERT_NE(found, exporter.end()) << stack.name << " imports unknown " << imported->as_string();
      EXPECT_EQ(found->second->region, stack.region) << stack.name << " imports across regions";
      const auto& deps = stack.dependencies;
      EXPECT_NE(std::find(deps.begin(), deps.end(), found->second->name), deps.end())
          << stack.name << " imports from " << found->second->name << " without depending on it";
    });
  }
  EXPECT_GT(imports, 20u);
}

TEST(WiringTest, RefsAndGetAttsNameSomethingInTheirOwnTemplate) {
  for (const auto& stack : testing::testApp(testing::minimalContext())) {
    const auto doc = stack.template_.toJson();
    std::set<std::string> names;
    for (const char* section : {"Resources", "Parameters"}) {
      if (const auto* entries = doc.if_contains(section)) {
        for (const auto& [id, entry] : entries->as_object()) {
          names.insert(std::string(id));
        }
      }
    }
    visit(doc, [&](const json::object& object) {
      if (const auto* ref = object.if_contains("Ref"); ref != nullptr && object.size() == 1) {
        const std::string name(ref->as_string());
        EXPECT_TRUE(names.count(name) == 1 || name.rfind("AWS::", 0) == 0) << stack.name << " Ref " << name;
      }
      if (const auto* att = object.if_contains("Fn::GetAtt"); att != nullptr && object.size() == 1) {
        const std::string name(att->as_array().at(0).as_string());
        EXPECT_EQ(names.count(name), 1u) << stack.name << " GetAtt " << name;
      }
    });
  }
}

TEST(WiringTest, TemplatesStayInsideCloudFormationLimits) {
  for (const auto& stack : testing::testApp()) {
    const auto doc = stack.template_.toJson();
    EXPECT_LT(json::serialize(doc).size(), 1'000'000u) << stack.name;  // template body via S3
    EXPECT_LE(doc.at("Resources").as_object().size(), 500u) << stack.name;
    if (const auto* outputs = doc.if_contains("Outputs")) {
      EXPECT_LE(outputs->as_object().size(), 200u) << stack.name;
    }
  }
}

}  // namespace
}  // namespace oh::infra
