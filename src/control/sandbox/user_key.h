#pragma once
// A user's stable key: what names their sandboxes, network, directories and database, derived
// from the sign-in subject (Cognito's sub, an OIDC subject, a local account's name), never from
// a mutable display name or e-mail. 32 lowercase hex digits: safe in container, network,
// directory and database names.

#include <string>
#include <string_view>

namespace oh::control {

// hex(SHA-256("openhands user v1\n" || subject))[0:32]
std::string userKeyForSubject(std::string_view subject);

// 32 of [0-9a-f].
bool isUserKey(std::string_view key);

}  // namespace oh::control
