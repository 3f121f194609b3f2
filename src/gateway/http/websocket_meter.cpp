#include "http/websocket_meter.h"

#include <algorithm>

namespace oh::gateway {
namespace {

constexpr unsigned char kFin = 0x80;
constexpr unsigned char kOpcode = 0x0f;
constexpr unsigned char kMask = 0x80;
constexpr unsigned char kLength = 0x7f;

bool isControl(unsigned opcode) { return opcode >= 0x8; }

std::size_t lengthBytes(unsigned char second) {
  const unsigned length = second & kLength;
  return length == 126 ? 2 : length == 127 ? 8 : 0;
}

}  // namespace

bool WebSocketMeter::headerComplete() const {
  if (header_size_ < 2) {
    return false;
  }
  const std::size_t needed = 2 + lengthBytes(header_[1]) + ((header_[1] & kMask) != 0 ? 4 : 0);
  return header_size_ == needed;
}

WebSocketMeter::Verdict WebSocketMeter::onHeader() {
  const unsigned opcode = header_[0] & kOpcode;
  const bool fin = (header_[0] & kFin) != 0;
  std::uint64_t length = header_[1] & kLength;
  const std::size_t extra = lengthBytes(header_[1]);
  if (extra > 0) {
    length = 0;
    for (std::size_t i = 0; i < extra; ++i) {
      length = (length << 8) | header_[2 + i];
    }
    if (extra == 8 && (length >> 63) != 0) {
      return Verdict::malformed;  // the most significant bit must be 0
    }
  }
  // Clients must mask every frame (RFC 6455 section 5.1); reserved opcodes are never valid.
  if ((header_[1] & kMask) == 0 || (opcode > 0x2 && opcode < 0x8) || opcode > 0xa) {
    return Verdict::malformed;
  }
  // RSV bits belong to extensions the two ends negotiated (permessage-deflate): not ours to judge.
  if (isControl(opcode)) {
    if (!fin || length > 125) {
      return Verdict::malformed;
    }
  } else {
    const bool continuation = opcode == 0x0;
    if (continuation != in_message_) {
      return Verdict::malformed;  // a continuation with no message, or a new message inside one
    }
    message_bytes_ = continuation ? message_bytes_ : 0;
    if (length > max_message_bytes_ - std::min(message_bytes_, max_message_bytes_)) {
      return Verdict::too_large;
    }
    message_bytes_ += length;
    in_message_ = !fin;
  }
  payload_left_ = length;
  header_size_ = 0;
  return Verdict::ok;
}

WebSocketMeter::Verdict WebSocketMeter::consume(std::string_view bytes) {
  while (verdict_ == Verdict::ok && !bytes.empty()) {
    if (payload_left_ > 0) {
      const auto skip = static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, bytes.size()));
      payload_left_ -= skip;
      bytes.remove_prefix(skip);
      continue;
    }
    header_[header_size_++] = static_cast<unsigned char>(bytes.front());
    bytes.remove_prefix(1);
    if (headerComplete()) {
      verdict_ = onHeader();
    }
  }
  return verdict_;
}

}  // namespace oh::gateway
