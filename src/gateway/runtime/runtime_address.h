#pragma once
// Which user app a request is for (issue 5): the host form {port}-{convId}.runtime.{sub}.{domain}
// (strict, case-insensitive), the path form /runtime/{convId}/{port}/... on a main host, and the
// sandbox form {hostPort}-sandbox.runtime.{sub}.{domain} for OpenHands' agent servers.
// A pure function: refusals cost no Docker call.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config/settings.h"

namespace oh::gateway {

// The services OpenHands derives from a sandbox's url by a prefix to its first host label
// (remote_sandbox_service.py's _get_exposed_url / svc(): "{name}-{netloc}"): the label is then
// "{service}-{port}-{id}" and names the sandbox's VS Code or a worker port, not `port`.
enum class AgentService { none, vscode, work_1, work_2 };

struct RuntimeAddress {
  std::uint16_t port = 0;
  AgentService service = AgentService::none;
  std::string conversation_id;   // normalised (lowercase)
  std::string main_host;         // the host the runtime suffix belongs to: "{sub}.{domain}"
  // /runtime/{convId}/{port}/... on the main host: recognised only to be redirected to the
  // runtime host (routing/gateway_gate.cpp); never forwarded, no app is served on a main host.
  bool path_form = false;
  // {hostPort}-sandbox.runtime.{sub}.{domain}: an OpenHands 1.x agent server by the host port
  // it published (OpenHands fills its sandbox URL pattern with that port only); conversation_id
  // is empty and `port` is the published host port.
  bool sandbox_form = false;
  std::string forward_target;    // the target the app receives ("/..." with the prefix removed for the path form)
};

struct RuntimeRefusal {
  unsigned status = 400;         // 400 malformed, 404 not a runtime host we serve
  std::string reason;            // for the access log
};

struct NotRuntime {};

using RuntimeClassification = std::variant<NotRuntime, RuntimeAddress, RuntimeRefusal>;

RuntimeClassification classifyRuntimeRequest(std::string_view host, std::string_view target,
                                              const RuntimeSettings& settings);

// A runtime host as the router reads it (the host form above: one {port}-{conversation} or
// {hostPort}-sandbox label under a configured suffix, optionally ":port"), written anew from its
// parsed parts: the label from the port and id, the suffix from the configuration, the port
// from its digits. Nothing else of `host` is copied, so a name that a browser would decode into
// another host (escapes, "@", "\\", full-width dots, ...) never comes back. nullopt when `host`
// is not such a runtime host (the path form and the bare suffix are not runtime hosts).
std::optional<std::string> canonicalRuntimeHost(std::string_view host, const RuntimeSettings& settings);

// The conversation / sandbox id forms OpenHands uses (checked against OpenHands' source):
// - conversation ids: uuid4().hex, 32 lowercase hex digits (0.x and 1.x);
// - 1.x sandbox ids: base62 of 16 random bytes (up to 22 of [0-9A-Za-z]), the suffix of the
//   sandbox container's name "oh-agent-server-{id}";
// - 0.x runtime ids: 16 hex digits ("openhands-runtime-{id}").
// Host names are case-insensitive, so ids are compared lowercased; the accepted grammar is
// 12 to 32 of [0-9a-z] (12 covers the reference README's example "abc123def456").
inline constexpr std::size_t kMinConversationIdLength = 12;
inline constexpr std::size_t kMaxConversationIdLength = 32;
bool isConversationId(std::string_view id);            // case-insensitive
std::string normaliseConversationId(std::string_view id);  // lowercase; "" when not an id

}  // namespace oh::gateway
