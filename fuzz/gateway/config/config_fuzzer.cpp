// libFuzzer target: parseSettings must never crash, hang or throw on any bytes, and what it
// returns must hold the loader's promises (checked below), so a bug shows up as a crash.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/load_settings.h"

namespace {

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = oh::gateway::parseSettings(text, "fuzz.toml");
  if (auto* problems = std::get_if<std::vector<oh::gateway::ConfigProblem>>(&result)) {
    check(!problems->empty());
    for (const auto& problem : *problems) {
      check(!problem.message.empty());
    }
    (void)oh::gateway::describe(*problems);
    return 0;
  }
  const auto& settings = std::get<oh::gateway::Settings>(result);
  // A valid result always satisfies the cross-key rules.
  check(!settings.upstream.host.empty() && settings.upstream.port != 0);
  check(!settings.origin.enabled || !settings.origin.current_secret_file.empty());
  check(settings.origin.enabled || settings.mode == oh::gateway::Mode::local);
  check(settings.rate_limit.requests_per_second > 0 && settings.rate_limit.burst >= 1);
  check(settings.server.client_header_timeout.count() >= 1);
  return 0;
}
