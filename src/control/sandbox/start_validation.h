#pragma once
// The rules a POST /start must pass before anything is stored or created (issue 13 items 2
// and 4), as one table so every refusal names its field: "X must be ..., but Y was provided".
// Pure functions of the settings and the request.

#include <optional>
#include <string_view>

#include "sandbox/sandbox_service.h"

namespace oh::control {

// OpenHands' sandbox ids: base62.encodebytes(os.urandom(16)), up to 22 of [0-9A-Za-z]
// (remote_sandbox_service.py:462-464, pybase62's default alphabet), or a conversation id's
// uuid hex (32 of [0-9a-f]) when the start names one (live_status_app_conversation_service.py
// :762-771). We accept 1..64 of [0-9A-Za-z]: they become host labels and container names.
bool isSandboxId(std::string_view id);

// A POSIX environment variable name: [A-Za-z_][A-Za-z0-9_]*, at most 256 characters.
bool isEnvironmentName(std::string_view name);

// The first rule the request breaks (status 400 and a message naming the field), or nullopt.
std::optional<ApiError> validateStart(const SandboxServiceSettings& settings, const StartRequest& request);

}  // namespace oh::control
