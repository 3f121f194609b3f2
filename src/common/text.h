#pragma once
// Small text primitives for HTTP-shaped input, shared so every parser treats whitespace,
// case and percent-escapes the same way.

#include <optional>
#include <string>
#include <string_view>

namespace oh::common {

// Removes RFC 9110 optional whitespace (SP and HTAB) from both ends.
std::string_view trimOws(std::string_view text);

// ASCII lower case of one character (others unchanged).
constexpr char toLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// ASCII lower case of a string (host labels, ids that become host labels).
std::string lowercaseAscii(std::string_view text);

// ASCII case-insensitive equality (header names, tokens, host names).
bool equalsIgnoreCase(std::string_view a, std::string_view b);

// ASCII case-insensitive prefix, suffix and substring tests.
bool startsWithIgnoreCase(std::string_view text, std::string_view prefix);
bool endsWithIgnoreCase(std::string_view text, std::string_view suffix);
bool containsIgnoreCase(std::string_view text, std::string_view needle);

// The value of one hexadecimal digit, or -1.
int hexDigitValue(char c);

// One round of percent-decoding; with plus_as_space, '+' becomes ' ' (HTML form encoding).
// nullopt on a malformed escape (a '%' not followed by two hex digits).
std::optional<std::string> percentDecode(std::string_view text, bool plus_as_space = false);

// At most max_bytes of text, cut before a UTF-8 continuation byte rather than inside a sequence
// (for echoing a peer's text in a message that must stay valid UTF-8).
std::string_view truncateUtf8(std::string_view text, std::size_t max_bytes);

// Percent-encodes every byte but RFC 3986's unreserved characters (ASCII letters, digits and
// - . _ ~): a query or form value (OAuth form bodies, the Docker API's filters= JSON).
std::string percentEncode(std::string_view text);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string escapeHtml(std::string_view text);

}  // namespace oh::common
