// The client-side WebSocket meter: message sizes across fragments and arbitrary chunking, and
// framing no client may send.

#include "http/websocket_meter.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

using Verdict = WebSocketMeter::Verdict;

// A masked client frame (the mask key is zero: the meter never unmasks).
std::string frame(unsigned opcode, bool fin, std::uint64_t length, bool masked = true) {
  std::string out;
  out += static_cast<char>((fin ? 0x80 : 0x00) | opcode);
  const char mask = masked ? static_cast<char>(0x80) : 0;
  if (length < 126) {
    out += static_cast<char>(mask | static_cast<char>(length));
  } else if (length <= 0xffff) {
    out += static_cast<char>(mask | 126);
    out += static_cast<char>((length >> 8) & 0xff);
    out += static_cast<char>(length & 0xff);
  } else {
    out += static_cast<char>(mask | 127);
    for (int shift = 56; shift >= 0; shift -= 8) {
      out += static_cast<char>((length >> shift) & 0xff);
    }
  }
  if (masked) {
    out += std::string(4, '\0');
  }
  out += std::string(static_cast<std::size_t>(length), 'x');
  return out;
}

// This test verifies messages up to the limit pass, one byte more does not, in every length form.
TEST(WebSocketMeterTest, LimitPerMessage) {
  for (std::uint64_t limit : {100u, 1000u, 70000u}) {
    WebSocketMeter ok(limit);
    EXPECT_EQ(ok.consume(frame(0x1, true, limit)), Verdict::ok) << limit;
    EXPECT_EQ(ok.consume(frame(0x2, true, limit)), Verdict::ok) << "a new message starts from zero";
    WebSocketMeter over(limit);
    EXPECT_EQ(over.consume(frame(0x2, true, limit + 1)), Verdict::too_large) << limit;
  }
}

// This test verifies fragments add up, control frames in between do not count, and the verdict
// does not depend on how the bytes are chunked.
TEST(WebSocketMeterTest, FragmentsAddUpInAnyChunking) {
  const std::string stream = frame(0x1, false, 60) + frame(0x9, true, 10) + frame(0x0, false, 30) +
                             frame(0xa, true, 0) + frame(0x0, true, 11);  // 101 bytes of data
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 1000u}) {
    WebSocketMeter at_limit(101);
    WebSocketMeter below(100);
    Verdict a = Verdict::ok;
    Verdict b = Verdict::ok;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      a = at_limit.consume(std::string_view(stream).substr(i, chunk));
      b = below.consume(std::string_view(stream).substr(i, chunk));
    }
    EXPECT_EQ(a, Verdict::ok) << chunk;
    EXPECT_EQ(b, Verdict::too_large) << chunk;
  }
}

// This test verifies framing a client may not send is refused: unmasked frames, reserved
// opcodes, fragmented or long control frames, stray continuations, a message inside a message,
// and a 64-bit length with its top bit set.
TEST(WebSocketMeterTest, HostileFraming) {
  const std::string hostile[] = {
      frame(0x1, true, 5, false),
      frame(0x3, true, 0),
      frame(0xb, true, 0),
      frame(0x9, false, 0),
      frame(0x8, true, 126),
      frame(0x0, true, 1),
      frame(0x1, false, 1) + frame(0x2, true, 1),
      std::string("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 14),
  };
  for (const auto& bytes : hostile) {
    WebSocketMeter meter(1 << 20);
    EXPECT_EQ(meter.consume(bytes), Verdict::malformed) << "first byte " << int(static_cast<unsigned char>(bytes[0]));
    EXPECT_EQ(meter.consume(frame(0x1, true, 1)), Verdict::malformed) << "the verdict stays";
  }
}

// This test verifies a header cut anywhere waits for the rest, and that an announced huge frame
// is refused at its header, before any payload is forwarded.
TEST(WebSocketMeterTest, PartialHeaderAndEarlyRefusal) {
  const std::string big = frame(0x2, true, 70000).substr(0, 14);
  WebSocketMeter meter(65536);
  for (std::size_t i = 0; i + 1 < 8; ++i) {
    EXPECT_EQ(meter.consume(big.substr(i, 1)), Verdict::ok) << i;
  }
  EXPECT_EQ(meter.consume(big.substr(7)), Verdict::too_large);
}

}  // namespace
}  // namespace oh::gateway
