#include "signin/request_parts.h"

#include <boost/url/parse.hpp>


namespace oh::gateway::signin {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string_view pathOf(std::string_view target) { return target.substr(0, target.find('?')); }

std::optional<std::string> mainHostOfRuntimeHost(std::string_view host, const std::vector<std::string>& suffixes) {
  std::string_view name = host;
  std::string_view port;
  if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos && host.find(']') == std::string_view::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon);  // ":8443"
    if (port.size() < 2 || port.size() > 6 || port.find_first_not_of("0123456789", 1) != std::string_view::npos) {
      return std::nullopt;
    }
  }
  for (const std::string& suffix : suffixes) {
    if (name.size() <= suffix.size() + 1 || !name.ends_with(suffix)) {
      continue;
    }
    const std::string_view label = name.substr(0, name.size() - suffix.size());
    // Exactly one non-empty label in front: "{port}-{convId}." (the runtime grammar's form).
    if (label.back() != '.' || label.size() < 2 || label.substr(0, label.size() - 1).find('.') != std::string_view::npos) {
      continue;
    }
    constexpr std::string_view kRuntimePrefix = "runtime.";
    return std::string(std::string_view(suffix).substr(kRuntimePrefix.size())) + std::string(port);
  }
  return std::nullopt;
}

std::optional<std::string> queryParameter(std::string_view target, std::string_view name) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) {
    return std::nullopt;
  }
  std::optional<std::string> value;
  for (const auto& param : parsed->params()) {
    if (param.key != name) {
      continue;
    }
    if (value) {
      return std::nullopt;
    }
    value = std::string(param.value);
  }
  return value;
}

}  // namespace oh::gateway::signin
