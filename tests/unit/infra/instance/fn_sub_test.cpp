#include "instance/fn_sub.h"

#include <gtest/gtest.h>

namespace oh::infra::instance {
namespace {

// This test verifies that escaping then resolving gives the original text back.
TEST(FnSubTest, EscapeRoundTrips) {
  const std::string text = "a ${x} b ${!y} $z $ {}";
  const auto resolved = resolveSub(escapeForSub(text), {});
  EXPECT_EQ(resolved.text, text);
  EXPECT_TRUE(resolved.unresolved.empty());
}

// This test verifies variables are substituted and ${!X} becomes the literal ${X}.
TEST(FnSubTest, ResolvesVariablesAndLiterals) {
  const auto resolved = resolveSub("r=${Region} a=${!aws:AutoScalingGroupName} $HOME", {{"Region", "eu-west-1"}});
  EXPECT_EQ(resolved.text, "r=eu-west-1 a=${aws:AutoScalingGroupName} $HOME");
  EXPECT_TRUE(resolved.unresolved.empty());
  EXPECT_FALSE(resolved.unterminated);
}

// This test verifies unknown names are reported and kept as written.
TEST(FnSubTest, ReportsUnresolved) {
  const auto resolved = resolveSub("${A}${B}${A}", {{"B", "b"}});
  EXPECT_EQ(resolved.text, "${A}b${A}");
  EXPECT_EQ(resolved.unresolved, (std::vector<std::string>{"A", "A"}));
}

// This test verifies a "${" without a closing brace is flagged, not read past the end.
TEST(FnSubTest, FlagsUnterminated) {
  const auto resolved = resolveSub("x ${Region", {{"Region", "r"}});
  EXPECT_TRUE(resolved.unterminated);
  EXPECT_EQ(resolved.text, "x ${Region");
}

// This test verifies names are listed once each, in order, and literals are not names.
TEST(FnSubTest, ListsVariableNames) {
  EXPECT_EQ(subVariableNames("${B} ${A} ${!C} ${B} ${AWS::Region}"),
            (std::vector<std::string>{"B", "A", "AWS::Region"}));
  EXPECT_TRUE(subVariableNames("").empty());
  EXPECT_TRUE(subVariableNames("$$ $ {x}").empty());
}

// This test verifies a large hostile input (many openings) is handled linearly and exactly.
TEST(FnSubTest, HostileInput) {
  std::string text(100000, '$');
  text += "${";
  const auto resolved = resolveSub(text, {});
  EXPECT_TRUE(resolved.unterminated);
  EXPECT_EQ(resolved.text, text);
  EXPECT_EQ(escapeForSub("${${"), "${!${!");
}

}  // namespace
}  // namespace oh::infra::instance
