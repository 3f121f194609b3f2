#include "http/gateway_snapshot.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

class GatewaySnapshotTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "oh-snapshot-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string writeSecret(const std::string& name, const std::string& value) {
    const auto path = (dir_ / name).string();
    std::ofstream(path) << value << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return path;
  }

  std::filesystem::path dir_;
};

SnapshotPtr build(const Settings& settings, const GatewaySnapshot* previous = nullptr) {
  auto result = buildSnapshot(std::make_shared<const Settings>(settings), previous);
  if (auto* error = std::get_if<std::string>(&result)) {
    ADD_FAILURE() << *error;
    return nullptr;
  }
  return std::get<SnapshotPtr>(result);
}

// This test verifies the origin check can be off only in local mode.
TEST_F(GatewaySnapshotTest, OriginOffOnlyInLocalMode) {
  Settings settings;
  settings.mode = Mode::local;
  settings.origin.enabled = false;
  EXPECT_FALSE(originCheckRequired(settings));
  settings.mode = Mode::aws;
  EXPECT_TRUE(originCheckRequired(settings));
  settings.origin.enabled = true;
  settings.mode = Mode::local;
  EXPECT_TRUE(originCheckRequired(settings));
}

// This test verifies secrets are loaded and both current and previous are accepted.
TEST_F(GatewaySnapshotTest, SecretsLoaded) {
  Settings settings;
  settings.mode = Mode::aws;
  settings.origin.current_secret_file = writeSecret("current", "current-secret-0123456789");
  settings.origin.previous_secret_file = writeSecret("previous", "previous-secret-0123456789");
  const auto snapshot = build(settings);
  ASSERT_TRUE(snapshot);
  ASSERT_TRUE(snapshot->origin);
  EXPECT_TRUE(snapshot->origin->verify("current-secret-0123456789"));
  EXPECT_TRUE(snapshot->origin->verify("previous-secret-0123456789"));
  EXPECT_FALSE(snapshot->origin->verify("other-secret-0123456789"));
}

// This test verifies a missing secret file is a problem that names the origin settings.
TEST_F(GatewaySnapshotTest, MissingSecretIsAnError) {
  Settings settings;
  settings.mode = Mode::aws;
  settings.origin.current_secret_file = (dir_ / "absent").string();
  const auto result = buildSnapshot(std::make_shared<const Settings>(settings), nullptr);
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
  EXPECT_EQ(std::get<std::string>(result).rfind("origin", 0), 0u);
}

// This test verifies a bad trusted proxy entry is reported.
TEST_F(GatewaySnapshotTest, BadTrustedProxy) {
  Settings settings;
  settings.origin.enabled = false;
  settings.rate_limit.trusted_proxies = {"not-an-address"};
  const auto result = buildSnapshot(std::make_shared<const Settings>(settings), nullptr);
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
  EXPECT_NE(std::get<std::string>(result).find("rate_limit.trusted_proxies"), std::string::npos);
}

// This test verifies a reload keeps the rate limiter's buckets unless its parameters change.
TEST_F(GatewaySnapshotTest, RateLimiterKeptAcrossReload) {
  Settings settings;
  settings.origin.enabled = false;
  const auto first = build(settings);
  ASSERT_TRUE(first && first->limiter);
  const auto same = build(settings, first.get());
  ASSERT_TRUE(same);
  EXPECT_EQ(same->limiter, first->limiter);
  settings.rate_limit.burst = first->settings->rate_limit.burst + 1;
  const auto changed = build(settings, same.get());
  ASSERT_TRUE(changed);
  EXPECT_NE(changed->limiter, first->limiter);
  settings.rate_limit.enabled = false;
  const auto off = build(settings, changed.get());
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->limiter);
}

}  // namespace
}  // namespace oh::gateway
