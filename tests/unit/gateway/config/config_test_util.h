#pragma once
// Helpers shared by the configuration tests.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/load_settings.h"

namespace oh::gateway::testing {

// The lines every valid file needs: the origin secret (origin is enabled by default) and, since
// the default provider "local" needs a users file and a cookie key, no sign-in (local mode only).
inline constexpr std::string_view kSecretLine =
    "[origin]\ncurrent_secret_file = \"/run/oh/origin\"\n[auth]\nprovider = \"none\"\n";

inline std::vector<ConfigProblem> problemsOf(std::string_view text) {
  auto result = parseSettings(text, "test.toml");
  if (auto* problems = std::get_if<std::vector<ConfigProblem>>(&result)) {
    return *problems;
  }
  return {};
}

inline std::optional<Settings> settingsOf(std::string_view text) {
  auto result = parseSettings(text, "test.toml");
  if (auto* problems = std::get_if<std::vector<ConfigProblem>>(&result)) {
    ADD_FAILURE() << "unexpected problems:\n" << describe(*problems);
    return std::nullopt;
  }
  return std::get<Settings>(std::move(result));
}

inline bool hasProblem(const std::vector<ConfigProblem>& problems, std::string_view key,
                       std::string_view message_part) {
  for (const ConfigProblem& problem : problems) {
    if (problem.key == key && problem.message.find(message_part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace oh::gateway::testing
