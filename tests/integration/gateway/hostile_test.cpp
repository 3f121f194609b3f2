// Hostile and malformed requests straight at the real oh-gateway. Each must get 400 (or 431
// for size limits), the connection must be closed, the process must survive, and nothing may
// reach the upstream as a request of its own (request smuggling, RFC 9112 section 11.2).
#include <string>

#include "gateway_fixture.h"

namespace oh::testing {
namespace {

struct HostileCase {
  const char* name;
  std::string bytes;
  std::vector<int> accepted_statuses;
};

std::string manyHeaders(int count) {
  std::string request = "GET /echo HTTP/1.1\r\nHost: gateway.test\r\n";
  for (int i = 0; i < count; ++i) {
    request += "X-H" + std::to_string(i) + ": v\r\n";
  }
  return request + "\r\n";
}

std::vector<HostileCase> hostileCases() {
  const std::string nul(1, '\0');
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: gateway.test\r\n\r\n";
  return {
      {"content_length_and_chunked",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n" + smuggled,
       {400}},
      {"chunked_and_content_length",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 48\r\n\r\n"
       "0\r\n\r\n" + smuggled,
       {400}},
      {"duplicate_differing_content_length",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 5\r\nContent-Length: 47\r\n\r\nhello" + smuggled,
       {400}},
      {"content_length_list",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 5, 47\r\n\r\nhello" + smuggled, {400}},
      {"content_length_negative", "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: -1\r\n\r\n", {400}},
      {"content_length_overflow",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 99999999999999999999999\r\n\r\n", {400, 413}},
      {"transfer_encoding_not_chunked_last",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + smuggled,
       {400, 501}},
      {"transfer_encoding_obfuscated",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + smuggled,
       {400, 501}},
      {"chunk_size_not_hex",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" + smuggled,
       {400}},
      {"chunk_size_overflow",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\n"
       "10000000000000000000000000005\r\nhello\r\n0\r\n\r\n" + smuggled,
       {400}},
      {"chunk_size_negative",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n" + smuggled,
       {400}},
      {"obsolete_line_folding",
       "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Folded: first\r\n  second\r\n\r\n", {400}},
      {"obsolete_folding_of_transfer_encoding",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 5\r\n\r\nhello",
       {400}},
      {"nul_in_header_value", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Nul: a" + nul + "b\r\n\r\n", {400}},
      {"nul_in_header_name", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-N" + nul + "l: ab\r\n\r\n", {400}},
      {"nul_in_target", "GET /echo" + nul + "x HTTP/1.1\r\nHost: gateway.test\r\n\r\n", {400}},
      {"bare_cr_in_header_value", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Cr: a\rb\r\n\r\n", {400}},
      {"bare_cr_in_header_name", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-C\rr: ab\r\n\r\n", {400}},
      {"space_before_colon",
       "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\nhello",
       {400}},
      {"absolute_form_target", "GET http://evil.example/echo HTTP/1.1\r\nHost: gateway.test\r\n\r\n", {400}},
      {"authority_form_connect", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", {400}},
      {"ten_thousand_headers", manyHeaders(10000), {431}},
      {"header_line_over_limit",
       "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Long: " + std::string(64 * 1024, 'a') + "\r\n\r\n", {431}},
      {"request_line_garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", {400}},
      {"request_line_no_version", "GET /echo\r\n\r\n", {400}},
      {"http_0_9", "GET /\r\n", {400}},
      {"unknown_http_version", "GET /echo HTTP/2.7\r\nHost: gateway.test\r\n\r\n", {400, 505}},
      {"missing_host_http_1_1", "GET /echo HTTP/1.1\r\nX-No-Host: 1\r\n\r\n", {400}},
      {"duplicate_host", "GET /echo HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", {400}},
  };
}

class HostileTest : public GatewayTest, public ::testing::WithParamInterface<std::size_t> {};

// Each hostile request is refused with the expected status, the connection closes, the gateway
// survives, and the upstream never sees a smuggled request.
TEST_P(HostileTest, RejectedAndClosed) {
  const auto cases = hostileCases();
  const HostileCase& hostile = cases.at(GetParam());
  auto config = baseConfig();
  config.max_header_bytes = 16 * 1024;
  config.max_header_count = 100;
  OH_START_GATEWAY(config);

  RawClient client{port()};
  ASSERT_TRUE(client.connected());
  client.send(hostile.bytes);  // the gateway may close before reading everything
  const auto response = client.readResponse();
  ASSERT_TRUE(response.has_value()) << hostile.name << ": no response (" << client.error() << ")";
  EXPECT_TRUE(std::find(hostile.accepted_statuses.begin(), hostile.accepted_statuses.end(), response->status) !=
              hostile.accepted_statuses.end())
      << hostile.name << ": got " << response->status << " " << response->reason;
  std::string after;
  EXPECT_TRUE(client.waitForClose(std::chrono::seconds(10), &after))
      << hostile.name << ": connection left open after an error response";
  EXPECT_EQ(after.find("HTTP/1."), std::string::npos) << hostile.name << ": a second response followed:\n" << after;

  for (const auto& request : upstream_.requests()) {
    EXPECT_EQ(request.target.find("smuggled"), std::string::npos) << hostile.name << ": smuggled request reached upstream";
    EXPECT_FALSE(request.complete) << hostile.name << ": a hostile request reached the upstream as " << request.method
                                   << " " << request.target;
  }
  expectAlive();
}

INSTANTIATE_TEST_SUITE_P(Requests, HostileTest, ::testing::Range<std::size_t>(0, hostileCases().size()),
                         [](const ::testing::TestParamInfo<std::size_t>& param_info) {
                           return std::string(hostileCases().at(param_info.param).name);
                         });

class PipelineTest : public GatewayTest {};

// A valid request followed on the same connection by a hostile one: the first is answered, the
// second refused, and only the first reaches the upstream.
TEST_F(PipelineTest, PipelinedSmugglingAttempt) {
  OH_START_GATEWAY(baseConfig());
  RawClient client{port()};
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(
      "GET /echo?first HTTP/1.1\r\nHost: gateway.test\r\n\r\n"
      "POST /echo?second HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n"
      "GET /smuggled HTTP/1.1\r\nHost: gateway.test\r\n\r\n"));
  const auto first = client.readResponse();
  ASSERT_TRUE(first.has_value()) << client.error();
  EXPECT_EQ(first->status, 200);
  const auto second = client.readResponse();
  ASSERT_TRUE(second.has_value()) << client.error();
  EXPECT_EQ(second->status, 400);
  EXPECT_TRUE(client.waitForClose());
  for (const auto& request : upstream_.requests()) {
    EXPECT_EQ(request.target, "/echo?first") << "only the first request may reach the upstream";
  }
  expectAlive();
}

// A body that looks like a request is only a body: it reaches the upstream as bytes.
TEST_F(PipelineTest, RequestInsideBodyIsOnlyBody) {
  OH_START_GATEWAY(baseConfig());
  const std::string inner = "GET /smuggled HTTP/1.1\r\nHost: gateway.test\r\n\r\n";
  RawClient client{port()};
  ASSERT_TRUE(client.send(buildRequest("POST", "/echo", {}, inner)));
  auto response = client.readResponse();
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 200);
  const auto echoed = parseEcho(response->body);
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->body_sha256, sha256Hex(inner));
  ASSERT_TRUE(client.send(buildRequest("GET", "/echo?next", {}, {})));
  response = client.readResponse();
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 200);
  for (const auto& request : upstream_.requests()) {
    EXPECT_EQ(request.target.find("smuggled"), std::string::npos);
  }
}

// A client that disconnects mid-request or mid-response does not disturb the gateway.
TEST_F(PipelineTest, AbruptDisconnects) {
  OH_START_GATEWAY(baseConfig());
  {
    RawClient client{port()};
    client.send("POST /echo HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 100000\r\n\r\npartial");
  }
  {
    RawClient client{port()};
    client.send("GET /echo HTTP/1.1\r\nHost: gate");
  }
  {
    RawClient client{port()};
    // Asks for 50 MB, then goes away without reading it.
    client.send(buildRequest("GET", "/bytes/50000000", {}, {}));
  }
  expectAlive();
  const auto response = get("/echo");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
}

}  // namespace
}  // namespace oh::testing
