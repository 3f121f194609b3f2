#include "backend/workload_spec_rules.h"

#include <cmath>
#include <filesystem>
#include <system_error>

namespace oh::control {
namespace {

namespace fs = std::filesystem;

// Docker's own grammar for container and network names ([a-zA-Z0-9][a-zA-Z0-9_.-]*), bounded.
constexpr std::size_t kMaxNameLength = 128;
constexpr std::size_t kMaxEnvironmentEntries = 1024;
constexpr std::size_t kMaxValueBytes = 128 * 1024;

bool isAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

bool dockerName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || !isAlnum(name.front())) {
    return false;
  }
  for (char c : name) {
    if (!isAlnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

// [A-Za-z_][A-Za-z0-9_]*: what a shell and every runtime read as a variable name. An '=' in a
// name would shift the boundary between name and value in Docker's "NAME=value" form.
bool environmentName(std::string_view name) {
  if (name.empty() || name.size() > 256 || (name.front() >= '0' && name.front() <= '9')) {
    return false;
  }
  for (char c : name) {
    if (!isAlnum(c) && c != '_') {
      return false;
    }
  }
  return true;
}

// "uid", "uid:gid" or a user name, as docker run -u takes it; no other characters.
bool userForm(std::string_view user) {
  if (user.size() > 64) {
    return false;
  }
  const std::size_t colon = user.find(':');
  const auto part = [](std::string_view p) {
    if (p.empty()) {
      return false;
    }
    for (char c : p) {
      if (!isAlnum(c) && c != '_' && c != '.' && c != '-') {
        return false;
      }
    }
    return true;
  };
  return colon == std::string_view::npos ? part(user) : part(user.substr(0, colon)) && part(user.substr(colon + 1));
}

// A simplified form of Docker's reference grammar: a lowercase repository path (an optional
// registry host:port first), then an optional ":tag" and/or "@algorithm:hex". Daemons refuse
// the rest anyway, but with a 500 that would read as an internal failure (Podman 4:
// "repository name must be lowercase").
bool imageReference(std::string_view image) {
  if (image.empty() || image.size() > 512) {
    return false;
  }
  std::string_view name = image;
  if (const std::size_t at = name.find('@'); at != std::string_view::npos) {
    const std::string_view digest = name.substr(at + 1);
    const std::size_t colon = digest.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == digest.size()) {
      return false;
    }
    for (char c : digest) {
      if (!isAlnum(c) && c != ':' && c != '+' && c != '.' && c != '_' && c != '-') {
        return false;
      }
    }
    name = name.substr(0, at);
  }
  const std::size_t slash = name.rfind('/');
  if (const std::size_t colon = name.rfind(':'); colon != std::string_view::npos &&
                                                 (slash == std::string_view::npos || colon > slash)) {
    const std::string_view tag = name.substr(colon + 1);
    if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-') {
      return false;
    }
    for (char c : tag) {
      if (!isAlnum(c) && c != '_' && c != '.' && c != '-') {
        return false;
      }
    }
    name = name.substr(0, colon);
  }
  if (name.empty() || name.front() == '/' || name.back() == '/' || name.find("//") != std::string_view::npos) {
    return false;
  }
  // Every component starts with a letter or digit (Docker's grammar): no "." or ".." that would
  // walk a path the reference is put into (GET /images/{name}/json).
  for (std::size_t start = 0; start < name.size();) {
    if (!isAlnum(name[start])) {
      return false;
    }
    const std::size_t slash_at = name.find('/', start);
    start = slash_at == std::string_view::npos ? name.size() : slash_at + 1;
  }
  // The first component may be a registry host with a port ("localhost:5000/..."); the rest is
  // lowercase letters, digits and the separators . _ - /.
  const std::size_t first_slash = name.find('/');
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool in_host = first_slash != std::string_view::npos && i < first_slash;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
                    c == '/' || (in_host && (c == ':' || (c >= 'A' && c <= 'Z')));
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool hasControlCharacter(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

// Whether `inner` is `outer` or below it, component by component (/a/bc is not below /a/b).
bool within(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (o->empty()) {
      continue;  // a trailing separator's empty element
    }
    if (i == inner.end() || *i != *o) {
      return false;
    }
  }
  return true;
}

bool strictlyBelow(const fs::path& inner, const fs::path& outer) { return within(inner, outer) && inner != outer; }

std::string shown(std::string_view text) {
  std::string out = "\"";
  out.append(text.substr(0, 200));
  if (text.size() > 200) {
    out.append("...");
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::optional<std::string> workloadNameRefusal(std::string_view name) {
  if (name.empty()) {
    return "the workload name is empty";
  }
  if (!dockerName(name)) {
    return "the workload name " + shown(name) + " is not [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)";
  }
  return std::nullopt;
}

std::optional<std::string> imageRefusal(std::string_view image) {
  if (image.empty()) {
    return std::string("the image is empty");
  }
  if (!imageReference(image)) {
    return "the image " + shown(image) + " is not an image reference (lowercase repository[:tag][@digest])";
  }
  return std::nullopt;
}

std::optional<std::string> networkRefusal(std::string_view network, const WorkloadRules& rules) {
  if (network.empty()) {
    return "the network is empty (a workload runs on its owner's network)";
  }
  // Docker's special networks, named here too so a misconfigured empty prefix cannot admit them.
  for (std::string_view special : {"host", "none", "bridge", "default", "podman"}) {
    if (network == special) {
      return "the network " + shown(network) + " is not a user network";
    }
  }
  if (!dockerName(network)) {
    return "the network " + shown(network) + " is not [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)";
  }
  if (rules.network_prefix.empty() || network.size() <= rules.network_prefix.size() ||
      network.substr(0, rules.network_prefix.size()) != rules.network_prefix) {
    return "the network " + shown(network) + " is not a user network (" + shown(rules.network_prefix) + "...)";
  }
  return std::nullopt;
}

std::optional<std::string> workspaceRefusal(std::string_view workspace, const WorkloadRules& rules) {
  const fs::path path{std::string(workspace)};
  const fs::path root{rules.workspace_root};
  if (rules.workspace_root.empty() || !root.is_absolute()) {
    return std::string("no workspace root is configured: no workspace can be mounted");
  }
  if (workspace.empty()) {
    return std::string("the workspace is empty");
  }
  if (hasControlCharacter(workspace) || workspace.find(':') != std::string_view::npos ||
      workspace.find(',') != std::string_view::npos) {
    // ':' and ',' separate a bind's source, target and options.
    return "the workspace " + shown(workspace) + " has a control character, ':' or ','";
  }
  if (!path.is_absolute()) {
    return "the workspace " + shown(workspace) + " is not an absolute path";
  }
  // Normalised: no ".", "..", doubled or trailing separator that could make the text say one
  // directory and the kernel resolve another.
  if (path.lexically_normal().string() != workspace || workspace.back() == '/') {
    return "the workspace " + shown(workspace) + " is not a normalised path";
  }
  if (path == path.root_path()) {
    return std::string("the workspace is the root directory");
  }
  fs::path root_normal = root.lexically_normal();
  if (!root_normal.has_filename() && root_normal.has_relative_path()) {
    root_normal = root_normal.parent_path();  // "/srv/ws/" -> "/srv/ws"
  }
  if (root_normal == root_normal.root_path()) {
    return std::string("the workspace root is \"/\": no workspace can be mounted");
  }
  if (!strictlyBelow(path, root_normal)) {
    return "the workspace " + shown(workspace) + " is not below the workspace root " + shown(rules.workspace_root);
  }
  // The socket, or any directory holding it, would hand the container the Docker API.
  if (!rules.docker_socket.empty() && within(fs::path(rules.docker_socket).lexically_normal(), path)) {
    return "the workspace " + shown(workspace) + " holds the Docker socket";
  }
  // Symlinks: resolve what exists of both paths; a link anywhere in the workspace's chain that
  // leads out of the root is refused. (Docker resolves the bind source itself when it mounts; the
  // service owns the directories below the root, so nobody else can swap a link in between.)
  std::error_code ec;
  const fs::path real_root = fs::weakly_canonical(root_normal, ec);
  if (ec) {
    return "the workspace root " + shown(rules.workspace_root) + " cannot be resolved: " + ec.message();
  }
  const fs::path real_path = fs::weakly_canonical(path, ec);
  if (ec) {
    return "the workspace " + shown(workspace) + " cannot be resolved: " + ec.message();
  }
  if (!strictlyBelow(real_path, real_root)) {
    return "the workspace " + shown(workspace) + " resolves outside the workspace root (a symbolic link)";
  }
  if (!rules.docker_socket.empty()) {
    const fs::path real_socket = fs::weakly_canonical(fs::path(rules.docker_socket), ec);
    if (!ec && within(real_socket, real_path)) {
      return "the workspace " + shown(workspace) + " holds the Docker socket";
    }
  }
  return std::nullopt;
}

std::optional<std::string> refusalOf(const WorkloadSpec& spec, const WorkloadRules& rules) {
  if (auto refusal = workloadNameRefusal(spec.name)) {
    return refusal;
  }
  if (auto refusal = imageRefusal(spec.image)) {
    return refusal;
  }
  if (!spec.working_dir.empty() && (spec.working_dir.front() != '/' || hasControlCharacter(spec.working_dir))) {
    return "the working directory " + shown(spec.working_dir) + " is not an absolute path";
  }
  if (!spec.user.empty() && !userForm(spec.user)) {
    return "the user " + shown(spec.user) + " is not uid[:gid] or a name";
  }
  if (spec.environment.size() > kMaxEnvironmentEntries) {
    return "more than " + std::to_string(kMaxEnvironmentEntries) + " environment variables";
  }
  for (const auto& [name, value] : spec.environment) {
    if (!environmentName(name)) {
      return "the environment variable name " + shown(name) + " is not [A-Za-z_][A-Za-z0-9_]*";
    }
    if (value.size() > kMaxValueBytes || value.find('\0') != std::string::npos) {
      return "the environment variable " + name + " has a value over 128 KiB or with a NUL byte";  // not the value
    }
  }
  for (const auto& [key, value] : spec.labels) {
    if (key.empty() || key.size() > 256 || value.size() > 4096 || hasControlCharacter(key) ||
        key.find('=') != std::string::npos) {
      return "the label " + shown(key) + " is not a usable label";
    }
  }
  for (const std::string& argument : spec.command) {
    if (argument.find('\0') != std::string::npos || argument.size() > kMaxValueBytes) {
      return std::string("a command argument has a NUL byte or is over 128 KiB");
    }
  }
  const WorkloadLimits& limits = spec.limits;
  if (!std::isfinite(limits.cpus) || limits.cpus < 0 || limits.cpus > 1024) {
    return "the CPU limit " + std::to_string(limits.cpus) + " is not between 0 and 1024";
  }
  if (limits.pids < 0) {
    return "the pids limit " + std::to_string(limits.pids) + " is negative";
  }
  if (limits.memory_bytes > (std::uint64_t{1} << 50)) {
    return "the memory limit " + std::to_string(limits.memory_bytes) + " is over 1 PiB";
  }
  if (auto refusal = networkRefusal(spec.network, rules)) {
    return refusal;
  }
  return workspaceRefusal(spec.workspace, rules);
}

}  // namespace oh::control
