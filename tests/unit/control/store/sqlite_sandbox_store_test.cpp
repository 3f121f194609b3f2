// What only the SQLite store does: its file and directory, its journal, a damaged file.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "store/sandbox_store.h"
#include "unit/control/store/store_under_test.h"

namespace oh::control {
namespace {

namespace fs = std::filesystem;

std::string pathOf(const std::string& url) { return url.substr(std::string("sqlite://").size()); }

unsigned modeOf(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777u : 0u;
}

class SqliteSandboxStore : public ::testing::Test {
protected:
  void SetUp() override {
    std::string error;
    backend_ = testing::storeUnderTest(testing::Backend::sqlite, error);
    ASSERT_NE(backend_, nullptr) << error;
    url_ = backend_->fresh();
  }
  testing::StoreUnderTest* backend_ = nullptr;
  std::string url_;
};

// This test verifies the file is created 0600 in a new directory 0700 (keys sealed or not, the
// store is nobody else's to read), WAL journal included.
TEST_F(SqliteSandboxStore, CreatesAPrivateFileInAPrivateDirectory) {
  const fs::path file = pathOf(url_);
  ASSERT_FALSE(fs::exists(file.parent_path()));
  const mode_t old_mask = ::umask(0);  // the modes must not depend on the caller's umask
  auto store = openSandboxStore(url_);
  ::umask(old_mask);
  ASSERT_TRUE(store) << store.error().reason;
  EXPECT_EQ(modeOf(file.parent_path()), 0700u);
  EXPECT_EQ(modeOf(file), 0600u);
  ASSERT_TRUE(fs::exists(file.string() + "-wal")) << "not in WAL mode";
  EXPECT_EQ(modeOf(file.string() + "-wal"), 0600u);
}

// This test verifies that a file that is not a database is refused with a reason, not a crash.
TEST_F(SqliteSandboxStore, AFileThatIsNotADatabaseIsRefused) {
  const fs::path file = pathOf(url_);
  fs::create_directories(file.parent_path());
  {
    std::ofstream garbage(file, std::ios::binary);
    for (int i = 0; i < 8192; ++i) {
      garbage.put(static_cast<char>((i * 7919) % 251));
    }
  }
  auto store = openSandboxStore(url_);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().reason.find(url_), std::string::npos) << store.error().reason;
  EXPECT_NE(store.error().reason.find("not a database"), std::string::npos) << store.error().reason;
}

// This test verifies that a database whose pages were damaged after it was written fails with a
// reason on use rather than crashing.
TEST_F(SqliteSandboxStore, DamagedPagesAreAFailureNotACrash) {
  const fs::path file = pathOf(url_);
  {
    auto store = openSandboxStore(url_);
    ASSERT_TRUE(store) << store.error().reason;
    SandboxRecord record;
    record.owner = "o";
    for (int i = 0; i < 200; ++i) {
      record.id = "s" + std::to_string(i);
      record.spec.image = std::string(500, 'x');
      ASSERT_TRUE((*store)->insert(record).value());
    }
  }
  // Checkpointed into the main file by the close; overwrite everything after the header page.
  const auto size = fs::file_size(file);
  ASSERT_GT(size, 8192u);
  {
    std::fstream damage(file, std::ios::in | std::ios::out | std::ios::binary);
    damage.seekp(4096);
    for (std::uintmax_t i = 4096; i < size; ++i) {
      damage.put(static_cast<char>(0xA5));
    }
  }
  // Opening reads the schema's pages (migration check); if those survived, listing reads the rest.
  std::string reason;
  auto store = openSandboxStore(url_);
  if (!store) {
    reason = store.error().reason;
  } else {
    auto listed = (*store)->list(std::nullopt);
    ASSERT_FALSE(listed) << "a damaged database listed without complaint";
    reason = listed.error().reason;
  }
  EXPECT_NE(reason.find(url_), std::string::npos) << reason;
  EXPECT_NE(reason.find("malformed"), std::string::npos) << reason;
}

// This test verifies that a directory where the file should be is a clear failure.
TEST_F(SqliteSandboxStore, ADirectoryInThePlaceOfTheFileIsRefused) {
  fs::create_directories(pathOf(url_));
  auto store = openSandboxStore(url_);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().reason.find(pathOf(url_)), std::string::npos) << store.error().reason;
}

}  // namespace
}  // namespace oh::control
