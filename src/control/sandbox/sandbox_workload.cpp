#include "sandbox/sandbox_workload.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "credentials/sandbox_credential_tokens.h"
#include "sandbox/sandbox_addressing.h"
#include "sandbox/sandbox_service.h"

namespace oh::control {
namespace {

// mkdir 0700 unless present; a present entry must be a real directory (lstat: no symlinks).
common::Result<bool> ensurePrivateDirectory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return common::failure("workspace: cannot create " + path + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return common::failure("workspace: " + path + " is not a directory");
  }
  return true;
}

double scaled(double value, double factor) { return value * factor; }

// The variables we own: the app server's values of the same names are dropped.
bool isOurs(const SandboxServiceSettings& settings, std::string_view name) {
  if (name == kSessionKeyVariable || name == kSecretKeyVariable) {
    return true;
  }
  return !settings.credentials_uri.empty() &&
         (name == kCredentialsUriVariable || name == kCredentialsTokenVariable ||
          name == kCredentialsRelativeUriVariable || name == kCredentialsTokenFileVariable);
}

bool hasVariable(const WorkloadSpec& spec, std::string_view name) {
  for (const auto& entry : spec.environment) {
    if (entry.first == name) {
      return true;
    }
  }
  return false;
}

// Derived from the sandbox's id, so a re-created container gets the same token.
void addCredentialVariables(const SandboxServiceSettings& settings, const SandboxRecord& record, WorkloadSpec& out) {
  if (settings.credentials_uri.empty()) {
    return;
  }
  const auto tokens = SandboxCredentialTokens::fromKey(settings.credentials_token_key);
  if (!tokens) {
    return;  // the gateway checks the key's size at start; a test without one gets no token
  }
  out.environment.emplace_back(kCredentialsUriVariable, settings.credentials_uri);
  out.environment.emplace_back(kCredentialsTokenVariable, tokens->tokenFor(record.id));
  for (std::string_view region : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (!settings.credentials_region.empty() && !hasVariable(out, region)) {
      out.environment.emplace_back(region, settings.credentials_region);
    }
  }
}

}  // namespace

std::string workspacePath(const SandboxServiceSettings& settings, std::string_view owner, std::string_view sandbox_id) {
  std::string path = settings.workspace_root;
  if (path.empty() || path.back() != '/') {
    path += '/';
  }
  path += owner;
  path += '/';
  path += sandbox_id;
  return path;
}

common::Result<std::string> prepareWorkspace(const SandboxServiceSettings& settings, const SandboxRecord& record) {
  std::error_code error;
  std::filesystem::create_directories(settings.workspace_root, error);  // the root is configuration's
  if (error) {
    return common::failure("workspace: cannot create " + settings.workspace_root + ": " + error.message());
  }
  const std::string owner_dir = workspacePath(settings, record.owner, "");
  const std::string dir = workspacePath(settings, record.owner, record.id);
  for (const std::string& path : {owner_dir.substr(0, owner_dir.size() - 1), dir}) {
    if (auto made = ensurePrivateDirectory(path); !made) {
      return common::fail(made.error());
    }
  }
  const SandboxSpec& spec = record.spec;
  if (::geteuid() == 0 && spec.run_as_user) {
    const auto group = spec.run_as_group ? *spec.run_as_group : spec.fs_group ? *spec.fs_group : *spec.run_as_user;
    if (::lchown(dir.c_str(), *spec.run_as_user, group) != 0) {
      return common::failure("workspace: cannot hand " + dir + " to the sandbox's user: " + std::strerror(errno));
    }
  }
  return dir;
}

WorkloadSpec workloadSpecFor(const SandboxServiceSettings& settings, const SandboxRecord& record,
                             const SandboxKeys& keys, std::string workspace) {
  const SandboxSpec& spec = record.spec;
  WorkloadSpec out;
  out.name = workloadName(record.id);
  out.image = spec.image;
  out.command = spec.command;
  out.working_dir = spec.working_dir;
  out.environment.reserve(spec.environment.size() + 6);
  for (const auto& entry : spec.environment) {
    if (!isOurs(settings, entry.first)) {
      out.environment.push_back(entry);
    }
  }
  out.environment.emplace_back(kSessionKeyVariable, keys.session_api_key);
  out.environment.emplace_back(kSecretKeyVariable, keys.secret_key);
  addCredentialVariables(settings, record, out);
  out.labels = {
      {std::string(kManagedLabel), settings.managed_label_value},
      {std::string(kSandboxIdLabel), record.id},
      {std::string(kOwnerLabel), record.owner},
  };
  if (spec.run_as_user) {
    out.user = std::to_string(*spec.run_as_user);
    if (spec.run_as_group) {
      out.user += ":" + std::to_string(*spec.run_as_group);
    }
  }
  // Kubernetes' fsGroup, which OpenHands' request mirrors: a supplementary group of the process.
  if (spec.fs_group) {
    out.supplementary_groups.push_back(*spec.fs_group);
  }
  out.network = networkName(settings, record.owner);
  out.workspace = std::move(workspace);
  // The resource factor scales what a sandbox may use (CPU, memory); the pids limit guards the
  // host against fork bombs and does not grow with it.
  out.limits.cpus = scaled(settings.limits.cpus, spec.resource_factor);
  out.limits.memory_bytes =
      static_cast<std::uint64_t>(scaled(static_cast<double>(settings.limits.memory_bytes), spec.resource_factor));
  out.limits.pids = settings.limits.pids;
  out.limits.disk_bytes = settings.limits.disk_bytes;  // like pids, a guard for the host: not scaled
  return out;
}

}  // namespace oh::control
