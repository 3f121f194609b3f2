#pragma once
// Where a sandbox is reached, derived from its record alone (so a re-created container gets
// the same names, and the url survives an instance replacement):
//   workload  oh-sandbox-{id lowercase}       (Docker-valid; ids are unique in any case)
//   network   {network_prefix}{owner}
//   url       {scheme}://{agentPort}-{id lowercase}.{runtime_suffix}[:{public_port}]
// and the ports the data plane routes to, read from what the app server sent at /start:
//   agent     the command's "--port N" (remote_sandbox_spec_service.py:25 sends
//             ["/usr/local/bin/openhands-agent-server", "--port", "60000"]); 60000 when absent,
//             OpenHands' AGENT_SERVER_PORT (remote_sandbox_service.py:65)
//   vscode    OH_VSCODE_PORT in the environment (remote_sandbox_spec_service.py:32)
//   workers   WORKER_1, WORKER_2 (remote_sandbox_service.py:284-285)
// Citations are OpenHands 1.7.0, openhands/app_server/sandbox/.

#include <cstdint>
#include <string>
#include <string_view>

#include "store/sandbox_record.h"

namespace oh::control {

struct SandboxServiceSettings;

inline constexpr std::uint16_t kDefaultAgentPort = 60000;

struct SandboxPorts {
  std::uint16_t agent = kDefaultAgentPort;
  std::uint16_t vscode = 0;    // 0: none given
  std::uint16_t worker_1 = 0;
  std::uint16_t worker_2 = 0;
};

SandboxPorts portsOf(const SandboxSpec& spec);

std::string workloadName(std::string_view sandbox_id);
std::string networkName(const SandboxServiceSettings& settings, std::string_view owner);
std::string sandboxUrl(const SandboxServiceSettings& settings, std::string_view sandbox_id, std::uint16_t agent_port);

// A TCP port in decimal (1..65535, digits only), or 0.
std::uint16_t parsePort(std::string_view text);

}  // namespace oh::control
