#include "assembly/cloud_assembly.h"

#include <array>
#include <atomic>
#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>
#include <system_error>

#include <boost/json/array.hpp>
#include <openssl/evp.h>
#include <unistd.h>

#include "assembly/bootstrap.h"
#include "assembly/json_text.h"

namespace oh::infra {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kTemplateIndent = 1;  // aws-cdk-lib writes templates with JSON.stringify(t, undefined, 1)
constexpr int kManifestIndent = 2;  // and manifests with an indent of 2
constexpr int kLookupRoleBootstrapVersion = 8;

std::string sha256Hex(const std::string& data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 unavailable");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kDigits[digest[i] >> 4U]);
    out.push_back(kDigits[digest[i] & 0x0fU]);
  }
  return out;
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

// The DefaultStackSynthesizer "specializes" its names for a stack with a concrete region: the
// region placeholder becomes the region, the account and partition stay for the CLI to fill in.
std::string specialize(std::string text, const std::string& region) {
  replaceAll(text, "${AWS::Region}", region);
  return text;
}

bool validStackName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  const auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  if (!alpha(name.front())) return false;
  for (const char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '-') return false;
  }
  return true;
}

void checkStacks(const std::vector<StackSpec>& stacks) {
  std::set<std::string> names;
  for (const auto& stack : stacks) {
    if (!validStackName(stack.name)) throw std::invalid_argument("invalid stack name: " + stack.name);
    if (!names.insert(stack.name).second) throw std::invalid_argument("duplicate stack: " + stack.name);
    if (stack.region.empty()) throw std::invalid_argument("stack without region: " + stack.name);
  }
  // Every dependency exists and was declared earlier: the stacks come in dependency order,
  // which also rules out cycles.
  std::set<std::string> seen;
  for (const auto& stack : stacks) {
    for (const auto& dependency : stack.dependencies) {
      if (names.count(dependency) == 0) {
        throw std::invalid_argument(stack.name + " depends on unknown stack " + dependency);
      }
      if (seen.count(dependency) == 0) {
        throw std::invalid_argument(stack.name + " depends on " + dependency + ", which comes later (or a cycle)");
      }
    }
    seen.insert(stack.name);
  }
}

std::string dockerDirectory(const DockerImageAsset& image, const fs::path& out_dir) {
  std::error_code ec;
  const fs::path out = fs::weakly_canonical(fs::absolute(out_dir, ec), ec);
  const fs::path context = fs::weakly_canonical(fs::absolute(fs::path(image.directory), ec), ec);
  fs::path relative = context.lexically_relative(out);
  if (relative.empty()) relative = context;  // different roots: keep the absolute path
  std::string text = relative.generic_string();
  return text.empty() ? "." : text;
}

json::object assetManifest(const StackSpec& stack, const std::string& template_file,
                           const std::string& template_hash, const fs::path& out_dir) {
  const std::string destination_id = "current_account-" + stack.region;

  json::object files;
  files[template_hash] = json::object{
      {"displayName", stack.name + " Template"},
      {"source", json::object{{"path", template_file}, {"packaging", "file"}}},
      {"destinations",
       json::object{{destination_id,
                     json::object{{"bucketName", specialize(bootstrap::kFileAssetsBucket, stack.region)},
                                  {"objectKey", template_hash + ".json"},
                                  {"region", stack.region},
                                  {"assumeRoleArn", specialize(bootstrap::kFilePublishingRoleArn, stack.region)}}}}}};

  json::object images;
  for (const auto& image : stack.docker_images) {
    if (image.source_hash.empty()) throw std::invalid_argument("Docker image without hash in " + stack.name);
    json::object source{{"directory", dockerDirectory(image, out_dir)}};
    if (!image.dockerfile.empty()) source["dockerFile"] = image.dockerfile;
    if (!image.platform.empty()) source["platform"] = image.platform;
    images[image.source_hash] = json::object{
        {"displayName", stack.name + " Image " + image.dockerfile},
        {"source", std::move(source)},
        {"destinations",
         json::object{{destination_id,
                       json::object{{"repositoryName", specialize(bootstrap::kImageAssetsRepository, stack.region)},
                                    {"imageTag", image.source_hash},
                                    {"region", stack.region},
                                    {"assumeRoleArn",
                                     specialize(bootstrap::kImagePublishingRoleArn, stack.region)}}}}}};
  }
  return json::object{{"version", kCloudAssemblySchemaVersion}, {"files", std::move(files)}, {"dockerImages", std::move(images)}};
}

