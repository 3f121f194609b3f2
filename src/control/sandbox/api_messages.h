#pragma once
// The remote sandbox API's bodies as OpenHands 1.7.0's RemoteSandboxService writes and reads
// them (openhands/app_server/sandbox/remote_sandbox_service.py, cited by line below and in
// docs/sandboxes.md). Pure functions over text: no service, no sockets, so every malformed or
// hostile body is tested here directly.

#include <string>
#include <string_view>
#include <vector>

#include "sandbox/sandbox_service.h"

namespace oh::control {

// POST /start (:482-496): image, command (a list or null), working_dir, environment (an object
// of strings), session_id, resource_factor, run_as_user, run_as_group, fs_group, and
// runtime_class when the app server is configured for sysbox. Any other field is refused by
// name: the API takes no Docker options (privileged, binds, devices, network_mode...), ever.
// Types and syntax are checked here (400); what is allowed (images, limits, runtime class) is
// the service's to decide.
ApiResult<StartRequest> parseStartRequest(std::string_view body);

// POST /resume, /pause, /stop: {"runtime_id": "..."} (:540-542, :582-584, :609-612).
ApiResult<std::string> parseRuntimeIdBody(std::string_view body);

// One runtime as the app server reads it (:137-189): status, session_api_key (always present),
// url (null when none), runtime_id, session_id.
std::string renderSandbox(const SandboxView& view);

// GET /sessions/batch: a JSON list matched on session_id (:234-266).
std::string renderSandboxArray(const std::vector<SandboxView>& views);

// GET /list: {"runtimes": [...]} (:634-641).
std::string renderSandboxList(const std::vector<SandboxView>& views);

// {"error": message}
std::string renderError(std::string_view message);

// {"error": message, "runtimes": []}: a failed /list, since the app server reads "runtimes"
// without checking the status before every start and resume (:634-641, :447, :532).
std::string renderListError(std::string_view message);

}  // namespace oh::control
