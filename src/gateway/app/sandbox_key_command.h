#pragma once
// `oh-gateway sandbox-key SUBJECT --config FILE`: the user key and the remote sandbox API key of
// a sign-in subject (Cognito's sub, an OIDC subject, a local account's name), as an operator or a
// test needs them to start that user's app server (SANDBOX_API_KEY, docs/sandboxes.md):
//   user_key=4c6b8ba37b3be635064f241cc7aeb708
//   api_key=ohsb1_4c6b8ba37b3be635064f241cc7aeb708_VQ3-…
// Exit 0; 2 when the configuration or sandbox.key_file cannot be read (the reason on stderr).

#include <ostream>
#include <string>

namespace oh::gateway {

int printSandboxKey(const std::string& subject, const std::string& config_path, std::ostream& out, std::ostream& err);

}  // namespace oh::gateway
