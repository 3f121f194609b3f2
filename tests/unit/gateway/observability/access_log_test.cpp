// Tests for the access log: redaction of secret query values, JSON validity (parsed back with
// Boost.JSON), and hostile bytes that try to forge lines or break the JSON.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <string>

#include "observability/access_log.h"

namespace oh::gateway {
namespace {

using std::chrono::system_clock;

AccessLogEntry sampleEntry() {
  AccessLogEntry entry;
  // 2026-11-28T16:55:19.123Z
  entry.time = system_clock::time_point{std::chrono::milliseconds(1795884919123LL)};
  entry.client_ip = "203.0.113.7";
  entry.method = "GET";
  entry.target = "/api/conversations?limit=20";
  entry.host = "openhands.example.com";
  entry.user_agent = "Mozilla/5.0";
  entry.request_id = "req-1";
  entry.status = 200;
  entry.bytes_in = 12;
  entry.bytes_out = 3456;
  entry.duration = std::chrono::microseconds(1250);
  entry.route = RouteClass::app;
  return entry;
}

boost::json::object parsedLine(const AccessLogEntry& entry) {
  const std::string line = formatAccessLog(entry);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(line, ec);
  EXPECT_FALSE(ec) << ec.message() << ": " << line;
  if (ec || !value.is_object()) {
    return {};
  }
  return value.as_object();
}

struct RedactionCase {
  const char* name;
  const char* target;
  const char* expected;
};

std::ostream& operator<<(std::ostream& out, const RedactionCase& c) { return out << c.name; }

class Redaction : public ::testing::TestWithParam<RedactionCase> {};

// This test verifies each target is logged with exactly the secret values replaced.
TEST_P(Redaction, Matrix) {
  EXPECT_EQ(redactTarget(GetParam().target), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    AccessLog, Redaction,
    ::testing::Values(
        RedactionCase{"NoQuery", "/api/conversations", "/api/conversations"},
        RedactionCase{"HarmlessQuery", "/search?q=cats&page=2", "/search?q=cats&page=2"},
        RedactionCase{"SessionApiKey", "/sockets/events/abc?session_api_key=s3cr3t", "/sockets/events/abc?session_api_key=REDACTED"},
        RedactionCase{"Tkn", "/x?tkn=abc", "/x?tkn=REDACTED"},
        RedactionCase{"HandoffTicket", "/_gateway/ticket?t=eyJ.sig&rd=%2F", "/_gateway/ticket?t=REDACTED&rd=%2F"},
        RedactionCase{"Code", "/_callback?code=abc&state=xyz", "/_callback?code=REDACTED&state=REDACTED"},
        RedactionCase{"Token", "/x?token=a", "/x?token=REDACTED"},
        RedactionCase{"AccessToken", "/x?access_token=a", "/x?access_token=REDACTED"},
        RedactionCase{"IdToken", "/x?id_token=a", "/x?id_token=REDACTED"},
        RedactionCase{"RefreshToken", "/x?refresh_token=a", "/x?refresh_token=REDACTED"},
        RedactionCase{"Password", "/x?password=hunter2", "/x?password=REDACTED"},
        RedactionCase{"ApiKey", "/x?api_key=1&apikey=2", "/x?api_key=REDACTED&apikey=REDACTED"},
        RedactionCase{"ContainsSecret", "/x?client_secret=a&MySecretValue=b", "/x?client_secret=REDACTED&MySecretValue=REDACTED"},
        RedactionCase{"ContainsToken", "/x?csrfToken=a&X-Amz-Security-Token=b", "/x?csrfToken=REDACTED&X-Amz-Security-Token=REDACTED"},
        RedactionCase{"UpperCase", "/x?SESSION_API_KEY=a&Code=b", "/x?SESSION_API_KEY=REDACTED&Code=REDACTED"},
        RedactionCase{"PercentEncodedKey", "/x?%74oken=a&session%5Fapi%5Fkey=b", "/x?%74oken=REDACTED&session%5Fapi%5Fkey=REDACTED"},
        RedactionCase{"DoubleEncodedKey", "/x?%2574oken=a", "/x?%2574oken=REDACTED"},
        RedactionCase{"PlusInKey", "/x?my+secret=a", "/x?my+secret=REDACTED"},
        RedactionCase{"SpaceAroundKey", "/x?%20token%20=a", "/x?%20token%20=REDACTED"},
        RedactionCase{"SemicolonSeparator", "/x?a=1;token=2", "/x?a=1;token=REDACTED"},
        RedactionCase{"RepeatedKey", "/x?code=1&code=2", "/x?code=REDACTED&code=REDACTED"},
        RedactionCase{"EqualsInValue", "/x?token=a=b=c&z=1", "/x?token=REDACTED&z=1"},
        RedactionCase{"EmptyValue", "/x?token=", "/x?token=REDACTED"},
        RedactionCase{"KeyWithoutValue", "/x?token&a=1", "/x?token&a=1"},
        RedactionCase{"SimilarButHarmless", "/x?zipcode=1&codec=2&statement=3", "/x?zipcode=1&codec=2&statement=3"},
        RedactionCase{"EmptyQuery", "/x?", "/x?"},
        RedactionCase{"OnlySeparators", "/x?&&;;", "/x?&&;;"},
        RedactionCase{"BadPercent", "/x?%zz=1&%4=2&%=3", "/x?%zz=1&%4=2&%=3"},
        RedactionCase{"SecondQuestionMark", "/x?a=1?token=2&token=3", "/x?a=1?token=2&token=REDACTED"},
        RedactionCase{"FragmentLike", "/x?token=a#frag", "/x?token=REDACTED"},
        RedactionCase{"PathKeptAsIs", "/token=abc/x?y=1", "/token=abc/x?y=1"},
        RedactionCase{"AbsoluteForm", "http://h/x?code=1", "http://h/x?code=REDACTED"},
        RedactionCase{"AbsoluteFormUserInfo", "http://u:pw@h:80/x?a=1", "http://REDACTED@h:80/x?a=1"},
        RedactionCase{"AbsoluteFormUserInfoNoPath", "http://u:p@ss@h", "http://REDACTED@h"},
        RedactionCase{"AtInPathNotUserInfo", "http://h/a@b", "http://h/a@b"},
        RedactionCase{"OriginFormAtSign", "/user@example.com?x=1", "/user@example.com?x=1"},
        RedactionCase{"AuthorityForm", "h:443", "h:443"}),
    [](const ::testing::TestParamInfo<RedactionCase>& param_info) { return std::string(param_info.param.name); });

// This test verifies the line is JSON with every field, in the documented shape.
TEST(AccessLog, FieldsAndShape) {
  AccessLogEntry entry = sampleEntry();
  entry.upstream_status = "200";
  const auto object = parsedLine(entry);
  EXPECT_EQ(object.at("time").as_string(), "2026-11-28T16:55:19.123Z");
  EXPECT_EQ(object.at("client_ip").as_string(), "203.0.113.7");
  EXPECT_EQ(object.at("method").as_string(), "GET");
  EXPECT_EQ(object.at("target").as_string(), "/api/conversations?limit=20");
  EXPECT_EQ(object.at("host").as_string(), "openhands.example.com");
  EXPECT_EQ(object.at("status").as_int64(), 200);
  EXPECT_EQ(object.at("bytes_in").as_int64(), 12);
  EXPECT_EQ(object.at("bytes_out").as_int64(), 3456);
  EXPECT_DOUBLE_EQ(object.at("duration_ms").as_double(), 1.25);
  EXPECT_EQ(object.at("route").as_string(), "app");
  EXPECT_EQ(object.at("upstream_status").as_string(), "200");
  EXPECT_EQ(object.count("reason"), 0u);
  EXPECT_EQ(object.at("user_agent").as_string(), "Mozilla/5.0");
  EXPECT_EQ(object.at("request_id").as_string(), "req-1");
  EXPECT_EQ(formatAccessLog(entry).front(), '{');
  EXPECT_EQ(formatAccessLog(entry).back(), '}');
}

// This test verifies the target is redacted in the line itself.
TEST(AccessLog, TargetRedactedInLine) {
  AccessLogEntry entry = sampleEntry();
  entry.target = "/_callback?code=SECRETCODE&state=SECRETSTATE";
  const std::string line = formatAccessLog(entry);
  EXPECT_EQ(line.find("SECRETCODE"), std::string::npos);
  EXPECT_EQ(line.find("SECRETSTATE"), std::string::npos);
  EXPECT_EQ(parsedLine(entry).at("target").as_string(), "/_callback?code=REDACTED&state=REDACTED");
}

// This test verifies a gateway-made answer carries its reason and no upstream status.
TEST(AccessLog, ReasonWithoutUpstream) {
  AccessLogEntry entry = sampleEntry();
  entry.status = 429;
  entry.route = RouteClass::rejected;
  entry.reason = "rate_limit";
  const auto object = parsedLine(entry);
  EXPECT_EQ(object.at("reason").as_string(), "rate_limit");
  EXPECT_EQ(object.count("upstream_status"), 0u);
  EXPECT_EQ(object.at("route").as_string(), "rejected");
}

// This test verifies the signed-in subject appears only when set.
TEST(AccessLog, UserOnlyWhenSignedIn) {
  AccessLogEntry entry = sampleEntry();
  EXPECT_EQ(parsedLine(entry).count("user"), 0u);
  entry.user = "7d1e2f9a-user";
  EXPECT_EQ(parsedLine(entry).at("user").as_string(), "7d1e2f9a-user");
}

// This test verifies newline injection cannot forge a second line, and values survive intact.
TEST(AccessLog, NewlineInjection) {
  AccessLogEntry entry = sampleEntry();
  entry.user_agent = "x\n{\"time\":\"forged\",\"status\":200}\r\n";
  entry.host = "h\u2028ost";
  const std::string line = formatAccessLog(entry);
  EXPECT_EQ(line.find("\xe2\x80\xa8"), std::string::npos);
  const auto object = parsedLine(entry);
  EXPECT_EQ(object.at("user_agent").as_string(), "x\n{\"time\":\"forged\",\"status\":200}\r\n");
  EXPECT_EQ(object.at("host").as_string(), "h\u2028ost");
}

// This test verifies every control byte, quote and backslash is escaped and round-trips.
TEST(AccessLog, ControlCharactersEscaped) {
  std::string hostile;
  for (int c = 0; c < 0x20; ++c) {
    hostile += static_cast<char>(c);
  }
  hostile += "\x7f\"\\/";
  AccessLogEntry entry = sampleEntry();
  entry.user_agent = hostile;
  const std::string line = formatAccessLog(entry);
  for (char c : line) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20u);
    EXPECT_NE(c, '\x7f');
  }
  EXPECT_EQ(parsedLine(entry).at("user_agent").as_string(), hostile);
}

// This test verifies invalid UTF-8 becomes U+FFFD so the line still parses.
TEST(AccessLog, InvalidUtf8Repaired) {
  AccessLogEntry entry = sampleEntry();
  const std::string bad[] = {"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                             "\xc3", "ab\xe2\x82", "\x80\x80", "\xf0\x9f\x98"};
  for (const std::string& bytes : bad) {
    entry.user_agent = bytes;
    const auto object = parsedLine(entry);
    ASSERT_TRUE(object.contains("user_agent")) << bytes;
    EXPECT_NE(std::string(object.at("user_agent").as_string()).find("\xef\xbf\xbd"), std::string::npos);
  }
  entry.user_agent = "caf\xc3\xa9 \xf0\x9f\x98\x80";  // valid: kept as is
  EXPECT_EQ(parsedLine(entry).at("user_agent").as_string(), "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

// This test verifies embedded NUL bytes are escaped, not truncating the line.
TEST(AccessLog, NulBytes) {
  AccessLogEntry entry = sampleEntry();
  const std::string with_nul("a\0b", 3);
  entry.user_agent = with_nul;
  const std::string line = formatAccessLog(entry);
  EXPECT_NE(line.find("a\\u0000b"), std::string::npos);
  EXPECT_EQ(parsedLine(entry).at("user_agent").as_string(), with_nul);
}

// This test verifies long values are cut so a line stays bounded.
TEST(AccessLog, LongValuesCut) {
  AccessLogEntry entry = sampleEntry();
  const std::string huge(1 << 20, 'a');
  entry.user_agent = huge;
  entry.target = huge;
  const std::string line = formatAccessLog(entry);
  EXPECT_LT(line.size(), 10000u);
  const auto object = parsedLine(entry);
  EXPECT_EQ(object.at("user_agent").as_string().size(), 4096u + 3u);
}

// This test verifies the time is UTC ISO-8601 with milliseconds at edges (epoch, leap day).
TEST(AccessLog, TimeFormat) {
  AccessLogEntry entry = sampleEntry();
  entry.time = system_clock::time_point{};
  EXPECT_EQ(parsedLine(entry).at("time").as_string(), "1970-01-01T00:00:00.000Z");
  entry.time = system_clock::time_point{std::chrono::milliseconds(1709251199999LL)};
  EXPECT_EQ(parsedLine(entry).at("time").as_string(), "2024-02-29T23:59:59.999Z");
}

// This test verifies negative durations log as zero and large byte counts stay exact.
TEST(AccessLog, NumbersAtEdges) {
  AccessLogEntry entry = sampleEntry();
  entry.duration = std::chrono::nanoseconds(-10);
  entry.bytes_out = 200ull * 1024 * 1024;
  entry.status = 0;
  const auto object = parsedLine(entry);
  EXPECT_DOUBLE_EQ(object.at("duration_ms").as_double(), 0.0);
  EXPECT_EQ(object.at("bytes_out").as_int64(), 200ll * 1024 * 1024);
  EXPECT_EQ(object.at("status").as_int64(), 0);
}

// This test verifies empty values still give valid JSON.
TEST(AccessLog, EmptyEntry) {
  const auto object = parsedLine(AccessLogEntry{});
  EXPECT_EQ(object.at("target").as_string(), "");
  EXPECT_EQ(object.at("method").as_string(), "");
}

}  // namespace
}  // namespace oh::gateway
