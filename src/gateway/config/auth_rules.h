#pragma once
// Validation rules of [auth] and [runtime]: required keys per provider, formats of hosts,
// issuer and labels, and the relations with mode (only "local" may serve without sign-in or
// with cookies lacking Secure). Kept apart from validation_rules.cpp so each file stays about
// one part of the configuration. Private to oh_gateway_config.

#include <span>
#include <string_view>

#include "config/validation_rules.h"

namespace oh::gateway::config_rules {

std::span<const ValidationRule> authRules();

// A lowercase DNS name: labels of 1-63 [a-z0-9-] not starting or ending with '-', at most 253
// characters, at least two labels (also used by the [sandbox] rules).
bool isLowercaseDnsName(std::string_view name);

}  // namespace oh::gateway::config_rules
