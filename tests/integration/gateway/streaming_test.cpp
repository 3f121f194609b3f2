// 200 MB through the gateway in each direction with bounded memory: the gateway's peak resident
// set (VmHWM from /proc) must grow far less than the body, i.e. it streams instead of buffering.
#include "gateway_fixture.h"

namespace oh::testing {
namespace {

constexpr std::uint64_t kBodyBytes = 200ull * 1024 * 1024;
// Far below the body size; leaves room for sanitizer bookkeeping and socket buffers.
constexpr std::uint64_t kMaxGrowthKb = 64 * 1024;

class StreamingTest : public GatewayTest {
protected:
  // Warms the gateway up (first connections, pools, allocator arenas) and returns its peak RSS.
  std::uint64_t warmedUpPeakKb() {
    for (const std::string path : {"/bytes/4194304", "/chunked/4194304"}) {
      ReadOptions options;
      options.keep_body = false;
      RawClient client{port()};
      EXPECT_TRUE(client.send(buildRequest("GET", path, {}, {})));
      const auto response = client.readResponse(options);
      EXPECT_TRUE(response.has_value()) << client.error();
    }
    const auto usage = gateway_->memory();
    EXPECT_TRUE(usage.has_value());
    return usage ? usage->hwm_kb : 0;
  }
};

// A 200 MB download (sized, then chunked) arrives intact without the gateway buffering it.
TEST_F(StreamingTest, Download200MegabytesWithBoundedMemory) {
  OH_START_GATEWAY(baseConfig());
  const std::uint64_t before = warmedUpPeakKb();
  for (const std::string path : {"/bytes/", "/chunked/"}) {
    RawClient client{port()};
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send(buildRequest("GET", path + std::to_string(kBodyBytes), {}, {})));
    ReadOptions options;
    options.keep_body = false;
    const auto response = client.readResponse(options);
    ASSERT_TRUE(response.has_value()) << path << ": " << client.error();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body_bytes, kBodyBytes) << path;
    EXPECT_TRUE(response->body_matches_pattern) << path;
  }
  const auto after = gateway_->memory();
  ASSERT_TRUE(after.has_value());
  EXPECT_LT(after->hwm_kb - before, kMaxGrowthKb)
      << "peak RSS grew from " << before << " kB to " << after->hwm_kb << " kB over a 200 MB download";
}

// A 200 MB upload (sized, then chunked) reaches the upstream intact, again without buffering.
TEST_F(StreamingTest, Upload200MegabytesWithBoundedMemory) {
  OH_START_GATEWAY(baseConfig());
  const std::uint64_t before = warmedUpPeakKb();
  const std::string expected_sha = patternSha256Hex(kBodyBytes);
  for (const bool chunked : {false, true}) {
    RawClient client{port()};
    ASSERT_TRUE(client.connected());
    if (chunked) {
      ASSERT_TRUE(client.send("POST /upload HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\n"));
      ASSERT_TRUE(client.sendChunkedPattern(kBodyBytes, 256 * 1024)) << client.error();
    } else {
      ASSERT_TRUE(client.send("POST /upload HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: " +
                              std::to_string(kBodyBytes) + "\r\n\r\n"));
      ASSERT_TRUE(client.sendPattern(kBodyBytes)) << client.error();
    }
    const auto response = client.readResponse();
    ASSERT_TRUE(response.has_value()) << client.error();
    ASSERT_EQ(response->status, 200) << response->body;
    const auto echoed = parseEcho(response->body);
    ASSERT_TRUE(echoed.has_value()) << response->body;
    EXPECT_EQ(echoed->body_bytes, kBodyBytes) << (chunked ? "chunked" : "sized");
    EXPECT_EQ(echoed->body_sha256, expected_sha) << (chunked ? "chunked" : "sized");
  }
  const auto after = gateway_->memory();
  ASSERT_TRUE(after.has_value());
  EXPECT_LT(after->hwm_kb - before, kMaxGrowthKb)
      << "peak RSS grew from " << before << " kB to " << after->hwm_kb << " kB over a 200 MB upload";
}

}  // namespace
}  // namespace oh::testing
