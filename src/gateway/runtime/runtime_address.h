#pragma once
// Which user app a request is for (issue 5): the host form {port}-{convId}.runtime.{sub}.{domain}
// (strict, case-insensitive) and the path form /runtime/{convId}/{port}/... on a main host.
// A pure function: refusals cost no Docker call.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "config/settings.h"

namespace oh::gateway {

struct RuntimeAddress {
  std::uint16_t port = 0;
  std::string conversation_id;   // normalised (lowercase)
  std::string main_host;         // the host the runtime suffix belongs to: "{sub}.{domain}"
  bool path_form = false;        // /runtime/{convId}/{port}/... on the main host
  std::string forward_target;    // the target the app receives ("/..." with the prefix removed for the path form)
};

struct RuntimeRefusal {
  unsigned status = 400;         // 400 malformed, 404 not a runtime host we serve
  std::string reason;            // for the access log
};

struct NotRuntime {};

using RuntimeClassification = std::variant<NotRuntime, RuntimeAddress, RuntimeRefusal>;

RuntimeClassification classifyRuntimeRequest(std::string_view host, std::string_view target,
                                              const RuntimeSettings& settings);

}  // namespace oh::gateway
