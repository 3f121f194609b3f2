#include "context/context_sources.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace oh::infra {

void mergeContextJson(const std::string& json_text, const std::string& source, RawContext& into) {
  if (json_text.size() > kMaxContextBytes) {
    into.problems.push_back({source, source + " is larger than 16 MiB"});
    return;
  }
  boost::json::error_code ec;
  const boost::json::value document = boost::json::parse(json_text, ec);
  if (ec || !document.is_object()) {
    into.problems.push_back({source, source + " is not a JSON object (" +
                                         (ec ? ec.message() : std::string("another JSON value")) + ")"});
    return;
  }
  for (const auto& member : document.get_object()) {
    const std::string key(member.key());
    const auto& value = member.value();
    into.values[key] = value.is_string() ? std::string(value.get_string()) : boost::json::serialize(value);
  }
}

RawContext collectContext(const EnvironmentLookup& environment, const std::vector<std::string>& pairs) {
  RawContext raw;
  if (const auto overflow = environment(kContextOverflowEnv); overflow && !overflow->empty()) {
    std::ifstream in(*overflow, std::ios::binary);
    std::string text;
    if (in) {
      std::ostringstream buffer;
      buffer << in.rdbuf();
      text = buffer.str();
    }
    if (!in) {
      raw.problems.push_back({kContextOverflowEnv, std::string("cannot read the context file ") + *overflow +
                                                        " named by " + kContextOverflowEnv});
    } else {
      mergeContextJson(text, kContextOverflowEnv, raw);
    }
  }
  if (const auto json = environment(kContextEnv); json && !json->empty()) {
    mergeContextJson(*json, kContextEnv, raw);
  }
  for (const auto& pair : pairs) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      raw.problems.push_back({pair, "--context expects key=value, e.g. --context vpcId=vpc-0123456789abcdef0 (got '" +
                                        pair.substr(0, 64) + "')"});
      continue;
    }
    raw.values[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  return raw;
}

ContextResult loadAppContext(const EnvironmentLookup& environment, const std::vector<std::string>& pairs) {
  RawContext raw = collectContext(environment, pairs);
  ContextResult parsed = parseAppContext(raw.values, environment(kDefaultRegionEnv));
  if (raw.problems.empty()) return parsed;
  if (auto* problems = std::get_if<std::vector<ContextProblem>>(&parsed)) {
    raw.problems.insert(raw.problems.end(), problems->begin(), problems->end());
  }
  return raw.problems;
}

EnvironmentLookup processEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

}  // namespace oh::infra
