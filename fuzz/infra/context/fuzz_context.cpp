// Fuzzes the context parser the way the CDK CLI and users feed it: the input is either a
// CDK_CONTEXT_JSON document or newline-separated `--context key=value` pairs (first byte picks),
// then parseAppContext with and without a default region. Invariants: no crash, and either a
// context or at least one problem, each naming a key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "context/context_sources.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  oh::infra::RawContext raw;
  if ((data[0] & 1U) == 0) {
    oh::infra::mergeContextJson(text, "CDK_CONTEXT_JSON", raw);
  } else {
    std::vector<std::string> pairs;
    std::string::size_type start = 0;
    while (start <= text.size()) {
      const auto end = text.find('\n', start);
      pairs.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    raw = oh::infra::collectContext([](const std::string&) { return std::optional<std::string>{}; }, pairs);
  }
  for (const auto& region : {std::optional<std::string>{}, std::optional<std::string>{"eu-west-1"}}) {
    const auto result = oh::infra::parseAppContext(raw.values, region);
    if (const auto* problems = std::get_if<std::vector<oh::infra::ContextProblem>>(&result)) {
      if (problems->empty()) std::abort();
      for (const auto& problem : *problems) {
        if (problem.key.empty() || problem.message.empty()) std::abort();
      }
    } else {
      const auto& context = std::get<oh::infra::AppContext>(result);
      if (context.vpc_id.empty() || context.auth_callback_domains.empty() || context.mainHost().size() > 253) {
        std::abort();
      }
    }
  }
  return 0;
}
