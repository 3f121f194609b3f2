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

// The text itself, unquoted, with control characters replaced and cut like quoted(): for
// unknown keys, which become ConfigProblem::key.
inline std::string printable(std::string_view text) {
  const std::string shown = quoted(text);
  return shown.substr(1, shown.size() - 2);
}

}  // namespace oh::gateway::config_text
