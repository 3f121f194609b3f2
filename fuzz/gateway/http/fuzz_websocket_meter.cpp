// Arbitrary client bytes through the WebSocket meter, split at a data-chosen point: it must
// never crash, and the verdict must not depend on the split.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/websocket_meter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::uint64_t limit = data[0] * 257u;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  const std::size_t split = bytes.empty() ? 0 : data[1] % bytes.size();
  oh::gateway::WebSocketMeter whole(limit);
  oh::gateway::WebSocketMeter parts(limit);
  const auto a = whole.consume(bytes);
  parts.consume(bytes.substr(0, split));
  const auto b = parts.consume(bytes.substr(split));
  if (a != b) {
    std::abort();
  }
  return 0;
}
