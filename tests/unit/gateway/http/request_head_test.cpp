#include "http/request_head.h"

#include <string>

#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

using namespace std::string_literals;

constexpr std::size_t kMaxBytes = 1024;
constexpr std::size_t kMaxCount = 10;

HeadScan scan(std::string_view bytes) {
  return scanRequestHead(bytes, kMaxBytes, kMaxCount);
}

// This test verifies a clean head is complete and its size and field count are exact.
TEST(RequestHeadTest, CleanHead) {
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n";
  const auto result = scan(head + "BODY");
  ASSERT_EQ(result.state, HeadState::complete);
  EXPECT_EQ(result.head_bytes, head.size());
  EXPECT_EQ(result.field_count, 2u);
  EXPECT_EQ(result.leading_blank_bytes, 0u);
}

// This test verifies a head split across reads is incomplete until its blank line arrives.
TEST(RequestHeadTest, IncompleteUntilBlankLine) {
  EXPECT_EQ(scan("").state, HeadState::incomplete);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: a\r\n").state, HeadState::incomplete);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: a\r\n\r").state, HeadState::incomplete);
  EXPECT_EQ(scan("GET / HTTP/1.1\r").state, HeadState::incomplete);
}

// This test verifies stray CRLFs before the request line are skipped (RFC 9112 section 2.2).
TEST(RequestHeadTest, LeadingBlankLinesSkipped) {
  const auto result = scan("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(result.state, HeadState::complete);
  EXPECT_EQ(result.leading_blank_bytes, 4u);
}

// This test verifies obsolete line folding is refused (a classic smuggling vector).
TEST(RequestHeadTest, ObsFoldRejected) {
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n").state, HeadState::malformed);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\tz\r\n\r\n").state, HeadState::malformed);
  // Whitespace before the first field is the same trick.
  EXPECT_EQ(scan("GET / HTTP/1.1\r\n Host: a\r\n\r\n").state, HeadState::malformed);
}

// This test verifies bare CR and bare LF line ends are refused.
TEST(RequestHeadTest, BareCrAndLfRejected) {
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n").state, HeadState::malformed);
  EXPECT_EQ(scan("GET / HTTP/1.1\nHost: a\n\n").state, HeadState::malformed);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n").state, HeadState::malformed);
}

// This test verifies NUL and other control characters anywhere in the head are refused.
TEST(RequestHeadTest, ControlCharactersRejected) {
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"s).state, HeadState::malformed);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nX: \x01\r\n\r\n").state, HeadState::malformed);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nX: \x7f\r\n\r\n").state, HeadState::malformed);
  // Horizontal tab inside a value is legal.
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nX: a\tb\r\n\r\n").state, HeadState::complete);
}

// This test verifies the byte limit applies even before the blank line arrives.
TEST(RequestHeadTest, TooLarge) {
  const std::string big = "GET / HTTP/1.1\r\nX: " + std::string(kMaxBytes, 'a');
  EXPECT_EQ(scan(big).state, HeadState::too_large);
  EXPECT_EQ(scan(big + "\r\n\r\n").state, HeadState::too_large);
}

// This test verifies the field count limit (431 for huge header counts).
TEST(RequestHeadTest, TooManyFields) {
  std::string head = "GET / HTTP/1.1\r\n";
  for (std::size_t i = 0; i <= kMaxCount; ++i) {
    head += "X: 1\r\n";
  }
  EXPECT_EQ(scan(head + "\r\n").state, HeadState::too_many);
  std::string ok = "GET / HTTP/1.1\r\n";
  for (std::size_t i = 0; i < kMaxCount; ++i) {
    ok += "X: 1\r\n";
  }
  EXPECT_EQ(scan(ok + "\r\n").state, HeadState::complete);
}

// This test verifies an HTTP/0.9 or otherwise broken request line is refused as soon as it ends.
TEST(RequestHeadTest, BrokenRequestLineRejectedEarly) {
  EXPECT_EQ(scan("GET /\r\n").state, HeadState::malformed);
  EXPECT_EQ(scan("GET / HTTP/1\r\n").state, HeadState::malformed);
  EXPECT_EQ(scan("GET\r\n").state, HeadState::malformed);
  EXPECT_EQ(scan(" / HTTP/1.1\r\n").state, HeadState::malformed);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\n").state, HeadState::incomplete);
}

// This test verifies a flood of blank lines cannot bypass the byte limit.
TEST(RequestHeadTest, EndlessBlankLinesBounded) {
  std::string blanks;
  for (std::size_t i = 0; i < kMaxBytes; ++i) {
    blanks += "\r\n";
  }
  EXPECT_EQ(scan(blanks).state, HeadState::too_large);
}

}  // namespace
}  // namespace oh::gateway
