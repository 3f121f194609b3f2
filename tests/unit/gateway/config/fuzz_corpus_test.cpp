// Runs parseSettings over the fuzz seeds (fuzz/corpus/config/) in the ordinary test build, so
// the inputs fuzz_config once crashed on stay fixed under ASan/UBSan even where no fuzzer runs.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/load_settings.h"

namespace oh::gateway {
namespace {

// This test verifies every seed parses to settings or problems, and the regressions to problems.
TEST(ConfigFuzzCorpus, SeedsParseWithoutCrashing) {
  const std::filesystem::path corpus = std::filesystem::path(OH_SOURCE_DIR) / "fuzz/corpus/config";
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto result = parseSettings(text.str(), entry.path().filename().string());
    if (entry.path().filename().string().starts_with("regression_")) {
      EXPECT_TRUE(std::holds_alternative<std::vector<ConfigProblem>>(result)) << entry.path();
    }
    ++seen;
  }
  EXPECT_GE(seen, 5u);
}

}  // namespace
}  // namespace oh::gateway
