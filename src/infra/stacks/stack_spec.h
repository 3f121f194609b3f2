#pragma once
// One stack of the app: its template plus what the cloud assembly needs to deploy it.

#include <map>
#include <string>
#include <vector>

#include "cfn/template.h"

namespace oh::infra {

// A Docker image built from the project and pushed to the bootstrap ECR repository, as the
// CDK's DockerImageAsset does (the gateway, linux/arm64).
struct DockerImageAsset {
  std::string source_hash;       // content hash of the build context; names the asset
  std::string directory;         // build context, relative to the assembly directory's parent
  std::string dockerfile;        // relative to directory
  std::string platform = "linux/arm64";
};

struct StackSpec {
  std::string name;                       // artifact id and stack name, e.g. "OpenHands-Auth"
  std::string region;                     // e.g. "us-east-1"
  std::string description;
  cfn::Template template_;
  std::vector<std::string> dependencies;  // names of stacks deployed before this one
  std::map<std::string, std::string> tags;
  std::vector<DockerImageAsset> docker_images;
};

}  // namespace oh::infra
