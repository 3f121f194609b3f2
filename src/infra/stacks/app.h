#pragma once
// The whole app: the seven stacks of the reference design, in dependency order.

#include <vector>

#include "context/app_context.h"
#include "stacks/stack_spec.h"

namespace oh::infra {

// Auth, Network, Monitoring, Security, Database, Compute, Edge[-suffix]. The gateway image
// asset is hashed from context.project_root (see assembly/docker_asset.h).
std::vector<StackSpec> buildApp(const AppContext& context);

// The same with the gateway image asset given, so tests get templates that do not change with
// the files of the work tree.
std::vector<StackSpec> buildApp(const AppContext& context, const DockerImageAsset& gateway_image);

}  // namespace oh::infra
