#include "observability/access_log.h"

#include "common/text.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

namespace oh::gateway {
namespace {

// Query keys whose values are credentials, compared after percent-decoding and lower-casing.
// "t" is the runtime hand-off ticket (/_gateway/ticket?t=...): one-time, but a credential.
constexpr std::array<std::string_view, 13> kSecretKeys{
    "session_api_key", "tkn",       "code",      "state",     "token",    "access_token",
    "id_token",        "refresh_token", "password", "api_key", "apikey", "signature", "t"};
// Any key containing one of these is treated as a credential too.
constexpr std::array<std::string_view, 4> kSecretKeyParts{"secret", "token", "password", "credential"};

// Longer values are cut (with "..."), so one line stays far below CloudWatch's 256 KB event limit.
constexpr std::size_t kMaxFieldBytes = 4096;

// One round of form decoding ('+' is a space, %XX a byte), lower-cased.
std::string decodeOnce(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    const int hi = i + 2 < text.size() ? common::hexDigitValue(text[i + 1]) : -1;
    const int lo = i + 2 < text.size() ? common::hexDigitValue(text[i + 2]) : -1;
    if (c == '%' && hi >= 0 && lo >= 0) {
      // Lenient on purpose: a malformed escape stays as it is, the key is still matched.
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+') {
      c = ' ';
    }
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    out += c;
  }
  return out;
}

bool isSecretKey(std::string_view raw_key) {
  // Decode until stable (bounded): a doubly encoded key ("%2574oken") is still treated as what
  // it would become, erring on the side of redacting.
  std::string key = decodeOnce(raw_key);
  for (int round = 0; round < 3 && key.find('%') != std::string::npos; ++round) {
    std::string next = decodeOnce(key);
    if (next == key) {
      break;
    }
    key = std::move(next);
  }
  // Surrounding spaces would otherwise hide "token " from the exact list.
  while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.erase(0, 1);
  for (std::string_view secret : kSecretKeys) {
    if (key == secret) {
      return true;
    }
  }
  for (std::string_view part : kSecretKeyParts) {
    if (key.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

void appendUtf8Escaped(std::string& out, std::string_view text);

void appendString(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":\"";
  appendUtf8Escaped(out, value.substr(0, kMaxFieldBytes));
  if (value.size() > kMaxFieldBytes) {
    out += "...";
  }
  out += '"';
}

void appendNumber(std::string& out, std::string_view name, std::uint64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += std::to_string(value);
}

// JSON string escaping that also repairs invalid UTF-8 (each bad byte becomes U+FFFD), so the
// line always parses and no byte sequence can end the string or the line early.
void appendUtf8Escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t i = 0;
  while (i < text.size()) {
    // Fast path: append a run of printable ASCII that needs no escaping in one go.
    std::size_t run = i;
    while (run < text.size()) {
      const auto c = static_cast<unsigned char>(text[run]);
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
        break;
      }
      ++run;
    }
    if (run > i) {
      out.append(text.substr(i, run - i));
      i = run;
      continue;
    }
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      switch (byte) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (byte < 0x20 || byte == 0x7f) {
            out += "\\u00";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
          } else {
            out += static_cast<char>(byte);
          }
      }
      ++i;
      continue;
    }
    // Validate one multi-byte sequence (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
      code_point = byte & 0x1Fu;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      code_point = byte & 0x0Fu;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      code_point = byte & 0x07u;
    }
    bool valid = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0u) != 0x80u) {
        valid = false;
      } else {
        code_point = (code_point << 6) | (next & 0x3Fu);
      }
    }
    if (valid) {
      const bool overlong = (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
      const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
      valid = !overlong && !surrogate && code_point <= 0x10FFFF;
    }
    if (!valid) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (code_point == 0x2028 || code_point == 0x2029) {
      // Line separators: valid JSON, but some log viewers split lines on them.
      out += code_point == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
}

void appendTime(std::string& out, std::chrono::system_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[40];
  const int n = std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                              utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                              static_cast<int>(millis));
  out += "\"time\":\"";
  if (n > 0) {
    out.append(buffer, static_cast<std::size_t>(n));
  }
  out += '"';
}

// An absolute-form target ("http://user:pass@host/...", refused by the server but still logged)
// keeps its scheme and host; user information becomes REDACTED.
std::string redactUserInfo(std::string_view before_query) {
  const std::size_t scheme_end = before_query.find("://");
  if (before_query.starts_with("/") || scheme_end == std::string_view::npos) {
    return std::string(before_query);
  }
  const std::size_t authority = scheme_end + 3;
  const std::size_t authority_end = std::min(before_query.find('/', authority), before_query.size());
  const std::size_t at = before_query.substr(0, authority_end).rfind('@');
  if (at == std::string_view::npos || at < authority) {
    return std::string(before_query);
  }
  return std::string(before_query.substr(0, authority)) + "REDACTED" + std::string(before_query.substr(at));
}

}  // namespace

std::string redactTarget(std::string_view target) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) {
    return redactUserInfo(target);
  }
  std::string out = redactUserInfo(target.substr(0, question)) + "?";
  std::string_view query = target.substr(question + 1);
  // '&' and ';' both separate parameters for some servers; splitting on both redacts more.
  while (true) {
    const std::size_t end = query.find_first_of("&;");
    const std::string_view parameter = query.substr(0, end);
    const std::size_t equals = parameter.find('=');
    if (equals != std::string_view::npos && isSecretKey(parameter.substr(0, equals))) {
      out.append(parameter.substr(0, equals + 1));
      out += "REDACTED";
    } else {
      out.append(parameter);
    }
    if (end == std::string_view::npos) {
      break;
    }
    out += query[end];
    query.remove_prefix(end + 1);
  }
  return out;
}

std::string formatAccessLog(const AccessLogEntry& entry) {
  std::string out;
  out.reserve(256 + entry.target.size() + entry.user_agent.size());
  out += '{';
  appendTime(out, entry.time);
  appendString(out, "client_ip", entry.client_ip);
  appendString(out, "method", entry.method);
  appendString(out, "target", redactTarget(entry.target));
  appendString(out, "host", entry.host);
  appendNumber(out, "status", entry.status);
  appendNumber(out, "bytes_in", entry.bytes_in);
  appendNumber(out, "bytes_out", entry.bytes_out);
  const std::int64_t ns = entry.duration.count() > 0 ? entry.duration.count() : 0;
  out += ",\"duration_ms\":";
  char buffer[32];
  const int n = std::snprintf(buffer, sizeof buffer, "%.3f", static_cast<double>(ns) / 1e6);
  if (n > 0) {
    out.append(buffer, static_cast<std::size_t>(n));
  }
  appendString(out, "route", routeClassName(entry.route));
  if (!entry.upstream_status.empty()) {
    appendString(out, "upstream_status", entry.upstream_status);
  }
  if (!entry.reason.empty()) {
    appendString(out, "reason", entry.reason);
  }
  if (!entry.user.empty()) {
    appendString(out, "user", entry.user);
  }
  appendString(out, "user_agent", entry.user_agent);
  appendString(out, "request_id", entry.request_id);
  out += '}';
  return out;
}

}  // namespace oh::gateway
