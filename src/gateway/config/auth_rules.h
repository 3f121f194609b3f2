#pragma once
// Validation rules of [auth] and [runtime]: required keys per provider, formats of hosts,
// issuer and labels, and the relations with mode (only "local" may serve without sign-in or
// with cookies lacking Secure). Kept apart from validation_rules.cpp so each file stays about
// one part of the configuration. Private to oh_gateway_config.

#include <span>

#include "config/validation_rules.h"

namespace oh::gateway::config_rules {

std::span<const ValidationRule> authRules();

}  // namespace oh::gateway::config_rules
