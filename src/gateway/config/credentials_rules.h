#pragma once
// Validation rules of [credentials] (container credentials for sandboxes, issue 15): where the
// endpoint listens (one address, never a wildcard, never another listener's port), the role,
// region and STS endpoint, the token key file, the gateway's own credential source. Checked
// only when credentials.enabled is true. Private to oh_gateway_config.

#include <span>

#include "config/validation_rules.h"

namespace oh::gateway::config_rules {

std::span<const ValidationRule> credentialsRules();

}  // namespace oh::gateway::config_rules
