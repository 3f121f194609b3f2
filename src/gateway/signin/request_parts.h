#pragma once
// Small pure helpers over a request's host and target for the sign-in code: host
// normalisation, the main host a runtime host belongs to, one query parameter. Private to oh_gateway_signin.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oh::gateway::signin {

// Lowercase ASCII copy (host names compare case-insensitively).
std::string lowercase(std::string_view text);

// The path of an origin-form target (without "?query").
std::string_view pathOf(std::string_view target);

// For "3000-abc.runtime.oh.example.com[:port]" and the suffix "runtime.oh.example.com": the main
// host "oh.example.com[:port]". nullopt when the host is not exactly one label under a suffix.
// `host` must already be lowercase.
std::optional<std::string> mainHostOfRuntimeHost(std::string_view host, const std::vector<std::string>& suffixes);

// The decoded value of the single `name` parameter of the target's query; nullopt when absent,
// repeated or malformed.
std::optional<std::string> queryParameter(std::string_view target, std::string_view name);

}  // namespace oh::gateway::signin
