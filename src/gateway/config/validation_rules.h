#pragma once
// Rules that look at more than one value's type and range: formats (addresses, URLs, CIDRs,
// header names) and relations between keys. A table of {key, check}, evaluated in full, so
// every broken rule is reported at once (as aws-cdk-lib's validate-*-props.ts do).
// Private to oh_gateway_config.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/settings.h"

namespace oh::gateway::config_rules {

struct ValidationRule {
  std::string_view key;
  // The message when `settings` breaks the rule, nullopt when it holds.
  std::optional<std::string> (*violation)(const Settings& settings);
};

std::span<const ValidationRule> validationRules();

}  // namespace oh::gateway::config_rules
