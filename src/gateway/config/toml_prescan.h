#pragma once
// Checks on the raw text before toml++ parses it, for inputs TOML 1.0 forbids anyway but that
// reach undefined behaviour in toml++ 3.3 (Debian 12's version), both found by fuzz_config:
//  - a control character (other than tab, LF, CR) anywhere: parse_key() asserts on it after '[';
//  - a non-ASCII character outside strings and comments: is_non_ascii_horizontal_whitespace()
//    reaches TOML_UNREACHABLE for U+00A1..U+0499.
// Private to oh_gateway_config.

#include <optional>
#include <string>
#include <string_view>

namespace oh::gateway::config_prescan {

// The problem ("at line L, column C: ...") or nullopt when the text may go to toml++.
std::optional<std::string> findForbiddenCharacter(std::string_view text);

}  // namespace oh::gateway::config_prescan
