#include "settings_store.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace oh::appserver_standin {

namespace json = boost::json;
using common::failure;

namespace {

// Settings.update with the *_diff payloads deep-merged into the nested objects they name
// (agent_settings_diff → agent_settings, conversation_settings_diff → conversation_settings).
void deepMerge(json::object& into, const json::object& diff) {
  for (const auto& [key, value] : diff) {
    auto* existing = into.if_contains(key);
    if (existing != nullptr && existing->is_object() && value.is_object()) {
      deepMerge(existing->as_object(), value.as_object());
    } else {
      into[key] = value;
    }
  }
}

}  // namespace

common::Result<std::optional<json::object>> SettingsStore::load() const {
  const std::lock_guard lock(mutex_);
  std::ifstream in(path_, std::ios::binary);
  if (!in) return std::optional<json::object>();
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto parsed = json::parse(text.str(), ec);
  if (ec || !parsed.is_object()) return failure(path_ + " is not a JSON object");
  return std::optional<json::object>(std::move(parsed.as_object()));
}

common::Result<bool> SettingsStore::merge(const json::object& payload) {
  auto existing = load();
  if (!existing) return failure(existing.error().reason);
  const std::lock_guard lock(mutex_);
  json::object settings = existing.value().value_or(json::object{});
  for (const auto& [key, value] : payload) {
    if (key == "agent_settings_diff" || key == "conversation_settings_diff") {
      const std::string target(key.substr(0, key.size() - 5));
      if (!value.is_object()) return failure(std::string(key) + " must be an object");
      if (!settings.contains(target) || !settings[target].is_object()) settings[target] = json::object{};
      deepMerge(settings[target].as_object(), value.as_object());
    } else {
      settings[key] = value;
    }
  }
  const std::string temporary = path_ + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << json::serialize(settings);
    out.flush();
    if (!out) return failure("cannot write " + temporary);
  }
  if (std::rename(temporary.c_str(), path_.c_str()) != 0) return failure("cannot replace " + path_);
  return true;
}

}  // namespace oh::appserver_standin
