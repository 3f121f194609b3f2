#pragma once
// Shows a configuration value inside a message: quoted, control characters replaced, long
// values cut, so a hostile value cannot forge extra lines in the error output.
// Private to oh_gateway_config.

#include <string>
#include <string_view>

namespace oh::gateway::config_text {

inline std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (char c : text.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  if (text.size() > kMaxShown) {
    out += "...";
  }
  out += '"';
  return out;
}

}  // namespace oh::gateway::config_text
