#include "assembly/docker_asset.h"

#include <filesystem>
#include <fstream>
#include <random>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace oh::infra {
namespace {

namespace fs = std::filesystem;

class DockerAsset : public ::testing::Test {
protected:
  void SetUp() override {
    std::random_device random;
    root_ = fs::temp_directory_path() / ("oh-docker-asset-" + std::to_string(random()));
    fs::create_directories(root_ / "src/gateway");
    fs::create_directories(root_ / "cmake");
    fs::create_directories(root_ / "deploy");
    fs::create_directories(root_ / "docs");
    write("CMakeLists.txt", "project(x)\n");
    write("src/gateway/main.cpp", "int main() {}\n");
    write("cmake/Deps.cmake", "# deps\n");
    write("deploy/gateway.Dockerfile", "FROM debian:12\n");
    write("docs/readme.md", "not in the build context\n");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& relative, const std::string& content) {
    std::ofstream(root_ / relative, std::ios::binary | std::ios::trunc) << content;
  }
  fs::path root_;
};

TEST_F(DockerAsset, HashIsDeterministicAndFollowsTheBuildContext) {
  const auto first = gatewayImageAsset(root_);
  EXPECT_EQ(first.source_hash.size(), 64U);
  EXPECT_EQ(gatewayImageAsset(root_).source_hash, first.source_hash);
  EXPECT_EQ(gatewayImageAsset(root_ / "").source_hash, first.source_hash);  // trailing separator
  EXPECT_EQ(first.dockerfile, "deploy/gateway.Dockerfile");
  EXPECT_EQ(first.platform, "linux/arm64");
  EXPECT_EQ(fs::path(first.directory), root_.lexically_normal());

  write("docs/readme.md", "changed, but outside the context");
  EXPECT_EQ(gatewayImageAsset(root_).source_hash, first.source_hash);

  write("src/gateway/main.cpp", "int main() { return 1; }\n");
  const auto changed = gatewayImageAsset(root_).source_hash;
  EXPECT_NE(changed, first.source_hash);

  // A rename with the same content changes the hash too (paths are part of it).
  fs::rename(root_ / "src/gateway/main.cpp", root_ / "src/gateway/main2.cpp");
  EXPECT_NE(gatewayImageAsset(root_).source_hash, changed);
}

TEST_F(DockerAsset, PathAndContentBoundariesDoNotCollide) {
  const auto a = hashBuildContext(root_, {"src"});
  write("src/gateway/main.cpp", "");
  write("src/gateway/main.cppint main() {}\n", "");
  EXPECT_NE(hashBuildContext(root_, {"src"}), a);
}

TEST_F(DockerAsset, MissingRootStillHashes) {
  const auto asset = gatewayImageAsset(root_ / "does-not-exist");
  EXPECT_EQ(asset.source_hash.size(), 64U);
  EXPECT_NE(asset.source_hash, gatewayImageAsset(root_).source_hash);
}

TEST_F(DockerAsset, ImageUriIsTheDefaultSynthesizersSub) {
  DockerImageAsset asset;
  asset.source_hash = "abc123";
  EXPECT_EQ(boost::json::serialize(dockerImageUri(asset)),
            R"({"Fn::Sub":"${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}:abc123"})");
}

}  // namespace
}  // namespace oh::infra
