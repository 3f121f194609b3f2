#pragma once
// Reads and validates oh-gateway's TOML configuration. Every problem is reported at once,
// each naming its key, e.g. `upstream.connect_timeout_seconds: must be between 1 and 86400
// seconds, but -5 was provided (gateway.toml line 7, column 27)`.
//
// Usage:
//   auto result = oh::gateway::loadSettingsFile("/etc/oh-gateway/gateway.toml");
//   if (auto* problems = std::get_if<std::vector<ConfigProblem>>(&result)) {
//     std::cerr << describe(*problems);   // one "key: message" line per problem
//     return 2;
//   }
//   auto settings = std::make_shared<const Settings>(std::get<Settings>(std::move(result)));

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/settings.h"

namespace oh::gateway {

struct ConfigProblem {
  std::string key;      // dotted TOML key, e.g. "upstream.url"; "" for file-level problems
  std::string message;  // what is wrong and what is expected (with the file position when known)
};

using LoadResult = std::variant<Settings, std::vector<ConfigProblem>>;

// A configuration file larger than this is refused before parsing: the real file is a few KB,
// so anything bigger is a mistake (or an attempt to exhaust memory).
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// Parses TOML text (source_name is used in messages). Unknown keys are problems too, so a typo
// never silently falls back to a default. Never throws; touches no file (so it can be fuzzed).
LoadResult parseSettings(std::string_view toml_text, std::string_view source_name);

// Reads the file then parses it; a missing or unreadable file is one problem with key "".
LoadResult loadSettingsFile(const std::string& path);

// What the server calls on SIGHUP: the same as loadSettingsFile. On problems the caller keeps
// its current snapshot (and logs describe(problems)).
LoadResult reloadSettingsFile(const std::string& path);

// Keys whose new value a reload cannot apply without a restart (listeners, thread count),
// for a warning on SIGHUP. Empty when the change can be applied live.
std::vector<std::string> keysNeedingRestart(const Settings& running, const Settings& reloaded);

// "key: message" lines, one per problem, each ending with '\n'.
std::string describe(const std::vector<ConfigProblem>& problems);

}  // namespace oh::gateway
