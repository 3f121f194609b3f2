#include "http/message_writer.h"

#include <cstdint>
#include <cstring>

#include <boost/beast/http/status.hpp>

namespace oh::gateway {
namespace http = boost::beast::http;

namespace {

template <class String>
void appendVersion(String& out, unsigned version) {
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10 % 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
}

// True when `text` holds a CR or an LF. Eight bytes at a time (this runs over every value of
// every relayed head, and values are short): a byte equal to c makes (w ^ c) hold a zero byte,
// which (x - 0x01..01) & ~x & 0x80..80 detects exactly.
bool hasLineBreak(std::string_view text) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  constexpr std::uint64_t kCr = kOnes * '\r';
  constexpr std::uint64_t kLf = kOnes * '\n';
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + i, sizeof word);
    const std::uint64_t cr = word ^ kCr;
    const std::uint64_t lf = word ^ kLf;
    if ((((cr - kOnes) & ~cr) | ((lf - kOnes) & ~lf)) & kHighs) {
      return true;
    }
  }
  for (; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      return true;
    }
  }
  return false;
}

// A value as one line: CR and LF become spaces (see the header comment).
template <class String>
void appendValue(String& out, std::string_view value) {
  const std::size_t start = out.size();
  out.append(value);
  if (!hasLineBreak(value)) {
    return;
  }
  for (std::size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') {
      out[i] = ' ';
    }
  }
}

template <class String, bool isRequest>
void appendFields(String& out, const http::header<isRequest, Fields>& head) {
  for (const auto& field : head) {
    const auto name = field.name_string();
    out.append(name.data(), name.size());
    out += ": ";
    appendValue(out, field.value());
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace

template <class String>
void appendRequestHead(String& out, const RequestHeader& head) {
  const auto method = head.method_string();
  const auto target = head.target();
  out.append(method.data(), method.size());
  out += ' ';
  appendValue(out, target);
  out += ' ';
  appendVersion(out, head.version());
  out += "\r\n";
  appendFields(out, head);
}

template <class String>
void appendResponseHead(String& out, const ResponseHeader& head) {
  appendVersion(out, head.version());
  const unsigned code = head.result_int();
  const char digits[] = {' ', static_cast<char>('0' + code / 100 % 10), static_cast<char>('0' + code / 10 % 10),
                         static_cast<char>('0' + code % 10), ' '};
  out.append(digits, sizeof digits);
  // reason(): the text the upstream sent, else the standard one for the code.
  appendValue(out, head.reason());
  out += "\r\n";
  appendFields(out, head);
}

template void appendRequestHead(std::string&, const RequestHeader&);
template void appendRequestHead(std::pmr::string&, const RequestHeader&);
template void appendResponseHead(std::string&, const ResponseHeader&);
template void appendResponseHead(std::pmr::string&, const ResponseHeader&);

BodyFraming::Frame BodyFraming::frame(std::size_t size, bool last) {
  if (!chunked_) {
    return {};
  }
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
  static constexpr std::string_view kChunkEnd = "\r\n";
  static constexpr std::string_view kChunkEndAndLast = "\r\n0\r\n\r\n";
  if (size == 0) {
    return {{}, last ? kLastChunk : std::string_view{}};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  char* end = prefix_ + sizeof prefix_;
  char* p = end;
  *--p = '\n';
  *--p = '\r';
  for (std::size_t rest = size; rest != 0; rest >>= 4) {
    *--p = kHex[rest & 0xf];
  }
  return {{p, static_cast<std::size_t>(end - p)}, last ? kChunkEndAndLast : kChunkEnd};
}

}  // namespace oh::gateway
