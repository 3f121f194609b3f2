#include "http/request_head.h"

namespace oh::gateway {
namespace {

// "METHOD SP target SP HTTP/d.d" (RFC 9112 section 3). Checked as soon as the line ends so an
// HTTP/0.9 line ("GET /") is refused at once instead of waiting for a header that never comes.
bool plausibleRequestLine(std::string_view line) {
  const auto first_space = line.find(' ');
  const auto last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == 0 || last_space == first_space) {
    return false;
  }
  const auto version = line.substr(last_space + 1);
  return version.size() == 8 && version.starts_with("HTTP/") && version[5] >= '0' && version[5] <= '9' &&
         version[6] == '.' && version[7] >= '0' && version[7] <= '9';
}

HeadScan fail(HeadState state, std::string_view reason) {
  HeadScan scan;
  scan.state = state;
  scan.reason = reason;
  return scan;
}

}  // namespace

HeadScan scanRequestHead(std::string_view bytes, std::size_t max_header_bytes,
                         std::size_t max_header_count) {
  // Clients may send a stray CRLF after a body (RFC 9112 section 2.2 says to ignore it).
  std::size_t start = 0;
  while (start + 1 < bytes.size() && bytes[start] == '\r' && bytes[start + 1] == '\n') {
    start += 2;
    if (start > max_header_bytes) {
      return fail(HeadState::too_large, "blank lines before the request line");
    }
  }
  std::size_t lines = 0;  // complete lines seen (request line first)
  std::size_t line_begin = start;
  for (std::size_t i = start; i < bytes.size(); ++i) {
    if (i - start >= max_header_bytes) {
      return fail(HeadState::too_large, "header bytes over limits.max_header_bytes");
    }
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') {
      if (i + 1 >= bytes.size()) {
        break;  // need the next byte to know whether this CR is bare
      }
      if (bytes[i + 1] != '\n') {
        return fail(HeadState::malformed, "bare CR in request head");
      }
      continue;
    }
    if (c == '\n') {
      if (i == start || bytes[i - 1] != '\r') {
        return fail(HeadState::malformed, "bare LF in request head");
      }
      if (i - 1 == line_begin) {
        if (lines == 0) {
          return fail(HeadState::malformed, "empty request line");
        }
        // An empty line ends the head.
        HeadScan scan;
        scan.state = HeadState::complete;
        scan.leading_blank_bytes = start;
        scan.head_bytes = i + 1 - start;
        scan.field_count = lines - 1;
        return scan;
      }
      if (lines == 0 && !plausibleRequestLine(bytes.substr(line_begin, i - 1 - line_begin))) {
        return fail(HeadState::malformed, "request line is not METHOD target HTTP/d.d");
      }
      ++lines;
      if (lines - 1 > max_header_count) {
        return fail(HeadState::too_many, "header fields over limits.max_header_count");
      }
      line_begin = i + 1;
      if (line_begin < bytes.size() && (bytes[line_begin] == ' ' || bytes[line_begin] == '\t')) {
        // Obsolete line folding, or whitespace before the first field (RFC 9112 2.2: reject).
        return fail(HeadState::malformed, "obsolete line folding or leading whitespace");
      }
      continue;
    }
    if (c == '\t') {
      continue;
    }
    if (c < 0x20 || c == 0x7f) {
      return fail(HeadState::malformed, "control character in request head");
    }
  }
  HeadScan scan;
  scan.state = HeadState::incomplete;
  scan.leading_blank_bytes = start;
  return scan;
}

}  // namespace oh::gateway
