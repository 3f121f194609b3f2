#pragma once
// Where the context comes from: the CDK CLI's app protocol (CDK_CONTEXT_JSON, and the file named
// by CONTEXT_OVERFLOW_LOCATION_ENV when the context did not fit in the environment) and
// `--context k=v` pairs. The result is the flat map parseAppContext() takes: JSON strings become
// their text, every other JSON value its compact JSON text.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "context/app_context.h"

namespace oh::infra {

using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

inline constexpr const char* kContextEnv = "CDK_CONTEXT_JSON";
inline constexpr const char* kContextOverflowEnv = "CONTEXT_OVERFLOW_LOCATION_ENV";
inline constexpr const char* kDefaultRegionEnv = "CDK_DEFAULT_REGION";
inline constexpr std::size_t kMaxContextBytes = 16U * 1024U * 1024U;

struct RawContext {
  std::map<std::string, std::string> values;
  std::vector<ContextProblem> problems;  // unreadable sources, malformed --context pairs
};

// Adds the members of a JSON object text to `into` (later sources override earlier ones).
// `source` names the origin in problems (e.g. CDK_CONTEXT_JSON).
void mergeContextJson(const std::string& json_text, const std::string& source, RawContext& into);

// Reads the overflow file (if the variable is set), then CDK_CONTEXT_JSON, then the pairs
// ("key=value"; the value may itself contain '='), each overriding the previous.
RawContext collectContext(const EnvironmentLookup& environment, const std::vector<std::string>& pairs);

// collectContext + parseAppContext with CDK_DEFAULT_REGION; problems from both, all at once.
ContextResult loadAppContext(const EnvironmentLookup& environment, const std::vector<std::string>& pairs);

EnvironmentLookup processEnvironment();

}  // namespace oh::infra
