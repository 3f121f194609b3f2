#pragma once
// What a backend refuses to run whoever asks (defence in depth behind the sandbox service's own
// checks): a workspace outside the configured root or one that reaches the Docker socket, a
// network that is not a user network, names and environment variables Docker would misread.
// The spec has no field for privileged mode, devices, host mounts or host namespaces at all;
// these rules close what its fields could still smuggle in.
//
//   if (auto refusal = refusalOf(spec, rules)) return fail(BackendFailure{refused, *refusal});

#include <optional>
#include <string>
#include <string_view>

#include "backend/workload_backend.h"

namespace oh::control {

struct WorkloadRules {
  std::string workspace_root;  // workspaces must lie strictly below it (absolute, normalised)
  std::string network_prefix;  // networks must be named {prefix}{something}
  std::string docker_socket;   // never mounted, nor any directory holding it
};

// Why the spec must not run (a message naming the field, never an environment value), or nullopt.
std::optional<std::string> refusalOf(const WorkloadSpec& spec, const WorkloadRules& rules);

// The single checks, also used on their own (ensureNetwork, a name in a URL path).
std::optional<std::string> workloadNameRefusal(std::string_view name);
std::optional<std::string> imageRefusal(std::string_view image);
std::optional<std::string> networkRefusal(std::string_view network, const WorkloadRules& rules);
std::optional<std::string> workspaceRefusal(std::string_view workspace, const WorkloadRules& rules);

}  // namespace oh::control
