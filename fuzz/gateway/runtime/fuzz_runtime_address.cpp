// Input: "<host>\n<target>". Checks the classifier's invariants on whatever it accepts: a port
// in 1-65535, a conversation id of the accepted grammar in lowercase, a forward target that is
// origin-form without dot-dot segments or encoded separators. Then the hand-off's host check
// (canonicalRuntimeHost, issue 16) on the same host: what it returns is lowercase letters,
// digits, '-', '.' and a ":port", one label under a configured suffix, a fixed point of itself,
// and a host the classifier routes to the same app.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "runtime/runtime_address.h"

namespace {

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void checkCanonicalHost(std::string_view host, const oh::gateway::RuntimeSettings& settings) {
  const auto canonical = oh::gateway::canonicalRuntimeHost(host, settings);
  if (!canonical) {
    return;
  }
  const std::string& out = *canonical;
  for (char c : out) {
    require((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':');
  }
  const std::string_view name = std::string_view(out).substr(0, out.find(':'));
  bool under_suffix = false;
  for (const std::string& suffix : settings.host_suffixes) {
    if (name.size() > suffix.size() + 1 && name.ends_with("." + suffix)) {
      const std::string_view label = name.substr(0, name.size() - suffix.size() - 1);
      under_suffix = under_suffix || label.find('.') == std::string_view::npos;
    }
  }
  require(under_suffix);
  require(oh::gateway::canonicalRuntimeHost(out, settings) == canonical);
  const auto original = oh::gateway::classifyRuntimeRequest(host, "/", settings);
  const auto rebuilt = oh::gateway::classifyRuntimeRequest(out, "/", settings);
  const auto* a = std::get_if<oh::gateway::RuntimeAddress>(&original);
  const auto* b = std::get_if<oh::gateway::RuntimeAddress>(&rebuilt);
  require(a != nullptr && b != nullptr && a->port == b->port && a->conversation_id == b->conversation_id &&
          a->sandbox_form == b->sandbox_form && a->service == b->service && a->main_host == b->main_host);
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
    require(address->sandbox_form ? address->conversation_id.empty()
                                  : oh::gateway::isConversationId(address->conversation_id));
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
  checkCanonicalHost(host, settings);
  return 0;
}
