// Input: "<host>\n<target>". Checks the classifier's invariants on whatever it accepts: a port
// in 1-65535, a conversation id of the accepted grammar in lowercase, a forward target that is
// origin-form without dot-dot segments or encoded separators.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "runtime/runtime_address.h"

namespace {

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view host = input.substr(0, newline);
  const std::string_view target = newline == std::string_view::npos ? std::string_view("/") : input.substr(newline + 1);
  static const oh::gateway::RuntimeSettings settings = [] {
    oh::gateway::RuntimeSettings s;
    s.enabled = true;
    s.host_suffixes = {"runtime.oh.test", "runtime.openhands.example.com"};
    return s;
  }();
  const auto result = oh::gateway::classifyRuntimeRequest(host, target, settings);
  if (const auto* address = std::get_if<oh::gateway::RuntimeAddress>(&result)) {
    require(address->port >= 1);
    require(oh::gateway::isConversationId(address->conversation_id));
    for (char c : address->conversation_id) {
      require(!(c >= 'A' && c <= 'Z'));
    }
    const std::string_view forward = address->forward_target;
    require(!forward.empty() && forward.front() == '/');
    const std::string_view path = forward.substr(0, forward.find('?'));
    require(path.find("/../") == std::string_view::npos);
    require(!(path.size() >= 3 && path.substr(path.size() - 3) == "/.."));
    for (std::string_view bad : {"%2f", "%2F", "%5c", "%5C", "\\"}) {
      require(path.find(bad) == std::string_view::npos);
    }
    for (char c : forward) {
      require(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f);
    }
    require(address->main_host == "oh.test" || address->main_host == "openhands.example.com");
  } else if (const auto* refusal = std::get_if<oh::gateway::RuntimeRefusal>(&result)) {
    require(refusal->status == 400 || refusal->status == 404);
  }
  return 0;
}
