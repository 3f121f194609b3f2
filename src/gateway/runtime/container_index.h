#pragma once
// The runtime router's view of the sandbox containers: an immutable index from conversation id
// to container, rebuilt by the ContainerDirectory's thread and published whole, so a request
// reads it without a lock and without a Docker call.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace oh::gateway {

// One published port: host port -> container port (Docker's "PublicPort" / "PrivatePort").
struct PortMapping {
  std::uint16_t container_port = 0;
  std::uint16_t host_port = 0;
};

// What routing needs of one container, from GET /containers/json.
struct ContainerRecord {
  std::string id;                 // Docker's full id
  std::string name;               // without the leading '/'
  std::string conversation_id;    // the conversation label's value (lowercased), may be empty
  std::string name_id;            // the id in "oh-agent-server-{id}" / "openhands-runtime-{id}" (lowercased), may be empty
  std::string owner;              // the user label's value; empty = no owner label
  bool has_owner_label = false;
  std::string state;              // "running", "exited", "created", ...
  std::string ip;                 // on the configured network (or the first one with an address)
  std::vector<PortMapping> ports; // tcp only

  bool running() const { return state == "running"; }
};

using ContainerRecordPtr = std::shared_ptr<const ContainerRecord>;

// Container name prefixes OpenHands gives its sandboxes: 1.x DockerSandboxService
// ("oh-agent-server-" + base62 sandbox id) and 0.x DockerRuntime ("openhands-runtime-" + sid).
inline constexpr std::string_view kAgentServerNamePrefix = "oh-agent-server-";
inline constexpr std::string_view kLegacyRuntimeNamePrefix = "openhands-runtime-";

// The conversation key a container name carries ("" when none): the lowercased id after a known
// prefix, if it has the conversation id grammar.
std::string conversationKeyFromName(std::string_view name);

class ContainerIndex {
public:
  ContainerIndex() = default;
  // Builds from a full listing. A conversation label wins over a name; two containers claiming
  // the same key by the same means make the key ambiguous and it is left out (refusing is safer
  // than routing a user to someone else's container).
  explicit ContainerIndex(std::vector<ContainerRecordPtr> containers);

  // The container of a conversation (id normalised by the caller: lowercase), or nullptr.
  const ContainerRecord* find(std::string_view conversation_id) const;

  // The running container that published `host_port` (tcp), or nullptr (none, or two claim it).
  const ContainerRecord* findByHostPort(std::uint16_t host_port) const;

  // A copy with one container replaced (record set) or removed (record null), by Docker id.
  std::shared_ptr<const ContainerIndex> with(std::string_view container_id, ContainerRecordPtr record) const;

  std::size_t containerCount() const { return by_id_.size(); }
  std::size_t keyCount() const { return by_key_.size(); }
  const std::vector<ContainerRecordPtr>& containers() const { return all_; }

private:
  // Transparent hashing: find() takes the request's string_view without building a string.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
  };
  using Map = std::unordered_map<std::string, ContainerRecordPtr, KeyHash, std::equal_to<>>;

  void build();

  std::vector<ContainerRecordPtr> all_;
  Map by_id_;
  Map by_key_;
  std::unordered_map<std::uint16_t, ContainerRecordPtr> by_host_port_;  // running containers only
};

using ContainerIndexPtr = std::shared_ptr<const ContainerIndex>;

}  // namespace oh::gateway
