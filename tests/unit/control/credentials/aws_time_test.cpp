#include "credentials/aws_time.h"

#include <gtest/gtest.h>

namespace oh::control::aws {
namespace {

const common::UnixSeconds kSuiteTime{std::chrono::seconds(1440938160)};  // 2015-08-30T12:36:00Z

TEST(AwsTimeTest, FormatsBothForms) {
  EXPECT_EQ(amzDate(kSuiteTime), "20150830T123600Z");
  EXPECT_EQ(iso8601(kSuiteTime), "2015-08-30T12:36:00Z");
  EXPECT_EQ(iso8601(common::UnixSeconds(std::chrono::seconds(0))), "1970-01-01T00:00:00Z");
}

TEST(AwsTimeTest, ParsesWhatItFormatsAndFractions) {
  EXPECT_EQ(parseIso8601("2015-08-30T12:36:00Z"), kSuiteTime);
  EXPECT_EQ(parseIso8601("2015-08-30T12:36:00.999999Z"), kSuiteTime);
  EXPECT_EQ(parseIso8601("2024-02-29T00:00:00Z"), common::UnixSeconds(std::chrono::seconds(1709164800)));
}

TEST(AwsTimeTest, RefusesAnythingElse) {
  for (const char* text : {"", "2015-08-30", "2015-08-30T12:36:00", "2015-08-30T12:36:00+00:00", "2015-08-30 12:36:00Z",
                           "2015-08-30T24:00:00Z", "2015-08-30T12:60:00Z", "2015-08-30T12:36:60Z", "2015-13-01T00:00:00Z",
                           "2023-02-29T00:00:00Z", "2015-08-30T12:36:00.Z", "2015-08-30T12:36:00.1234567890Z",
                           "2015-08-30T12:36:0xZ", "+015-08-30T12:36:00Z", "2015-08-30T12:36:00.12a4Z"}) {
    EXPECT_FALSE(parseIso8601(text)) << text;
  }
}

}  // namespace
}  // namespace oh::control::aws
