#pragma once
// The one thing the data plane reads from the sandbox service (DESIGN.md section 6): an
// immutable snapshot of where each sandbox is and whose it is, published whole by the service
// after every change and read by the runtime router without a lock or a store call.
//
// Host forms the router maps through it (all under a runtime suffix):
//   {agentPort}-{sandboxId}          the url the API returns: the agent server
//   vscode-{agentPort}-{sandboxId}   OpenHands' derived VS Code url  -> vscode_port
//   work-1-{agentPort}-{sandboxId}   derived worker urls             -> worker ports
//   work-2-{agentPort}-{sandboxId}
//   {port}-{sandboxId | conversationId}  any port an app of the agent listens on

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace oh::control {

struct SandboxRoute {
  std::string sandbox_id;        // as the app server knows it (case kept)
  std::string owner;             // user key
  std::string address;           // the container's IP on its network; "" when not running
  std::uint16_t agent_port = 0;  // the agent server (from the command's --port)
  std::uint16_t vscode_port = 0; // OH_VSCODE_PORT (0 = none)
  std::uint16_t worker_1_port = 0;  // WORKER_1
  std::uint16_t worker_2_port = 0;  // WORKER_2
  // SHA-256 of the sandbox's session API key (raw 32 bytes): the data plane recognises the
  // owner's app server and browser by it (X-Session-API-Key) without holding the key itself.
  std::string session_key_sha256;
  bool running() const { return !address.empty(); }
};

using SandboxRoutePtr = std::shared_ptr<const SandboxRoute>;

class SandboxRoutes {
public:
  SandboxRoutes() = default;
  // conversations: lowercase conversation id -> sandbox id (as in routes).
  SandboxRoutes(std::vector<SandboxRoutePtr> routes,
                const std::unordered_map<std::string, std::string>& conversations);

  // By sandbox or conversation id, lowercase (host names are case-insensitive); nullptr when
  // unknown or when two sandboxes' ids differ only in case (refusing beats misrouting).
  const SandboxRoute* find(std::string_view lowercase_id) const;

  // By the SHA-256 (raw 32 bytes) of a session API key: whose sandbox a webhook call comes
  // from. nullptr when no sandbox has it, or two do (refusing beats misrouting).
  const SandboxRoute* findBySessionKeyHash(std::string_view sha256) const;

  std::size_t size() const { return routes_.size(); }
  const std::vector<SandboxRoutePtr>& all() const { return routes_; }

private:
  // Lookups by string_view without building a string (the router looks up on every request).
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  std::vector<SandboxRoutePtr> routes_;
  std::unordered_map<std::string, SandboxRoutePtr, KeyHash, std::equal_to<>> by_key_;
  std::unordered_map<std::string, SandboxRoutePtr, KeyHash, std::equal_to<>> by_session_key_;
};

using SandboxRoutesPtr = std::shared_ptr<const SandboxRoutes>;

// Implemented by the sandbox service; the gateway's runtime router holds one.
class SandboxRouteSource {
public:
  virtual ~SandboxRouteSource() = default;
  virtual SandboxRoutesPtr routes() const = 0;  // never null

  // The data plane saw a caller holding this sandbox's session key address one of its
  // conversations (lowercase hex). Called on data-plane threads: must not block (queue it).
  // A conversation already linked to a sandbox of another owner is never moved.
  virtual void noteConversation(std::string_view sandbox_id, std::string_view conversation_id) = 0;
};

}  // namespace oh::control
