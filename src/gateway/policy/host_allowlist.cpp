#include "policy/host_allowlist.h"

#include <algorithm>

#include "common/text.h"

namespace oh::gateway {
namespace {

struct HostParts {
  std::string name;  // lowercase, without a root dot
  std::string port;  // digits, or empty
  bool valid = false;
};

// "name", "name:port", "[v6]" or "[v6]:port"; the port, when present, 1 to 5 digits.
HostParts split(std::string_view host) {
  HostParts parts;
  std::string_view name = host;
  std::string_view port;
  const std::size_t close = host.rfind(']');
  const std::size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
      return parts;
    }
  }
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  if (name.empty()) {
    return parts;
  }
  parts.name = common::lowercaseAscii(name);
  parts.port = std::string(port);
  parts.valid = true;
  return parts;
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

HostAllowlist::HostAllowlist(const std::vector<std::string>& main_hosts,
                             const std::vector<std::string>& runtime_suffixes) {
  auto add = [this](std::string_view entry) {
    const HostParts parts = split(entry);
    if (!parts.valid) {
      return;
    }
    if (parts.port.empty()) {
      names_.push_back(parts.name);
    } else {
      exact_.push_back(parts.name + ":" + parts.port);
    }
  };
  for (const std::string& host : main_hosts) {
    add(host);
  }
  constexpr std::string_view kRuntimeLabel = "runtime.";
  for (const std::string& suffix : runtime_suffixes) {
    const std::string name = common::lowercaseAscii(suffix);
    if (name.empty()) {
      continue;
    }
    suffixes_.push_back(name);
    if (name.starts_with(kRuntimeLabel) && name.size() > kRuntimeLabel.size()) {
      names_.push_back(name.substr(kRuntimeLabel.size()));  // its main host
    }
  }
}

bool HostAllowlist::admits(std::string_view host) const {
  if (!enforced()) {
    return true;
  }
  const HostParts parts = split(host);
  if (!parts.valid) {
    return false;
  }
  if (contains(names_, parts.name) || (!parts.port.empty() && contains(exact_, parts.name + ":" + parts.port))) {
    return true;
  }
  return std::any_of(suffixes_.begin(), suffixes_.end(), [&](const std::string& suffix) {
    return parts.name == suffix || (parts.name.size() > suffix.size() && parts.name.ends_with(suffix) &&
                                    parts.name[parts.name.size() - suffix.size() - 1] == '.');
  });
}

bool isLoopbackHostHeader(std::string_view host) {
  const HostParts parts = split(host);
  return parts.valid && (parts.name == "127.0.0.1" || parts.name == "localhost" || parts.name == "[::1]");
}

}  // namespace oh::gateway
