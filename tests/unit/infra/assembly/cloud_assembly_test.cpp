#include "assembly/cloud_assembly.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace oh::infra {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  std::string out;
  char buffer[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(buffer, sizeof buffer, "%02x", digest[i]);
    out += buffer;
  }
  return out;
}

StackSpec stack(const std::string& name, const std::string& region, std::vector<std::string> dependencies = {}) {
  StackSpec spec;
  spec.name = name;
  spec.region = region;
  spec.dependencies = std::move(dependencies);
  spec.template_.addResource("Topic", "AWS::SNS::Topic", {{"TopicName", name}});
  return spec;
}

std::vector<StackSpec> sampleApp() {
  std::vector<StackSpec> stacks;
  stacks.push_back(stack("OpenHands-Auth", "us-east-1"));
  stacks.push_back(stack("OpenHands-Network", "us-west-2"));
  auto compute = stack("OpenHands-Compute", "us-west-2", {"OpenHands-Network"});
  compute.description = "Compute";
  compute.tags = {{"project", "openhands"}, {"a", "b"}};
  compute.template_.addParameter("Ami", {"AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                                         json::value("/aws/service/ami"), "", {}, false});
  DockerImageAsset image;
  image.source_hash = std::string(64, 'f');
  image.directory = "/project";
  image.dockerfile = "deploy/gateway.Dockerfile";
  compute.docker_images.push_back(image);
  stacks.push_back(std::move(compute));
  stacks.push_back(stack("OpenHands-Edge-X", "us-east-1", {"OpenHands-Compute", "OpenHands-Auth"}));
  return stacks;
}

const AssemblyFile& file(const std::vector<AssemblyFile>& files, const std::string& name) {
  for (const auto& f : files) {
    if (f.name == name) return f;
  }
  throw std::runtime_error("no file " + name);
}

json::object parsed(const std::vector<AssemblyFile>& files, const std::string& name) {
  return json::parse(file(files, name).content).as_object();
}

TEST(CloudAssembly, ManifestAsTheDefaultSynthesizerWritesIt) {
  const auto files = renderAssembly(sampleApp(), "/project/cdk.out");
  EXPECT_EQ(files.back().name, "manifest.json");
  EXPECT_EQ(file(files, "cdk.out").content, R"({"version":"55.0.0"})");
  const auto manifest = parsed(files, "manifest.json");
  EXPECT_EQ(manifest.at("version"), "55.0.0");
  const auto& artifacts = manifest.at("artifacts").as_object();
  EXPECT_EQ(artifacts.size(), 8U);

  const auto& assets = artifacts.at("OpenHands-Compute.assets").as_object();
  EXPECT_EQ(assets.at("type"), "cdk:asset-manifest");
  EXPECT_EQ(assets.at("properties").at("file"), "OpenHands-Compute.assets.json");
  EXPECT_EQ(assets.at("properties").at("requiresBootstrapStackVersion"), 6);

  const auto& compute = artifacts.at("OpenHands-Compute").as_object();
  EXPECT_EQ(compute.at("type"), "aws:cloudformation:stack");
  EXPECT_EQ(compute.at("environment"), "aws://unknown-account/us-west-2");
  EXPECT_EQ(compute.at("dependencies"), json::parse(R"(["OpenHands-Network","OpenHands-Compute.assets"])"));
  const auto& p = compute.at("properties").as_object();
  EXPECT_EQ(p.at("templateFile"), "OpenHands-Compute.template.json");
  EXPECT_EQ(p.at("validateOnSynth"), false);
  EXPECT_EQ(p.at("assumeRoleArn"),
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-deploy-role-${AWS::AccountId}-us-west-2");
  EXPECT_EQ(p.at("cloudFormationExecutionRoleArn"),
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-us-west-2");
  EXPECT_EQ(p.at("lookupRole").at("arn"),
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-lookup-role-${AWS::AccountId}-us-west-2");
  EXPECT_EQ(p.at("requiresBootstrapStackVersion"), 6);
  EXPECT_EQ(p.at("bootstrapStackVersionSsmParameter"), "/cdk-bootstrap/hnb659fds/version");
  EXPECT_EQ(p.at("additionalDependencies"), json::parse(R"(["OpenHands-Compute.assets"])"));
  EXPECT_EQ(p.at("tags"), json::parse(R"({"a":"b","project":"openhands"})"));
  EXPECT_TRUE(compute.at("metadata").as_object().contains("/OpenHands-Compute"));

  const auto template_hash = sha256Hex(file(files, "OpenHands-Compute.template.json").content);
  EXPECT_EQ(p.at("stackTemplateAssetObjectUrl"),
            json::value("s3://cdk-hnb659fds-assets-${AWS::AccountId}-us-west-2/" + template_hash + ".json"));

  const auto& edge = artifacts.at("OpenHands-Edge-X").as_object();
  EXPECT_EQ(edge.at("environment"), "aws://unknown-account/us-east-1");
  EXPECT_EQ(edge.at("dependencies"),
            json::parse(R"(["OpenHands-Compute","OpenHands-Auth","OpenHands-Edge-X.assets"])"));
  EXPECT_FALSE(artifacts.at("OpenHands-Auth").as_object().contains("metadata"));
}

TEST(CloudAssembly, TemplateGetsTheBootstrapVersionCheck) {
  const auto files = renderAssembly(sampleApp(), "/project/cdk.out");
  const std::string& text = file(files, "OpenHands-Compute.template.json").content;
  EXPECT_EQ(text.substr(0, 3), "{\n ");  // one-space indent, as aws-cdk-lib writes templates
  const auto t = json::parse(text).as_object();
  EXPECT_EQ(t.at("Description"), "Compute");
  const auto& parameters = t.at("Parameters").as_object();
  EXPECT_TRUE(parameters.contains("Ami"));
  EXPECT_EQ(parameters.at("BootstrapVersion"), json::parse(R"({"Type":"AWS::SSM::Parameter::Value<String>",
      "Default":"/cdk-bootstrap/hnb659fds/version",
      "Description":"Version of the CDK Bootstrap resources in this environment, automatically retrieved from SSM Parameter Store. [cdk:skip]"})"));
  EXPECT_EQ(t.at("Rules").at("CheckBootstrapVersion"), json::parse(R"({"Assertions":[{"Assert":{"Fn::Not":[{"Fn::Contains":[["1","2","3","4","5"],{"Ref":"BootstrapVersion"}]}]},
      "AssertDescription":"CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI."}]})"));
  EXPECT_TRUE(t.at("Resources").as_object().contains("Topic"));
}

TEST(CloudAssembly, AssetManifestPublishesTemplateAndImage) {
  const auto files = renderAssembly(sampleApp(), "/project/cdk.out");
  const auto assets = parsed(files, "OpenHands-Compute.assets.json");
  EXPECT_EQ(assets.at("version"), "55.0.0");
  const auto hash = sha256Hex(file(files, "OpenHands-Compute.template.json").content);
  const auto& template_asset = assets.at("files").at(hash).as_object();
  EXPECT_EQ(template_asset.at("source"), json::parse(R"({"path":"OpenHands-Compute.template.json","packaging":"file"})"));
  const auto& destination = template_asset.at("destinations").at("current_account-us-west-2").as_object();
  EXPECT_EQ(destination.at("bucketName"), "cdk-hnb659fds-assets-${AWS::AccountId}-us-west-2");
  EXPECT_EQ(destination.at("objectKey"), json::value(hash + ".json"));
  EXPECT_EQ(destination.at("region"), "us-west-2");
  EXPECT_EQ(destination.at("assumeRoleArn"),
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-file-publishing-role-${AWS::AccountId}-us-west-2");

  const auto& image = assets.at("dockerImages").at(std::string(64, 'f')).as_object();
  EXPECT_EQ(image.at("source"),
            json::parse(R"({"directory":"..","dockerFile":"deploy/gateway.Dockerfile","platform":"linux/arm64"})"));
  const auto& image_destination = image.at("destinations").at("current_account-us-west-2").as_object();
  EXPECT_EQ(image_destination.at("repositoryName"), "cdk-hnb659fds-container-assets-${AWS::AccountId}-us-west-2");
  EXPECT_EQ(image_destination.at("imageTag"), json::value(std::string(64, 'f')));
  EXPECT_EQ(image_destination.at("assumeRoleArn"),
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-image-publishing-role-${AWS::AccountId}-us-west-2");

  // Elsewhere, the build context is written relative to that output directory.
  const auto elsewhere = renderAssembly(sampleApp(), "/tmp/out/x");
  EXPECT_EQ(parsed(elsewhere, "OpenHands-Compute.assets.json").at("dockerImages").at(std::string(64, 'f')).at("source").at("directory"),
            "../../../project");
  EXPECT_TRUE(parsed(files, "OpenHands-Auth.assets.json").at("dockerImages").as_object().empty());
}

TEST(CloudAssembly, SameInputSameBytes) {
  const auto a = renderAssembly(sampleApp(), "/project/cdk.out");
  const auto b = renderAssembly(sampleApp(), "/project/cdk.out");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].content, b[i].content) << a[i].name;
  }
}

TEST(CloudAssembly, RejectsBrokenStackLists) {
  auto duplicate = sampleApp();
  duplicate.push_back(stack("OpenHands-Auth", "us-east-1"));
  EXPECT_THROW(renderAssembly(duplicate, "out"), std::invalid_argument);

  auto unknown = sampleApp();
  unknown.push_back(stack("OpenHands-Extra", "us-east-1", {"OpenHands-Nope"}));
  EXPECT_THROW(renderAssembly(unknown, "out"), std::invalid_argument);

  std::vector<StackSpec> cycle{stack("A", "us-east-1", {"B"}), stack("B", "us-east-1", {"A"})};
  EXPECT_THROW(renderAssembly(cycle, "out"), std::invalid_argument);

  for (const auto* name : {"", "1abc", "a_b", "a.b"}) {
    EXPECT_THROW(renderAssembly({stack(name, "us-east-1")}, "out"), std::invalid_argument) << name;
  }
  EXPECT_THROW(renderAssembly({stack("A", "")}, "out"), std::invalid_argument);

  auto clash = stack("A", "us-east-1");
  clash.template_.addParameter("BootstrapVersion", {"String", std::nullopt, "", {}, false});
  EXPECT_THROW(renderAssembly({clash}, "out"), std::invalid_argument);
}

class WriteAssembly : public ::testing::Test {
protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() / ("oh-assembly-" + std::to_string(random()));
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir_;
};

TEST_F(WriteAssembly, WritesEveryFileAndLeavesNoStaging) {
  const auto files = renderAssembly(sampleApp(), dir_ / "out");
  ASSERT_EQ(writeAssembly(files, dir_ / "out"), "");
  for (const auto& f : files) EXPECT_EQ(read(dir_ / "out" / f.name), f.content) << f.name;
  std::size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "out")) {
    EXPECT_EQ(entry.path().filename().string().rfind(".oh-infra-staging", 0), std::string::npos);
    ++entries;
  }
  EXPECT_EQ(entries, files.size());

  // A second write replaces the files in place (the CLI keeps its lock files in the folder).
  std::ofstream(dir_ / "out" / "read.1234.lock") << "";
  auto other = sampleApp();
  other.pop_back();
  const auto second = renderAssembly(other, dir_ / "out");
  ASSERT_EQ(writeAssembly(second, dir_ / "out"), "");
  EXPECT_EQ(read(dir_ / "out" / "manifest.json"), second.back().content);
  EXPECT_TRUE(fs::exists(dir_ / "out" / "read.1234.lock"));
}

TEST_F(WriteAssembly, ReportsErrors) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  EXPECT_NE(writeAssembly({{"manifest.json", "{}"}}, dir_ / "file"), "");
  EXPECT_NE(writeAssembly({{"../escape.json", "{}"}}, dir_ / "out"), "");
  EXPECT_NE(writeAssembly({{".hidden", "{}"}}, dir_ / "out"), "");
  EXPECT_FALSE(fs::exists(dir_ / "escape.json"));
}

}  // namespace
}  // namespace oh::infra
