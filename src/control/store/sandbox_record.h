#pragma once
// One sandbox as the store keeps it (issue 13): what the app server asked for at /start, whose
// it is, the keys we generated for it (sealed), and what should be true of it (running or
// paused). What is true of its container right now is the backend's to observe, not stored.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace oh::control {

// The validated body of POST /start (OpenHands 1.7.0 remote_sandbox_service.py:482-492), minus
// what is ours to add at create time (labels, network, workspace, keys, limits).
struct SandboxSpec {
  std::string image;                                          // from the configured allow-list
  std::vector<std::string> command;                           // replaces the image's entrypoint
  std::string working_dir;                                    // e.g. "/workspace/project"
  std::vector<std::pair<std::string, std::string>> environment;  // the app server's, in order
  std::optional<std::uint32_t> run_as_user;
  std::optional<std::uint32_t> run_as_group;
  std::optional<std::uint32_t> fs_group;
  double resource_factor = 1.0;                               // scales the configured limits
};

// What the owner wants; the reconciler moves the container toward it.
enum class DesiredState { running, paused };

struct SandboxRecord {
  std::string id;          // the app server's session_id (base62, case kept); also our runtime_id
  std::string owner;       // the owner's user key (control/sandbox/user_key.h), never a user name
  SandboxSpec spec;
  std::string sealed_keys; // the session API key and OH_SECRET_KEY, sealed by the service: opaque here
  DesiredState desired = DesiredState::running;
  std::string last_error;  // why the last create/start failed ("" = none): status "error"
  std::int64_t created_at = 0;   // unix seconds
  std::int64_t updated_at = 0;   // unix seconds, every update
  std::int64_t revision = 0;     // 1 on insert, +1 on every successful update (compare-and-set)
  std::vector<std::string> conversation_ids;  // lowercase hex, as learnt (linkConversation)
};

}  // namespace oh::control
