#include "runtime/runtime_address.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "common/text.h"

namespace oh::gateway {
namespace {

constexpr std::string_view kRuntimeLabelPrefix = "runtime.";
constexpr std::string_view kPathPrefix = "/runtime/";
constexpr std::string_view kSandboxLabel = "sandbox";
struct ServicePrefix {
  std::string_view prefix;
  AgentService service;
};
constexpr std::array<ServicePrefix, 3> kServicePrefixes{{
    {"vscode-", AgentService::vscode}, {"work-1-", AgentService::work_1}, {"work-2-", AgentService::work_2}}};

// Takes a derived service's prefix off the label ("vscode-60000-{id}" -> "60000-{id}").
AgentService takeServicePrefix(std::string_view& label) {
  for (const ServicePrefix& known : kServicePrefixes) {
    if (common::startsWithIgnoreCase(label, known.prefix)) {
      label.remove_prefix(known.prefix.size());
      return known.service;
    }
  }
  return AgentService::none;
}
// RFC 1035: a label is at most 63 octets, a name at most 253 (plus ":65535").
constexpr std::size_t kMaxLabelLength = 63;
constexpr std::size_t kMaxHostLength = 253 + 6;

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Conversation ids are hex or alphanumeric (OpenHands' forms), compared in lower case: each
// byte's lower-case form where it may appear in one, else 0. A table, as every runtime request
// checks 32 of them.
constexpr std::array<char, 256> kConversationIdChars = [] {
  std::array<char, 256> table{};
  for (char c = '0'; c <= '9'; ++c) {
    table[static_cast<unsigned char>(c)] = c;
  }
  for (char c = 'a'; c <= 'z'; ++c) {
    table[static_cast<unsigned char>(c)] = c;
    table[static_cast<unsigned char>(c - 'a' + 'A')] = c;
  }
  return table;
}();

char conversationIdChar(char c) { return kConversationIdChars[static_cast<unsigned char>(c)]; }

// 1-65535 in decimal, no sign, no leading zero ("08080" is refused: two spellings of one port
// would be two cache keys and two origins).
std::optional<std::uint16_t> parsePort(std::string_view text) {
  if (text.empty() || text.size() > 5 || text.front() == '0') {
    return std::nullopt;
  }
  unsigned value = 0;
  for (char c : text) {
    if (!isDigit(c)) {
      return std::nullopt;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

RuntimeRefusal refuse(unsigned status, std::string reason) {
  return RuntimeRefusal{status, std::move(reason)};
}

// The request target an app may receive: origin-form, printable ASCII, no dot-dot segment (raw
// or percent-encoded), no encoded slash or backslash that a server behind us could decode into
// a path separator, no encoded NUL.
std::optional<std::string> targetProblem(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return "target is not origin-form";
  }
  const std::size_t query = target.find('?');
  const std::string_view path = target.substr(0, query);
  for (std::size_t i = 0; i < target.size(); ++i) {
    const auto c = static_cast<unsigned char>(target[i]);
    if (c < 0x21 || c >= 0x7f) {
      return "control, space or non-ASCII byte in target";
    }
    if (c == '\\') {
      return "backslash in target";
    }
    if (c == '%' && i < path.size()) {
      if (i + 2 >= target.size()) {
        return "truncated percent escape in path";
      }
      const char a = common::toLowerAscii(target[i + 1]);
      const char b = common::toLowerAscii(target[i + 2]);
      if ((a == '2' && b == 'f') || (a == '5' && b == 'c') || (a == '0' && b == '0')) {
        return "encoded slash, backslash or NUL in path";
      }
    }
  }
  // Dot segments, with %2e counted as a dot.
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    std::string_view segment = path.substr(start, end - start);
    std::size_t dots = 0;
    bool only_dots = !segment.empty();
    for (std::size_t i = 0; i < segment.size() && only_dots;) {
      if (segment[i] == '.') {
        ++dots;
        ++i;
      } else if (segment[i] == '%' && i + 2 < segment.size() && segment[i + 1] == '2' &&
                 common::toLowerAscii(segment[i + 2]) == 'e') {
        ++dots;
        i += 3;
      } else {
        only_dots = false;
      }
    }
    if (only_dots && dots == 2) {
      return "dot-dot segment in path";
    }
    start = end + 1;
  }
  return std::nullopt;
}

RuntimeClassification classifyHostLabel(std::string_view label, std::string_view target,
                                        std::string_view main_host) {
  if (label.size() > kMaxLabelLength) {
    return refuse(400, "runtime host label over 63 characters");
  }
  bool extra_labels = false;
  for (char c : label) {
    const char l = common::toLowerAscii(c);
    extra_labels = extra_labels || l == '.';
    if (!((l >= 'a' && l <= 'z') || isDigit(l) || l == '-' || l == '.')) {
      return refuse(400, "invalid character in runtime host");
    }
  }
  if (extra_labels) {
    return refuse(404, "extra labels before the runtime suffix");
  }
  const AgentService service = takeServicePrefix(label);
  const std::size_t dash = label.find('-');
  if (dash == std::string_view::npos) {
    return refuse(400, "runtime host label is not {port}-{conversation}");
  }
  const auto port = parsePort(label.substr(0, dash));
  if (!port) {
    return refuse(400, "runtime port is not 1-65535 without a leading zero");
  }
  const bool sandbox = common::equalsIgnoreCase(label.substr(dash + 1), kSandboxLabel);
  std::string conversation = sandbox ? std::string() : normaliseConversationId(label.substr(dash + 1));
  if (!sandbox && conversation.empty()) {
    return refuse(400, "runtime conversation id malformed");
  }
  if (sandbox && service != AgentService::none) {
    return refuse(400, "service prefix on a {hostPort}-sandbox host");
  }
  if (auto problem = targetProblem(target)) {
    return refuse(400, std::move(*problem));
  }
  RuntimeAddress address;
  address.sandbox_form = sandbox;
  address.service = service;
  address.port = *port;
  address.conversation_id = std::move(conversation);
  address.main_host = std::string(main_host);
  address.path_form = false;
  address.forward_target = std::string(target);
  return address;
}

// /runtime/{convId}/{port}[/rest][?query] on the main host.
RuntimeClassification classifyPathForm(std::string_view target, std::string_view main_host) {
  if (!target.starts_with(kPathPrefix)) {
    return NotRuntime{};
  }
  if (auto problem = targetProblem(target)) {
    return refuse(400, std::move(*problem));
  }
  std::string_view rest = target.substr(kPathPrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return refuse(400, "runtime path lacks a port: /runtime/{conversation}/{port}/");
  }
  std::string conversation = normaliseConversationId(rest.substr(0, slash));
  if (conversation.empty()) {
    return refuse(400, "runtime conversation id malformed");
  }
  rest.remove_prefix(slash + 1);
  const std::size_t port_end = rest.find_first_of("/?");
  const auto port = parsePort(rest.substr(0, port_end));
  if (!port) {
    return refuse(400, "runtime port is not 1-65535 without a leading zero");
  }
  std::string forward;
  if (port_end == std::string_view::npos) {
    forward = "/";
  } else if (rest[port_end] == '?') {
    forward = "/";
    forward.append(rest.substr(port_end));
  } else {
    forward = std::string(rest.substr(port_end));
  }
  RuntimeAddress address;
  address.port = *port;
  address.conversation_id = std::move(conversation);
  address.main_host = std::string(main_host);
  address.path_form = true;
  address.forward_target = std::move(forward);
  return address;
}

}  // namespace

bool isConversationId(std::string_view id) {
  if (id.size() < kMinConversationIdLength || id.size() > kMaxConversationIdLength) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) { return conversationIdChar(c) != 0; });
}

std::string normaliseConversationId(std::string_view id) {
  if (id.size() < kMinConversationIdLength || id.size() > kMaxConversationIdLength) {
    return {};
  }
  std::string out(id.size(), '\0');
  char* lowered = out.data();
  for (std::size_t i = 0; i < id.size(); ++i) {
    lowered[i] = conversationIdChar(id[i]);
    if (lowered[i] == 0) {
      return {};
    }
  }
  return out;
}

RuntimeClassification classifyRuntimeRequest(std::string_view host, std::string_view target,
                                              const RuntimeSettings& settings) {
  if (settings.host_suffixes.empty() || host.empty()) {
    return NotRuntime{};
  }
  std::string_view name = host;
  std::optional<std::string_view> host_port;
  if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos &&
                                                 host.find(']') == std::string_view::npos) {
    name = host.substr(0, colon);
    host_port = host.substr(colon + 1);
  }
  for (const std::string& suffix : settings.host_suffixes) {
    if (suffix.empty()) {
      continue;
    }
    const std::string_view main_host = common::startsWithIgnoreCase(suffix, kRuntimeLabelPrefix) &&
                                               suffix.size() > kRuntimeLabelPrefix.size()
                                           ? std::string_view(suffix).substr(kRuntimeLabelPrefix.size())
                                           : std::string_view();
    const bool is_main = !main_host.empty() && common::equalsIgnoreCase(name, main_host);
    const bool under_suffix = name.size() > suffix.size() + 1 && common::endsWithIgnoreCase(name, suffix) &&
                              name[name.size() - suffix.size() - 1] == '.';
    const bool is_bare_suffix = common::equalsIgnoreCase(name, suffix);
    if (!is_main && !under_suffix && !is_bare_suffix) {
      continue;
    }
    if (host_port && !parsePort(*host_port)) {
      if (is_main && !target.starts_with(kPathPrefix)) {
        return NotRuntime{};  // the main app's own business
      }
      return refuse(400, "malformed port in Host");
    }
    if (host.size() > kMaxHostLength) {
      return refuse(400, "Host too long");
    }
    std::string main_lower(main_host.empty() ? std::string_view(suffix) : main_host);
    for (char& c : main_lower) {
      c = common::toLowerAscii(c);
    }
    if (is_main) {
      return classifyPathForm(target, main_lower);
    }
    if (is_bare_suffix) {
      return refuse(404, "runtime suffix without an app label");
    }
    return classifyHostLabel(name.substr(0, name.size() - suffix.size() - 1), target, main_lower);
  }
  return NotRuntime{};
}

