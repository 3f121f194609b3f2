#pragma once
// The whole app: the seven stacks of the reference design, in dependency order.

#include <vector>

#include "context/app_context.h"
#include "stacks/stack_spec.h"

namespace oh::infra {

// Auth, Network, Monitoring, Security, Database, Compute, Edge[-suffix].
std::vector<StackSpec> buildApp(const AppContext& context);

}  // namespace oh::infra