json::object stackArtifact(const StackSpec& stack, const std::string& template_file,
                           const std::string& template_hash, const std::string& assets_id) {
  json::object properties;
  properties["templateFile"] = template_file;
  properties["terminationProtection"] = false;
  if (!stack.tags.empty()) {
    json::object tags;
    for (const auto& [key, value] : stack.tags) tags[key] = value;
    properties["tags"] = std::move(tags);
  }
  properties["validateOnSynth"] = false;
  properties["assumeRoleArn"] = specialize(bootstrap::kDeployRoleArn, stack.region);
  properties["cloudFormationExecutionRoleArn"] = specialize(bootstrap::kCfnExecRoleArn, stack.region);
  properties["stackTemplateAssetObjectUrl"] =
      "s3://" + specialize(bootstrap::kFileAssetsBucket, stack.region) + "/" + template_hash + ".json";
  properties["requiresBootstrapStackVersion"] = bootstrap::kRequiredBootstrapVersion;
  properties["bootstrapStackVersionSsmParameter"] = bootstrap::kVersionSsmParameter;
  properties["additionalDependencies"] = json::array{json::value(assets_id)};
  properties["lookupRole"] = json::object{{"arn", specialize(bootstrap::kLookupRoleArn, stack.region)},
                                          {"requiresBootstrapStackVersion", kLookupRoleBootstrapVersion},
                                          {"bootstrapStackVersionSsmParameter", bootstrap::kVersionSsmParameter}};

  json::array dependencies;
  for (const auto& dependency : stack.dependencies) dependencies.emplace_back(dependency);
  dependencies.emplace_back(assets_id);

  json::object artifact{{"type", "aws:cloudformation:stack"},
                        {"environment", "aws://unknown-account/" + stack.region},
                        {"properties", std::move(properties)},
                        {"dependencies", std::move(dependencies)}};
  if (!stack.tags.empty()) {
    // The CDK also records stack tags as metadata on the stack's construct path.
    json::array tag_list;
    for (const auto& [key, value] : stack.tags) tag_list.push_back(json::object{{"Key", key}, {"Value", value}});
    artifact["metadata"] = json::object{
        {"/" + stack.name, json::array{json::object{{"type", "aws:cdk:stack-tags"}, {"data", std::move(tag_list)}}}}};
  }
  artifact["displayName"] = stack.name;
  return artifact;
}

// The template section `name`, created (at the end, as the CDK orders them) when absent.
json::object& sectionOf(json::object& document, const char* name) {
  json::value& section = document[name];
  if (!section.is_object()) section.emplace_object();
  return section.get_object();
}

}  // namespace

json::object synthesizedTemplate(const StackSpec& stack) {
  json::object document = stack.template_.toJson();
  if (!stack.description.empty() && !document.contains("Description")) {
    json::object with_description;
    if (const auto* version = document.if_contains("AWSTemplateFormatVersion")) {
      with_description["AWSTemplateFormatVersion"] = *version;
    }
    with_description["Description"] = stack.description;
    for (const auto& member : document) {
      if (member.key() != "AWSTemplateFormatVersion") with_description[member.key()] = member.value();
    }
    document = std::move(with_description);
  }

  // What DefaultStackSynthesizer adds: the bootstrap stack's version read from SSM, and a rule
  // that fails the deployment when the environment was bootstrapped with an older version.
  auto& parameters = sectionOf(document, "Parameters");
  if (parameters.contains("BootstrapVersion")) {
    throw std::invalid_argument(stack.name + " already defines the BootstrapVersion parameter");
  }
  parameters["BootstrapVersion"] = json::object{
      {"Type", "AWS::SSM::Parameter::Value<String>"},
      {"Default", bootstrap::kVersionSsmParameter},
      {"Description",
       "Version of the CDK Bootstrap resources in this environment, automatically retrieved from SSM Parameter "
       "Store. [cdk:skip]"}};

  json::array old_versions;
  for (int version = 1; version < bootstrap::kRequiredBootstrapVersion; ++version) {
    old_versions.emplace_back(std::to_string(version));
  }
  auto& rules = sectionOf(document, "Rules");
  rules["CheckBootstrapVersion"] = json::object{
      {"Assertions",
       json::array{json::object{
           {"Assert",
            json::object{{"Fn::Not",
                          json::array{json::object{
                              {"Fn::Contains",
                               json::array{std::move(old_versions), json::object{{"Ref", "BootstrapVersion"}}}}}}}}},
           {"AssertDescription", "CDK bootstrap stack version " + std::to_string(bootstrap::kRequiredBootstrapVersion) +
                                     " required. Please run 'cdk bootstrap' with a recent version of the CDK CLI."}}}}};
  return document;
}

