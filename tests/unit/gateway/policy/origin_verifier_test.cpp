// Tests for OriginVerifier (the comparison and the secret files) and OriginCheck (reload).

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>
#include <fstream>
#include <string>
#include <sys/stat.h>

#include "policy/origin_verifier.h"

namespace oh::gateway {
namespace {

// 32 characters, like the deployment's generated secrets.
constexpr std::string_view kCurrent = "c0ffee-current-secret-0123456789";
constexpr std::string_view kPrevious = "beef00-previous-secret-987654321";

class SecretFiles : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/oh-origin-test-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, std::string_view content, mode_t mode = 0600) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    chmod(path.c_str(), mode);
    return path;
  }

  std::string dir_;
};

// This test verifies the exact current secret is accepted.
TEST(OriginVerifier, EqualAccepted) {
  OriginVerifier verifier{std::string(kCurrent), ""};
  EXPECT_TRUE(verifier.verify(kCurrent));
}

// This test verifies a different value of the same length is refused.
TEST(OriginVerifier, UnequalRefused) {
  OriginVerifier verifier{std::string(kCurrent), ""};
  std::string wrong(kCurrent);
  wrong.back() = 'X';
  EXPECT_FALSE(verifier.verify(wrong));
  wrong = std::string(kCurrent);
  wrong.front() = 'X';
  EXPECT_FALSE(verifier.verify(wrong));
}

// This test verifies a prefix of the secret is refused.
TEST(OriginVerifier, PrefixRefused) {
  OriginVerifier verifier{std::string(kCurrent), ""};
  EXPECT_FALSE(verifier.verify(kCurrent.substr(0, kCurrent.size() - 1)));
  EXPECT_FALSE(verifier.verify(kCurrent.substr(0, 1)));
}

// This test verifies the secret with extra bytes is refused.
TEST(OriginVerifier, LongerRefused) {
  OriginVerifier verifier{std::string(kCurrent), ""};
  EXPECT_FALSE(verifier.verify(std::string(kCurrent) + "x"));
  EXPECT_FALSE(verifier.verify(std::string(kCurrent) + '\0'));
  EXPECT_FALSE(verifier.verify(std::string(kCurrent) + std::string(kCurrent)));
}

// This test verifies an empty value never matches, even with no previous secret configured.
TEST(OriginVerifier, EmptyRefused) {
  OriginVerifier verifier{std::string(kCurrent), ""};
  EXPECT_FALSE(verifier.verify(""));
  EXPECT_FALSE(verifier.hasPrevious());
  OriginVerifier degenerate{"", ""};
  EXPECT_FALSE(degenerate.verify(""));
}

// This test verifies the previous secret is accepted during a rotation, and nothing else.
TEST(OriginVerifier, PreviousAccepted) {
  OriginVerifier verifier{std::string(kCurrent), std::string(kPrevious)};
  EXPECT_TRUE(verifier.hasPrevious());
  EXPECT_TRUE(verifier.verify(kCurrent));
  EXPECT_TRUE(verifier.verify(kPrevious));
  EXPECT_FALSE(verifier.verify("beef00-previous-secret-98765432"));
  EXPECT_FALSE(verifier.verify(""));
}

// This test verifies a 1 MB presented value is simply refused.
TEST(OriginVerifier, HugeValueRefused) {
  OriginVerifier verifier{std::string(kCurrent), std::string(kPrevious)};
  EXPECT_FALSE(verifier.verify(std::string(1 << 20, 'a')));
}

// This test verifies files are read with surrounding whitespace trimmed.
TEST_F(SecretFiles, ReadsAndTrims) {
  const std::string current = write("current", "  " + std::string(kCurrent) + "\r\n\n");
  const std::string previous = write("previous", std::string(kPrevious) + "\n");
  std::string error;
  auto verifier = OriginVerifier::fromFiles(current, previous, error);
  ASSERT_TRUE(verifier) << error;
  EXPECT_TRUE(verifier->verify(kCurrent));
  EXPECT_TRUE(verifier->verify(kPrevious));
  EXPECT_FALSE(verifier->verify(std::string(kCurrent) + "\n"));
}

// This test verifies a missing current file is an error naming it.
TEST_F(SecretFiles, MissingCurrentFile) {
  std::string error;
  EXPECT_FALSE(OriginVerifier::fromFiles(dir_ + "/absent", "", error));
  EXPECT_NE(error.find(dir_ + "/absent"), std::string::npos) << error;
}

// This test verifies a missing previous file is an error too (a typo should not pass silently).
TEST_F(SecretFiles, MissingPreviousFile) {
  const std::string current = write("current", kCurrent);
  std::string error;
  EXPECT_FALSE(OriginVerifier::fromFiles(current, dir_ + "/absent", error));
  EXPECT_NE(error.find("absent"), std::string::npos);
}

