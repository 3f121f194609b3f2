#pragma once
// Validation rules of [sandbox] (the remote sandbox API, issue 13): where it listens (never a
// wildcard address, never a port another listener has), its key files, store URL, images,
// workspace root and the url it hands out. Checked only when sandbox.enabled is true, so a
// deployment without the API carries no obligations. Private to oh_gateway_config.

#include <span>
#include <string_view>

#include "config/validation_rules.h"

namespace oh::gateway::config_rules {

std::span<const ValidationRule> sandboxRules();

// 1-30 of [a-z0-9_.-] starting with a letter or digit: network prefixes and our label values
// (also used by the [appserver] rules).
bool isNetworkPrefix(std::string_view prefix);

// An image reference as given to Docker: 1-512 characters, no whitespace or control characters.
bool isImageReference(std::string_view image);

}  // namespace oh::gateway::config_rules