std::vector<AssemblyFile> renderAssembly(const std::vector<StackSpec>& stacks, const fs::path& out_dir) {
  checkStacks(stacks);
  std::vector<AssemblyFile> files;
  json::object artifacts;
  for (const auto& stack : stacks) {
    const std::string template_file = stack.name + ".template.json";
    const std::string assets_id = stack.name + ".assets";
    const std::string assets_file = assets_id + ".json";

    std::string template_text = jsonText(synthesizedTemplate(stack), kTemplateIndent);
    const std::string template_hash = sha256Hex(template_text);
    files.push_back({template_file, std::move(template_text)});
    files.push_back({assets_file, jsonText(assetManifest(stack, template_file, template_hash, out_dir), kManifestIndent)});

    artifacts[assets_id] = json::object{
        {"type", "cdk:asset-manifest"},
        {"properties", json::object{{"file", assets_file},
                                    {"requiresBootstrapStackVersion", bootstrap::kRequiredBootstrapVersion},
                                    {"bootstrapStackVersionSsmParameter", bootstrap::kVersionSsmParameter}}}};
    artifacts[stack.name] = stackArtifact(stack, template_file, template_hash, assets_id);
  }
  const json::object manifest{{"version", kCloudAssemblySchemaVersion}, {"artifacts", std::move(artifacts)}};
  files.push_back({"cdk.out", jsonText(json::object{{"version", kCloudAssemblySchemaVersion}}, 0)});
  files.push_back({"manifest.json", jsonText(manifest, kManifestIndent)});
  return files;
}

std::string writeAssembly(const std::vector<AssemblyFile>& files, const fs::path& out_dir) {
  static std::atomic<unsigned> counter{0};
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return "cannot create " + out_dir.string() + ": " + ec.message();

  const fs::path staging =
      out_dir / (".oh-infra-staging-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)));
  fs::remove_all(staging, ec);
  fs::create_directory(staging, ec);
  if (ec) return "cannot create " + staging.string() + ": " + ec.message();
  const auto cleanup = [&staging] {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
  };

  for (const auto& file : files) {
    if (file.name.empty() || file.name.find('/') != std::string::npos || file.name.front() == '.') {
      cleanup();
      return "invalid assembly file name: " + file.name;
    }
    std::ofstream out(staging / file.name, std::ios::binary | std::ios::trunc);
    out.write(file.content.data(), static_cast<std::streamsize>(file.content.size()));
    out.close();
    if (!out) {
      cleanup();
      return "cannot write " + (staging / file.name).string();
    }
  }
  // Same file system, so each rename is atomic; the manifest, which names the others, goes last.
  for (const bool manifest_pass : {false, true}) {
    for (const auto& file : files) {
      if ((file.name == "manifest.json") != manifest_pass) continue;
      fs::rename(staging / file.name, out_dir / file.name, ec);
      if (ec) {
        cleanup();
        return "cannot move " + file.name + " into " + out_dir.string() + ": " + ec.message();
      }
    }
  }
  cleanup();
  return "";
}

}  // namespace oh::infra