std::optional<std::string> canonicalRuntimeHost(std::string_view host, const RuntimeSettings& settings) {
  auto classified = classifyRuntimeRequest(host, "/", settings);
  const auto* address = std::get_if<RuntimeAddress>(&classified);
  if (address == nullptr || address->path_form) {
    return std::nullopt;
  }
  // The grammar accepted `host`: one label, then a configured suffix, then an optional valid
  // port. Take the suffix the classification took (the first one `host` lies under) and
  // rebuild every part.
  std::string_view name = host;
  std::string_view port;
  if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
    if (!parsePort(port)) {
      return std::nullopt;
    }
  }
  for (const std::string& suffix : settings.host_suffixes) {
    if (suffix.empty() || name.size() <= suffix.size() + 1 || !common::endsWithIgnoreCase(name, suffix) ||
        name[name.size() - suffix.size() - 1] != '.') {
      continue;
    }
    std::string out;
    for (const ServicePrefix& known : kServicePrefixes) {
      if (known.service == address->service) {
        out = known.prefix;  // "vscode-", "work-1-", "work-2-"
      }
    }
    out += std::to_string(address->port) + "-" +
           (address->sandbox_form ? std::string(kSandboxLabel) : address->conversation_id) + ".";
    for (char c : suffix) {
      out.push_back(common::toLowerAscii(c));
    }
    if (!port.empty()) {
      out += ":" + std::to_string(*parsePort(port));
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace oh::gateway
