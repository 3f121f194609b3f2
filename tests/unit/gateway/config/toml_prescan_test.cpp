// Tests for the text checks made before toml++ parses (config/toml_prescan.h), and that
// parseSettings reports them like any TOML error.

#include <gtest/gtest.h>

#include "config/load_settings.h"
#include "config/toml_prescan.h"
#include "config_test_util.h"

namespace oh::gateway {
namespace {

using config_prescan::findForbiddenCharacter;

// This test verifies ordinary TOML passes, with non-ASCII text in strings and comments.
TEST(TomlPrescan, AcceptsValidText) {
  for (std::string_view text : {
           "", "mode = \"local\"\n", "# caf\xc3\xa9\nmode = 'local' # \xe2\x9c\x93\n",
           "a = \"\xc3\xa9\\\"\xc3\xa9\"\n", "a = 'x\\'\n", "a = \"\"\"\n\xc3\xa9 \"\" \\\"\"\" \xc3\xa9\n\"\"\"\n",
           "a = \"\"\"x\"\"\"\"\"\nb = 1\n", "a = '''\xc3\xa9'''''\n", "\"\xc3\xa9\" = 1\n", "'\xc3\xa9' = 1\n",
           "a = 1\r\nb = 2\r\n", "\ta\t=\t1\n"}) {
    EXPECT_EQ(findForbiddenCharacter(text), std::nullopt) << text;
  }
}

// This test verifies control characters are refused anywhere, with their position.
TEST(TomlPrescan, RefusesControlCharacters) {
  EXPECT_EQ(findForbiddenCharacter("[\x1a]"), "at line 1, column 2: control character U+001A (TOML allows only "
                                               "tab, line feed and carriage return; escape it inside strings)");
  EXPECT_NE(findForbiddenCharacter("a = 1\n# \x7f\n"), std::nullopt);
  EXPECT_NE(findForbiddenCharacter("a = \"\\\x01\""), std::nullopt);  // even escaped
  EXPECT_NE(findForbiddenCharacter(std::string("a = \"\0\"", 7)), std::nullopt);
  EXPECT_NE(findForbiddenCharacter("a = '''\x1b[31m'''"), std::nullopt);
}

// This test verifies non-ASCII characters outside strings and comments are refused.
TEST(TomlPrescan, RefusesNonAsciiOutsideStrings) {
  auto problem = findForbiddenCharacter("mode = \"local\"\nlog\xc3\xa9 = 1\n");
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("at line 2, column 4: non-ASCII character"), std::string::npos) << *problem;
  EXPECT_NE(findForbiddenCharacter("access_log \xc3\xbe" "79\n"), std::nullopt);
  EXPECT_NE(findForbiddenCharacter("a = 1\xc2\xa0\n"), std::nullopt);  // no-break space
  EXPECT_NE(findForbiddenCharacter("a = \"x\" \xc3\xa9\n"), std::nullopt);
  EXPECT_NE(findForbiddenCharacter("a = \"\"\"x\"\"\" \xc3\xa9\n"), std::nullopt);
  EXPECT_NE(findForbiddenCharacter("a = \"x\n\xc3\xa9"), std::nullopt);  // newline ends the bad string
}

// This test verifies parseSettings reports these as TOML errors naming the file.
TEST(TomlPrescan, ReportedByParseSettings) {
  const auto problems = testing::problemsOf("[\x1a]\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "");
  EXPECT_NE(problems[0].message.find("test.toml is not valid TOML at line 1, column 2: control character"),
            std::string::npos)
      << problems[0].message;
  EXPECT_EQ(testing::problemsOf("log \xc3\xbe 1\n").size(), 1u);
}

// This test verifies the inputs fuzz_config found are refused cleanly.
TEST(TomlPrescan, FuzzFindings) {
  EXPECT_FALSE(testing::problemsOf("server = 5\n[uxstream.url]\nx = 1\n[\x1alevel = 1\n").empty());
  EXPECT_FALSE(testing::problemsOf("[log]\naccess_log \xc3\xbe" "79-05-27T07:32:00Z\n").empty());
}

}  // namespace
}  // namespace oh::gateway
