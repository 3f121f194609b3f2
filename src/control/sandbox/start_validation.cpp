#include "sandbox/start_validation.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "sandbox/sandbox_addressing.h"

namespace oh::control {
namespace {

constexpr std::size_t kMaxIdLength = 64;
constexpr std::size_t kMaxEnvironmentNameLength = 256;
constexpr std::size_t kMaxPathLength = 4096;
constexpr std::size_t kMaxCommandArguments = 256;
constexpr std::size_t kMaxEnvironmentEntries = 1024;

bool isAlnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

ApiError badRequest(std::string message) { return ApiError{400, std::move(message)}; }

std::string shown(std::string_view text) {
  // Echo at most a short, printable prefix of what was sent (never a whole hostile value).
  constexpr std::size_t kShown = 64;
  std::string out;
  for (char c : text.substr(0, kShown)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > kShown) {
    out += "...";
  }
  return out;
}

bool hasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

std::optional<ApiError> checkWorkingDir(std::string_view dir) {
  if (dir.empty() || dir.front() != '/' || dir.size() > kMaxPathLength || hasNul(dir)) {
    return badRequest("working_dir must be an absolute path, but \"" + shown(dir) + "\" was provided");
  }
  // "/workspace/../etc" is absolute too; refuse the parent step rather than resolve it.
  std::size_t start = 0;
  while (start <= dir.size()) {
    const auto end = std::min(dir.find('/', start), dir.size());
    if (dir.substr(start, end - start) == "..") {
      return badRequest("working_dir must not contain \"..\", but \"" + shown(dir) + "\" was provided");
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<ApiError> checkCommand(const std::vector<std::string>& command) {
  if (command.empty()) {
    return badRequest("command must have at least one argument, but none was provided");
  }
  if (command.size() > kMaxCommandArguments) {
    return badRequest("command must have at most " + std::to_string(kMaxCommandArguments) + " arguments, but " +
                      std::to_string(command.size()) + " were provided");
  }
  for (const auto& arg : command) {
    if (hasNul(arg)) {
      return badRequest("command arguments must not contain NUL");
    }
  }
  if (command.front().empty()) {
    return badRequest("command's program must not be empty");
  }
  return std::nullopt;
}

std::optional<ApiError> checkEnvironment(const SandboxSpec& spec) {
  if (spec.environment.size() > kMaxEnvironmentEntries) {
    return badRequest("environment must have at most " + std::to_string(kMaxEnvironmentEntries) + " entries, but " +
                      std::to_string(spec.environment.size()) + " were provided");
  }
  for (const auto& [name, value] : spec.environment) {
    if (!isEnvironmentName(name)) {
      return badRequest("environment names must match [A-Za-z_][A-Za-z0-9_]*, but \"" + shown(name) +
                        "\" was provided");
    }
    if (hasNul(value)) {
      return badRequest("environment value of " + name + " must not contain NUL");
    }
  }
  return std::nullopt;
}

std::optional<ApiError> checkIdentity(const SandboxSpec& spec) {
  // Least privilege: the agent runs as the image's user (10001) or whom the app server names
  // (remote_sandbox_service.py:489-491 sends 10001), never as root.
  const auto root = [](const std::optional<std::uint32_t>& id) { return id && *id == 0; };
  if (root(spec.run_as_user)) {
    return badRequest("run_as_user must not be 0 (root), but 0 was provided");
  }
  if (root(spec.run_as_group)) {
    return badRequest("run_as_group must not be 0 (root), but 0 was provided");
  }
  if (root(spec.fs_group)) {
    return badRequest("fs_group must not be 0 (root), but 0 was provided");
  }
  return std::nullopt;
}

}  // namespace

bool isSandboxId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdLength && std::all_of(id.begin(), id.end(), isAlnum);
}

bool isEnvironmentName(std::string_view name) {
  if (name.empty() || name.size() > kMaxEnvironmentNameLength || (name.front() >= '0' && name.front() <= '9')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) { return c == '_' || isAlnum(c); });
}

std::optional<ApiError> validateStart(const SandboxServiceSettings& settings, const StartRequest& request) {
  const SandboxSpec& spec = request.spec;
  if (!isSandboxId(request.session_id)) {
    return badRequest("session_id must be 1 to 64 of [0-9A-Za-z], but \"" + shown(request.session_id) +
                      "\" was provided");
  }
  if (std::find(settings.allowed_images.begin(), settings.allowed_images.end(), spec.image) ==
      settings.allowed_images.end()) {
    return badRequest("image must be one of the configured images, but \"" + shown(spec.image) + "\" was provided");
  }
  if (auto refused = checkCommand(spec.command)) {
    return refused;
  }
  if (portsOf(spec).agent == 0) {
    return badRequest("command's --port must be a port number from 1 to 65535");
  }
  if (auto refused = checkWorkingDir(spec.working_dir)) {
    return refused;
  }
  if (auto refused = checkEnvironment(spec)) {
    return refused;
  }
  if (auto refused = checkIdentity(spec)) {
    return refused;
  }
  if (!std::isfinite(spec.resource_factor) || spec.resource_factor <= 0 ||
      spec.resource_factor > settings.max_resource_factor) {
    return badRequest("resource_factor must be greater than 0 and at most " +
                      std::to_string(settings.max_resource_factor) + ", but " + std::to_string(spec.resource_factor) +
                      " was provided");
  }
  if (!request.runtime_class.empty()) {
    // OpenHands sends "sysbox-runc" only when configured for sysbox (remote_sandbox_service.py
    // :494-496); we run one runtime, and a class we do not provide must not be silently ignored.
    return badRequest("runtime_class is not supported here (leave it unset), but \"" + shown(request.runtime_class) +
                      "\" was provided");
  }
  return std::nullopt;
}

}  // namespace oh::control
