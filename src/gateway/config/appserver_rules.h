#pragma once
// Validation rules of [appserver] (one OpenHands app server per user, issue 14): what needs what
// ([sandbox] and a sign-in), the image and directories, the URLs OpenHands is told, the key and
// password files, the environment names passed through and the database. Checked only when
// appserver.enabled is true. Private to oh_gateway_config.

#include <span>

#include "config/validation_rules.h"

namespace oh::gateway::config_rules {

std::span<const ValidationRule> appServerRules();

}  // namespace oh::gateway::config_rules
