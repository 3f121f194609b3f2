#pragma once
// What a sandbox id may look like. The app server makes them (base62 of 16 random bytes,
// remote_sandbox_service.py:462-464, or a conversation id's 32 hex digits, live_status_app_
// conversation_service.py:762-771), and they become host-name labels ({port}-{id}.{suffix},
// sandbox_routes.h) and container names: letters and digits only, at most 50 so that the longest
// derived label ("work-2-60000-{id}") stays within DNS's 63.

#include <cstddef>
#include <string_view>

namespace oh::control {

inline constexpr std::size_t kMaxSandboxIdChars = 50;

bool isSandboxId(std::string_view id);

}  // namespace oh::control
