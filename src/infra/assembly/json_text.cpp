#include "assembly/json_text.h"

#include <array>
#include <charconv>
#include <cmath>

namespace oh::infra {
namespace {

void appendEscaped(std::string& out, const boost::json::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20U) {
          out += "\\u00";
          out.push_back(kHex[byte >> 4U]);
          out.push_back(kHex[byte & 0x0fU]);
        } else {
          out.push_back(c);  // UTF-8 passes through unchanged, as JSON.stringify does
        }
    }
  }
  out.push_back('"');
}

void appendDouble(std::string& out, double number) {
  if (!std::isfinite(number)) {
    out += "null";
    return;
  }
  if (number == 0.0) {  // also -0, which JavaScript prints as 0
    out.push_back('0');
    return;
  }
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), number);
  std::string text(buffer.data(), result.ptr);
  // JavaScript writes exponents as e+21 / e-7; to_chars writes e+21 / e-07.
  const auto e = text.find('e');
  if (e != std::string::npos) {
    std::string mantissa = text.substr(0, e);
    char sign = text[e + 1];
    std::string digits = text.substr(e + 2);
    while (digits.size() > 1 && digits.front() == '0') digits.erase(0, 1);
    text = mantissa + "e" + sign + digits;
  }
  out += text;
}

void newline(std::string& out, int indent, int depth) {
  if (indent <= 0) return;
  out.push_back('\n');
  out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(depth), ' ');
}

void append(std::string& out, const boost::json::value& value, int indent, int depth) {
  switch (value.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += value.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: out += std::to_string(value.get_int64()); break;
    case boost::json::kind::uint64: out += std::to_string(value.get_uint64()); break;
    case boost::json::kind::double_: appendDouble(out, value.get_double()); break;
    case boost::json::kind::string: appendEscaped(out, value.get_string()); break;
    case boost::json::kind::array: {
      const auto& array = value.get_array();
      if (array.empty()) {
        out += "[]";
        break;
      }
      out.push_back('[');
      bool first = true;
      for (const auto& element : array) {
        if (!first) out.push_back(',');
        first = false;
        newline(out, indent, depth + 1);
        append(out, element, indent, depth + 1);
      }
      newline(out, indent, depth);
      out.push_back(']');
      break;
    }
    case boost::json::kind::object: {
      const auto& object = value.get_object();
      if (object.empty()) {
        out += "{}";
        break;
      }
      out.push_back('{');
      bool first = true;
      for (const auto& member : object) {
        if (!first) out.push_back(',');
        first = false;
        newline(out, indent, depth + 1);
        appendEscaped(out, boost::json::string(member.key()));
        out += indent > 0 ? ": " : ":";
        append(out, member.value(), indent, depth + 1);
      }
      newline(out, indent, depth);
      out.push_back('}');
      break;
    }
  }
}

}  // namespace

std::string jsonText(const boost::json::value& value, int indent) {
  std::string out;
  append(out, value, indent, 0);
  return out;
}

}  // namespace oh::infra
