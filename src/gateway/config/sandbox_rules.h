#pragma once
// Validation rules of [sandbox] (the remote sandbox API, issue 13): where it listens (never a
// wildcard address, never a port another listener has), its key files, store URL, images,
// workspace root and the url it hands out. Checked only when sandbox.enabled is true, so a
// deployment without the API carries no obligations. Private to oh_gateway_config.

#include <span>

#include "config/validation_rules.h"

namespace oh::gateway::config_rules {

std::span<const ValidationRule> sandboxRules();

}  // namespace oh::gateway::config_rules
