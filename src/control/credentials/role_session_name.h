#pragma once
// The RoleSessionName of a user's AssumeRole: it names the user, so CloudTrail shows whose
// Bedrock calls these were (the assumed-role ARN ends in /{session name}). STS allows 2 to 64
// of [A-Za-z0-9+=,.@_-].

#include <string>
#include <string_view>

namespace oh::control::aws {

inline constexpr std::size_t kMaxRoleSessionName = 64;

// "oh-" + name, each character outside STS's set replaced by '-', cut to 64 characters.
// For a user key (32 hex digits) that is "oh-{userKey}", 35 characters.
std::string roleSessionName(std::string_view name);

bool isRoleSessionName(std::string_view name);

}  // namespace oh::control::aws
