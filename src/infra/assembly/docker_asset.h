#pragma once
// The gateway's container image as a CDK Docker image asset: a deterministic content hash of
// the build context the Dockerfile uses, and the image URI the CDK's default synthesizer gives
// (the bootstrap ECR repository, tagged with the hash).

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "stacks/stack_spec.h"

namespace oh::infra {

// The files and folders of the project that form the gateway's Docker build context (the
// Dockerfile's COPY lines and .dockerignore agree with this list), relative to the root.
const std::vector<std::string>& gatewayBuildContextEntries();

// The Dockerfile, relative to the project root.
inline constexpr const char* kGatewayDockerfile = "deploy/gateway.Dockerfile";

// source_hash = hex SHA-256 over the sorted relative paths and contents of every regular file
// under gatewayBuildContextEntries() (missing entries are skipped; symlinks are not followed).
// directory = project_root (absolute, normalized); the assembly writer makes it relative to the
// output directory. dockerfile = kGatewayDockerfile; platform = linux/arm64.
DockerImageAsset gatewayImageAsset(const std::filesystem::path& project_root);

// {"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/
//   cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}:HASH"}
boost::json::value dockerImageUri(const DockerImageAsset& asset);

// The hash over an explicit list of entries (exposed for tests).
std::string hashBuildContext(const std::filesystem::path& root, const std::vector<std::string>& entries);

}  // namespace oh::infra
