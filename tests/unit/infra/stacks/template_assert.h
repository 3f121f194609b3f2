#pragma once
// Template assertions in the style of the CDK's `Template.fromStack(stack)`:
//
//   auto t = TemplateAssert::of(stack.template_);
//   EXPECT_TRUE(t.hasResourceProperties("AWS::S3::Bucket", R"({"VersioningConfiguration": {"Status": "Enabled"}})"));
//   EXPECT_TRUE(t.resourceCountIs("AWS::EC2::VPCEndpoint", 9));
//
// Matching is partial for objects (every expected key must match, recursively; extra keys are
// fine) and exact in length for arrays (element by element, each partial). Two markers:
//   {"$arrayWith": [a, b]}  the actual array contains elements matching a and b, in any order;
//   {"$absent": true}       the key must not be present.
// Each check returns a ::testing::AssertionResult whose message shows what was found.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "cfn/template.h"

namespace oh::infra::testing {

// True when `actual` matches `expected` as described above; `why` names the first mismatch.
inline bool jsonMatches(const boost::json::value& expected, const boost::json::value& actual, std::string& why,
                        const std::string& path = "$") {
  namespace json = boost::json;
  if (expected.is_object()) {
    const auto& e = expected.as_object();
    if (const auto* with = e.if_contains("$arrayWith"); with != nullptr && e.size() == 1) {
      if (!actual.is_array()) {
        why = path + ": expected an array";
        return false;
      }
      for (const auto& wanted : with->as_array()) {
        bool found = false;
        for (const auto& element : actual.as_array()) {
          std::string ignored;
          found = found || jsonMatches(wanted, element, ignored, path + "[*]");
        }
        if (!found) {
          why = path + ": no element matches " + json::serialize(wanted);
          return false;
        }
      }
      return true;
    }
    if (!actual.is_object()) {
      why = path + ": expected an object, found " + json::serialize(actual);
      return false;
    }
    const auto& a = actual.as_object();
    for (const auto& [key, value] : e) {
      const std::string child = path + "." + std::string(key);
      const bool want_absent = value.is_object() && value.as_object().if_contains("$absent") != nullptr;
      const auto* found = a.if_contains(key);
      if (want_absent) {
        if (found != nullptr) {
          why = child + ": expected absent, found " + json::serialize(*found);
          return false;
        }
        continue;
      }
      if (found == nullptr) {
        why = child + ": missing";
        return false;
      }
      if (!jsonMatches(value, *found, why, child)) {
        return false;
      }
    }
    return true;
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.as_array().size() != expected.as_array().size()) {
      why = path + ": expected " + json::serialize(expected) + ", found " + json::serialize(actual);
      return false;
    }
    for (std::size_t i = 0; i < expected.as_array().size(); ++i) {
      if (!jsonMatches(expected.as_array()[i], actual.as_array()[i], why, path + "[" + std::to_string(i) + "]")) {
        return false;
      }
    }
    return true;
  }
  // Numbers compare by value, so 1 matches 1.0.
  if (expected.is_number() && actual.is_number()) {
    if (expected.to_number<double>() == actual.to_number<double>()) {
      return true;
    }
  } else if (expected == actual) {
    return true;
  }
  why = path + ": expected " + json::serialize(expected) + ", found " + json::serialize(actual);
  return false;
}

class TemplateAssert {
public:
  static TemplateAssert of(const cfn::Template& t) { return TemplateAssert(t.toJson()); }
  static TemplateAssert of(boost::json::object document) { return TemplateAssert(std::move(document)); }

  const boost::json::object& json() const { return doc_; }

  // Every resource of `type` (logical ID, resource JSON).
  std::vector<std::pair<std::string, boost::json::object>> resourcesOfType(std::string_view type) const {
    std::vector<std::pair<std::string, boost::json::object>> out;
    for (const auto& [id, resource] : doc_.at("Resources").as_object()) {
      if (resource.as_object().at("Type").as_string() == type) {
        out.emplace_back(std::string(id), resource.as_object());
      }
    }
    return out;
  }

  ::testing::AssertionResult resourceCountIs(std::string_view type, std::size_t count) const {
    const auto found = resourcesOfType(type).size();
    if (found == count) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected " << count << " " << type << ", found " << found;
  }

  // Some resource of `type` has Properties matching `expected` (partially).
  ::testing::AssertionResult hasResourceProperties(std::string_view type, std::string_view expected) const {
    return hasResourceProperties(type, boost::json::parse(expected));
  }
  ::testing::AssertionResult hasResourceProperties(std::string_view type, const char* expected) const {
    return hasResourceProperties(type, std::string_view(expected));
  }
  ::testing::AssertionResult hasResourceProperties(std::string_view type, const boost::json::value& expected) const {
    return hasResource(type, boost::json::object{{"Properties", expected}});
  }

  // Some resource of `type` matches `expected` as a whole (Properties, DeletionPolicy, ...).
  ::testing::AssertionResult hasResource(std::string_view type, std::string_view expected) const {
    return hasResource(type, boost::json::parse(expected));
  }
  ::testing::AssertionResult hasResource(std::string_view type, const char* expected) const {
    return hasResource(type, std::string_view(expected));
  }
  ::testing::AssertionResult hasResource(std::string_view type, const boost::json::value& expected) const {
    std::string reasons;
    const auto resources = resourcesOfType(type);
    for (const auto& [id, resource] : resources) {
      std::string why;
      if (jsonMatches(expected, resource, why)) {
        return ::testing::AssertionSuccess();
      }
      reasons += "\n  " + id + ": " + why;
    }
    return ::testing::AssertionFailure() << "no " << type << " matches " << boost::json::serialize(expected)
                                         << (resources.empty() ? " (none of that type)" : reasons);
  }

  // The resource with this logical ID matches `expected` (partially).
  ::testing::AssertionResult resourceMatches(const std::string& logical_id, std::string_view expected) const {
    const auto* resource = doc_.at("Resources").as_object().if_contains(logical_id);
    if (resource == nullptr) {
      return ::testing::AssertionFailure() << "no resource " << logical_id;
    }
    std::string why;
    if (jsonMatches(boost::json::parse(expected), *resource, why)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << logical_id << why.substr(1);
  }

  ::testing::AssertionResult hasOutput(const std::string& logical_id, std::string_view expected = "{}") const {
    const auto* outputs = doc_.if_contains("Outputs");
    const auto* output = outputs == nullptr ? nullptr : outputs->as_object().if_contains(logical_id);
    if (output == nullptr) {
      return ::testing::AssertionFailure() << "no output " << logical_id;
    }
    std::string why;
    if (jsonMatches(boost::json::parse(expected), *output, why)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "output " << logical_id << why.substr(1);
  }

  ::testing::AssertionResult hasParameter(const std::string& logical_id, std::string_view expected = "{}") const {
    const auto* parameters = doc_.if_contains("Parameters");
    const auto* parameter = parameters == nullptr ? nullptr : parameters->as_object().if_contains(logical_id);
    if (parameter == nullptr) {
      return ::testing::AssertionFailure() << "no parameter " << logical_id;
    }
    std::string why;
    if (jsonMatches(boost::json::parse(expected), *parameter, why)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "parameter " << logical_id << why.substr(1);
  }

private:
  explicit TemplateAssert(boost::json::object doc) : doc_(std::move(doc)) {}
  boost::json::object doc_;
};

}  // namespace oh::infra::testing
