#pragma once
// Measures the WebSocket messages a client sends through the byte tunnel (RFC 6455 section 5.2)
// without buffering or re-framing them: it reads only frame headers as the bytes stream past,
// adds up data-frame payload lengths until a frame with FIN, and says when a message goes over
// websocket.max_message_bytes or the framing is invalid. The tunnel then closes both sides.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace oh::gateway {

class WebSocketMeter {
public:
  enum class Verdict { ok, too_large, malformed };

  explicit WebSocketMeter(std::uint64_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Feeds the next bytes of the client-to-server stream, in order, in any chunking. Once it
  // returns anything but ok, the verdict stays.
  Verdict consume(std::string_view bytes);

private:
  bool headerComplete() const;
  Verdict onHeader();

  std::uint64_t max_message_bytes_;
  Verdict verdict_ = Verdict::ok;
  unsigned char header_[14] = {};  // the longest frame header: 2 + 8 (length) + 4 (mask)
  std::size_t header_size_ = 0;
  std::uint64_t payload_left_ = 0;  // payload bytes of the current frame still to skip
  std::uint64_t message_bytes_ = 0; // data payload so far in the current message
  bool in_message_ = false;         // a data frame without FIN was seen
};

}  // namespace oh::gateway
