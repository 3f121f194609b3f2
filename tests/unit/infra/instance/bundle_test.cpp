#include "instance/bundle.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace oh::infra::instance {
namespace {

// This test verifies the archive layout: 512-byte blocks, ustar magic, name without '/', end blocks.
TEST(BundleTest, UstarLayout) {
  const auto tar = tarArchive({BundleFile{"/etc/a.txt", 0600, "hello"}});
  ASSERT_EQ(tar.size(), 512u + 512u + 1024u);
  EXPECT_EQ(tar.substr(0, 9), std::string("etc/a.txt") );
  EXPECT_EQ(tar[9], '\0');
  EXPECT_EQ(tar.substr(257, 6), std::string("ustar\0", 6));
  EXPECT_EQ(tar.substr(100, 7), "0000600");
  EXPECT_EQ(tar.substr(512, 5), "hello");
  EXPECT_EQ(tar.find_first_not_of('\0', 1024), std::string::npos);
}

// This test verifies hostile or unusable paths are refused.
TEST(BundleTest, RefusesBadPaths) {
  for (const char* bad : {"relative/x", "/", "/etc/../root/x", ""}) {
    EXPECT_THROW(tarArchive({BundleFile{bad, 0644, "x"}}), std::invalid_argument) << bad;
  }
  EXPECT_THROW(tarArchive({BundleFile{"/" + std::string(100, 'a'), 0644, "x"}}), std::invalid_argument);
  EXPECT_NO_THROW(tarArchive({BundleFile{"/" + std::string(99, 'a'), 0644, "x"}}));
}

// This test verifies gzip output is stable and carries the gzip magic and mtime 0.
TEST(BundleTest, GzipIsDeterministic) {
  const std::string data(10000, 'x');
  const auto a = gzip(data);
  EXPECT_EQ(a, gzip(data));
  ASSERT_GT(a.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(a[0]), 0x1fu);
  EXPECT_EQ(static_cast<unsigned char>(a[1]), 0x8bu);
  EXPECT_EQ(a.substr(4, 4), std::string(4, '\0'));
  EXPECT_LT(a.size(), 200u);
  EXPECT_FALSE(gzip("").empty());
}

}  // namespace
}  // namespace oh::infra::instance