// This test verifies empty, whitespace-only and short secrets are refused.
TEST_F(SecretFiles, ShortSecretsRefused) {
  for (std::string_view content : {"", "   \n", "short", "fifteen-chars15"}) {
    const std::string current = write("current", content);
    std::string error;
    EXPECT_FALSE(OriginVerifier::fromFiles(current, "", error)) << content;
    EXPECT_NE(error.find("at least 16 bytes"), std::string::npos) << error;
  }
  const std::string exactly16 = write("current16", "sixteen-chars-16");
  std::string error;
  EXPECT_TRUE(OriginVerifier::fromFiles(exactly16, "", error)) << error;
}

// This test verifies a short previous secret is refused as well.
TEST_F(SecretFiles, ShortPreviousRefused) {
  const std::string current = write("current", kCurrent);
  const std::string previous = write("previous", "x");
  std::string error;
  EXPECT_FALSE(OriginVerifier::fromFiles(current, previous, error));
}

// This test verifies an oversized file is refused without being read whole.
TEST_F(SecretFiles, HugeFileRefused) {
  const std::string current = write("current", std::string(1 << 20, 'a'));
  std::string error;
  EXPECT_FALSE(OriginVerifier::fromFiles(current, "", error));
  EXPECT_NE(error.find("larger than"), std::string::npos);
}

// This test verifies a directory is not accepted as a secret file.
TEST_F(SecretFiles, DirectoryRefused) {
  std::string error;
  EXPECT_FALSE(OriginVerifier::fromFiles(dir_, "", error));
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
}

// This test verifies a FIFO in place of the file is refused instead of blocking forever.
TEST_F(SecretFiles, FifoRefusedWithoutBlocking) {
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string error;
  EXPECT_FALSE(OriginVerifier::fromFiles(fifo, "", error));
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
}

// This test verifies no configured file is an error, not an empty secret.
TEST_F(SecretFiles, EmptyPathRefused) {
  std::string error;
  EXPECT_FALSE(OriginVerifier::fromFiles("", "", error));
  EXPECT_FALSE(error.empty());
}

// This test verifies a file group or others may read is refused (issue 16: it used to be only
// a warning), the error naming the file, its mode and the fix; the previous file too.
TEST_F(SecretFiles, WideModeRefused) {
  const std::string current = write("current", kCurrent, 0644);
  std::string error;
  EXPECT_FALSE(OriginVerifier::fromFiles(current, "", error));
  EXPECT_NE(error.find(current), std::string::npos) << error;
  EXPECT_NE(error.find("644"), std::string::npos) << error;
  EXPECT_NE(error.find("chmod 600 " + current), std::string::npos) << error;
  const std::string good = write("good", kCurrent);
  const std::string previous = write("previous", kPrevious, 0640);
  error.clear();
  EXPECT_FALSE(OriginVerifier::fromFiles(good, previous, error));
  EXPECT_NE(error.find(previous), std::string::npos) << error;
}

// This test verifies a reload picks up a rotated pair.
TEST_F(SecretFiles, ReloadRotates) {
  const std::string current = write("current", kCurrent);
  const std::string previous = write("previous", kPrevious);
  std::string error;
  auto check = OriginCheck::create(current, previous, error);
  ASSERT_TRUE(check) << error;
  EXPECT_TRUE(check->verify(kCurrent));

  const std::string next = "0a1b2c-next-secret-000000000000";
  write("current", next);
  write("previous", kCurrent);
  ASSERT_TRUE(check->reload(error)) << error;
  EXPECT_TRUE(check->verify(next));
  EXPECT_TRUE(check->verify(kCurrent));
  EXPECT_FALSE(check->verify(kPrevious));
}

// This test verifies a failed reload keeps the old secrets in force.
TEST_F(SecretFiles, ReloadFailureKeepsOld) {
  const std::string current = write("current", kCurrent);
  std::string error;
  auto check = OriginCheck::create(current, "", error);
  ASSERT_TRUE(check) << error;
  write("current", "tiny");
  EXPECT_FALSE(check->reload(error));
  EXPECT_NE(error.find("at least 16 bytes"), std::string::npos);
  EXPECT_TRUE(check->verify(kCurrent));
  EXPECT_FALSE(check->verify("tiny"));
  std::filesystem::remove(current);
  EXPECT_FALSE(check->reload(error));
  EXPECT_TRUE(check->verify(kCurrent));
}

// This test verifies verify() from several threads while another thread reloads: every check
// sees one whole pair (old or new), never a torn one (ASan/UBSan would flag misuse).
TEST_F(SecretFiles, ReloadWhileVerifying) {
  const std::string current = write("current", kCurrent);
  std::string error;
  auto check = OriginCheck::create(current, "", error);
  ASSERT_TRUE(check) << error;
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        if (check->verify("not-the-secret-at-all")) {
          wrong.fetch_add(1);
        }
        (void)check->verify(kCurrent);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    std::string reload_error;
    EXPECT_TRUE(check->reload(reload_error)) << reload_error;
  }
  stop.store(true);
  for (auto& reader : readers) {
    reader.join();
  }
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_TRUE(check->verify(kCurrent));
}

// This test verifies create() refuses when the files are bad.
TEST_F(SecretFiles, CreateFails) {
  std::string error;
  EXPECT_EQ(OriginCheck::create(dir_ + "/none", "", error), nullptr);
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace oh::gateway
