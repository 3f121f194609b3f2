#include "sandbox/sandbox_addressing.h"

#include "common/text.h"
#include "sandbox/sandbox_service.h"

namespace oh::control {
namespace {

std::uint16_t agentPortOf(const std::vector<std::string>& command) {
  constexpr std::string_view kFlag = "--port";
  for (std::size_t i = 0; i < command.size(); ++i) {
    const std::string_view arg = command[i];
    if (arg == kFlag && i + 1 < command.size()) {
      return parsePort(command[i + 1]);
    }
    if (arg.size() > kFlag.size() && arg.substr(0, kFlag.size() + 1) == "--port=") {
      return parsePort(arg.substr(kFlag.size() + 1));
    }
  }
  return kDefaultAgentPort;
}

std::uint16_t environmentPort(const SandboxSpec& spec, std::string_view name) {
  std::uint16_t port = 0;
  for (const auto& [key, value] : spec.environment) {
    if (key == name) {
      port = parsePort(value);  // the last one wins, as in a process's environment
    }
  }
  return port;
}

}  // namespace

std::uint16_t parsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) {
    return 0;
  }
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return 0;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535 ? static_cast<std::uint16_t>(value) : 0;
}

SandboxPorts portsOf(const SandboxSpec& spec) {
  return SandboxPorts{
      .agent = agentPortOf(spec.command),
      .vscode = environmentPort(spec, "OH_VSCODE_PORT"),
      .worker_1 = environmentPort(spec, "WORKER_1"),
      .worker_2 = environmentPort(spec, "WORKER_2"),
  };
}

std::string workloadName(std::string_view sandbox_id) { return "oh-sandbox-" + common::lowercaseAscii(sandbox_id); }

std::string networkName(const SandboxServiceSettings& settings, std::string_view owner) {
  return settings.network_prefix + std::string(owner);
}

std::string sandboxUrl(const SandboxServiceSettings& settings, std::string_view sandbox_id, std::uint16_t agent_port) {
  std::string url = settings.public_scheme + "://" + std::to_string(agent_port) + "-" + common::lowercaseAscii(sandbox_id) + "." +
                    settings.runtime_suffix;
  const bool default_port = settings.public_port == 0 ||
                            (settings.public_scheme == "https" && settings.public_port == 443) ||
                            (settings.public_scheme == "http" && settings.public_port == 80);
  if (!default_port) {
    url += ":" + std::to_string(settings.public_port);
  }
  return url;
}

}  // namespace oh::control
