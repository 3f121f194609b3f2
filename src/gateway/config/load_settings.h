#pragma once
// Reads and validates oh-gateway's TOML configuration. Every problem is reported at once,
// each naming its key, e.g. `upstream.connect_timeout_seconds: must be between 1 and 3600, but -5 was provided`.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/settings.h"

namespace oh::gateway {

struct ConfigProblem {
  std::string key;      // dotted TOML key, e.g. "upstream.url"; "" for file-level problems
  std::string message;  // what is wrong and what is expected
};

using LoadResult = std::variant<Settings, std::vector<ConfigProblem>>;

// Parses TOML text (source_name is used in messages). Unknown keys are problems too, so a typo
// never silently falls back to a default.
LoadResult parseSettings(std::string_view toml_text, std::string_view source_name);

// Reads the file then parses it; a missing or unreadable file is one problem with key "".
LoadResult loadSettingsFile(const std::string& path);

// "key: message" lines, one per problem.
std::string describe(const std::vector<ConfigProblem>& problems);

}  // namespace oh::gateway
