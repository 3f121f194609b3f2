#include "instance/fn_sub.h"

#include <algorithm>

namespace oh::infra::instance {

std::string escapeForSub(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    out.push_back(text[i]);
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      out += "{!";
      ++i;
    }
  }
  return out;
}

namespace {

// Calls onVariable(name) for each ${Name} and onLiteral(text) for everything else; returns
// false when a "${" has no closing brace.
template <typename OnLiteral, typename OnVariable>
bool scanSub(std::string_view text, OnLiteral onLiteral, OnVariable onVariable) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find("${", pos);
    if (open == std::string_view::npos) {
      onLiteral(text.substr(pos));
      return true;
    }
    onLiteral(text.substr(pos, open - pos));
    const std::size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) {
      onLiteral(text.substr(open));
      return false;
    }
    const std::string_view inner = text.substr(open + 2, close - open - 2);
    if (!inner.empty() && inner.front() == '!') {
      onLiteral("${");
      onLiteral(inner.substr(1));
      onLiteral("}");
    } else {
      onVariable(inner);
    }
    pos = close + 1;
  }
  return true;
}

}  // namespace

std::vector<std::string> subVariableNames(std::string_view text) {
  std::vector<std::string> names;
  scanSub(
      text, [](std::string_view) {},
      [&](std::string_view name) {
        if (std::find(names.begin(), names.end(), name) == names.end()) {
          names.emplace_back(name);
        }
      });
  return names;
}

SubResolution resolveSub(std::string_view text, const std::map<std::string, std::string>& values) {
  SubResolution result;
  result.text.reserve(text.size());
  const bool terminated = scanSub(
      text, [&](std::string_view literal) { result.text += literal; },
      [&](std::string_view name) {
        const auto found = values.find(std::string(name));
        if (found == values.end()) {
          result.unresolved.emplace_back(name);
          result.text += "${";
          result.text += name;
          result.text += "}";
        } else {
          result.text += found->second;
        }
      });
  result.unterminated = !terminated;
  return result;
}

}  // namespace oh::infra::instance
