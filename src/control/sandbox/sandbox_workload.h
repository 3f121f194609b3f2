#pragma once
// What the reconciler asks the backend for, built from a sandbox's record alone, so a
// re-created container is the one the record describes (same name, labels, network,
// workspace, keys): the app server's request plus ours (issue 13 item 2).

#include <string>
#include <string_view>

#include "backend/workload_backend.h"
#include "common/result.h"
#include "sandbox/sandbox_keys.h"
#include "store/sandbox_record.h"

namespace oh::control {

struct SandboxServiceSettings;

// Labels on every container we create: what the reconciler lists at start and uses to tell
// ours from anyone else's (kManagedLabel = settings.managed_label_value).
inline constexpr std::string_view kManagedLabel = "org.openhands.managed";
inline constexpr std::string_view kSandboxIdLabel = "org.openhands.sandbox-id";
inline constexpr std::string_view kOwnerLabel = "org.openhands.owner";

// The variables we set (ours win over the app server's values of the same names).
inline constexpr std::string_view kSessionKeyVariable = "OH_SESSION_API_KEYS_0";
inline constexpr std::string_view kSecretKeyVariable = "OH_SECRET_KEY";
// botocore's container credential provider (credentials.py ContainerProvider): ours when
// [credentials] is on, and the two that would take precedence over them are dropped.
inline constexpr std::string_view kCredentialsUriVariable = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
inline constexpr std::string_view kCredentialsTokenVariable = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
inline constexpr std::string_view kCredentialsRelativeUriVariable = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
inline constexpr std::string_view kCredentialsTokenFileVariable = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

// {workspace_root}/{owner}/{id}: the host directory mounted at /workspace.
std::string workspacePath(const SandboxServiceSettings& settings, std::string_view owner, std::string_view sandbox_id);

// Creates the workspace directory (0700; its owner's directory 0700 too) unless it exists,
// and refuses one that is not a plain directory (a symbolic link planted there). When the
// service runs as root and the record names a user, the directory is handed to that user
// (uid, and gid from run_as_group or fs_group), so the agent, which never runs as root, can
// write its conversations there; otherwise it stays ours (rootless Podman maps it).
common::Result<std::string> prepareWorkspace(const SandboxServiceSettings& settings, const SandboxRecord& record);

WorkloadSpec workloadSpecFor(const SandboxServiceSettings& settings, const SandboxRecord& record,
                             const SandboxKeys& keys, std::string workspace);

}  // namespace oh::control
