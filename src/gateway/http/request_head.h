#pragma once
// Byte-level checks on a request's head (request line + header fields) BEFORE Beast parses it.
// Beast's parser accepts some forms that a proxy must refuse so that it and the upstream can
// never disagree on where a request ends (request smuggling): obsolete line folding
// (RFC 9112 section 5.2), bare CR and bare LF line ends (section 2.2), NUL and other control
// characters. Checking the raw bytes is simpler and stricter than re-deriving them afterwards.

#include <cstddef>
#include <string_view>

namespace oh::gateway {

enum class HeadState {
  incomplete,  // no blank line yet and still under the byte limit: read more
  complete,    // head_bytes bytes form a clean head ending in CRLFCRLF
  too_large,   // over max_header_bytes (-> 431)
  too_many,    // more than max_header_count fields (-> 431)
  malformed,   // hostile or broken bytes (-> 400)
};

struct HeadScan {
  HeadState state = HeadState::incomplete;
  std::size_t leading_blank_bytes = 0;  // CRLFs before the request line, to skip (RFC 9112 2.2)
  std::size_t head_bytes = 0;           // complete: bytes of the head after the leading blanks
  std::size_t field_count = 0;          // complete: header fields seen
  std::string_view reason;              // malformed/too_*: a short static explanation for logs
};

// Scans `bytes` (what has been read so far). Pure and allocation-free; the server calls it after
// each read until the state is no longer `incomplete`.
HeadScan scanRequestHead(std::string_view bytes, std::size_t max_header_bytes,
                         std::size_t max_header_count);

}  // namespace oh::gateway
