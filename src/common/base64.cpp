#include "common/base64.h"

#include <array>
#include <cstdint>

namespace oh::common {
namespace {

constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string encodeWith(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byteAt = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (byteAt(i) << 16) | (byteAt(i + 1) << 8) | byteAt(i + 2);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = byteAt(i) << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) {
      out += "==";
    }
  } else if (rest == 2) {
    const std::uint32_t v = (byteAt(i) << 16) | (byteAt(i + 1) << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) {
      out += "=";
    }
  }
  return out;
}

constexpr std::array<std::int8_t, 256> makeUrlTable() {
  std::array<std::int8_t, 256> table{};
  for (auto& t : table) {
    t = -1;
  }
  for (std::size_t k = 0; k < kUrlAlphabet.size(); ++k) {
    table[static_cast<unsigned char>(kUrlAlphabet[k])] = static_cast<std::int8_t>(k);
  }
  return table;
}
constexpr auto kUrlTable = makeUrlTable();

}  // namespace

std::string base64UrlEncode(std::string_view bytes) { return encodeWith(bytes, kUrlAlphabet, false); }

std::string base64Encode(std::string_view bytes) { return encodeWith(bytes, kStdAlphabet, true); }

std::optional<std::string> base64UrlDecode(std::string_view text) {
  const std::size_t rest = text.size() % 4;
  if (rest == 1) {
    return std::nullopt;
  }
  const std::size_t full = text.size() - rest;
  std::string out(full / 4 * 3 + (rest == 0 ? 0 : rest - 1), '\0');
  auto sextet = [](char c) { return kUrlTable[static_cast<unsigned char>(c)]; };
  std::size_t o = 0;
  // Four characters -> three bytes; any invalid character makes one of the values negative.
  for (std::size_t i = 0; i < full; i += 4) {
    const int a = sextet(text[i]);
    const int b = sextet(text[i + 1]);
    const int c = sextet(text[i + 2]);
    const int d = sextet(text[i + 3]);
    if ((a | b | c | d) < 0) {
      return std::nullopt;
    }
    const auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
    out[o++] = static_cast<char>(v >> 16);
    out[o++] = static_cast<char>((v >> 8) & 0xFF);
    out[o++] = static_cast<char>(v & 0xFF);
  }
  if (rest > 0) {
    const int a = sextet(text[full]);
    const int b = sextet(text[full + 1]);
    const int c = rest == 3 ? sextet(text[full + 2]) : 0;
    if ((a | b | c) < 0) {
      return std::nullopt;
    }
    const auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6));
    // The unused low bits of the last character must be zero: otherwise two encodings would
    // decode to the same bytes.
    if ((rest == 2 && (v & 0xFFFF) != 0) || (rest == 3 && (v & 0xFF) != 0)) {
      return std::nullopt;
    }
    out[o++] = static_cast<char>(v >> 16);
    if (rest == 3) {
      out[o++] = static_cast<char>((v >> 8) & 0xFF);
    }
  }
  return out;
}

}  // namespace oh::common
