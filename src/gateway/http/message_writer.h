#pragma once
// Writes relayed HTTP/1.1 messages: each head as one contiguous buffer, and the framing around
// each piece of a body. The relay sends a head and the body bytes that came with it in one
// system call. Beast's serializer, which presents a head as a sequence of per-field buffers,
// cost more instructions per request than everything else the relay does together
// (docs/benchmarks.md, "instructions per request").
//
// Heads are written as the fields stand, in order: the header policy (header_policy.h) has
// already decided what goes. The one check made here is a last line of defence: a line break
// inside a value (which the parser never lets through, but a gate's edits or a claim in a token
// could carry) is written as a space, so no value can start a header or a message of its own.

#include <cstddef>
#include <memory_resource>
#include <string>
#include <string_view>

#include "http/fields.h"

namespace oh::gateway {

// Appends "METHOD target HTTP/x.y\r\n", every field and the empty line to `out` (a std::string
// or a std::pmr::string).
template <class String>
void appendRequestHead(String& out, const RequestHeader& head);

// Appends "HTTP/x.y code reason\r\n" (the upstream's reason text, else the standard one), every
// field and the empty line to `out`.
template <class String>
void appendResponseHead(String& out, const ResponseHeader& head);

extern template void appendRequestHead(std::string&, const RequestHeader&);
extern template void appendRequestHead(std::pmr::string&, const RequestHeader&);
extern template void appendResponseHead(std::string&, const ResponseHeader&);
extern template void appendResponseHead(std::pmr::string&, const ResponseHeader&);

// The framing of a body the relay sends piece by piece: the chunked coding (RFC 9112 section 7.1:
// "{size in hex}\r\n{data}\r\n", ended by "0\r\n\r\n" without trailers), or none when
// Content-Length or the connection's end delimits it.
class BodyFraming {
public:
  explicit BodyFraming(bool chunked = false) : chunked_(chunked) {}

  bool chunked() const { return chunked_; }

  // What goes before and after `size` bytes of body; `last` ends the body. An empty piece that
  // does not end a chunked body is framed as nothing (a zero-size chunk would end it).
  struct Frame {
    std::string_view prefix;
    std::string_view suffix;
  };
  Frame frame(std::size_t size, bool last);

private:
  bool chunked_;
  char prefix_[sizeof(std::size_t) * 2 + 2] = {};
};

}  // namespace oh::gateway
