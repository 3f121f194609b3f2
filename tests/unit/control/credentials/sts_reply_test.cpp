// STS's AssumeRole answer read strictly, and its error answer turned into a log reason.
#include "credentials/sts_reply.h"

#include <gtest/gtest.h>

#include "credentials/aws_time.h"

namespace oh::control::aws {
namespace {

// The shape STS documents (AssumeRole, API reference, "Example"), with the EXAMPLE values.
std::string reply(std::string credentials, std::string user = "<Arn>arn:aws:sts::123456789012:assumed-role/bedrock/oh-0123</Arn>"
                                                              "<AssumedRoleId>AROA3XFRBF535PLBIFPI4:oh-0123</AssumedRoleId>") {
  return "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n<AssumeRoleResult>\n"
         "<SourceIdentity>x</SourceIdentity>\n<AssumedRoleUser>" + user + "</AssumedRoleUser>\n<Credentials>" +
         credentials + "</Credentials>\n<PackedPolicySize>6</PackedPolicySize>\n</AssumeRoleResult>\n"
         "<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>\n"
         "</AssumeRoleResponse>\n";
}

const std::string kGoodCredentials =
    "<AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>"
    "<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>"
    "<SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==</SessionToken>"
    "<Expiration>2019-11-09T13:34:41Z</Expiration>";

TEST(StsReplyTest, ReadsTheDocumentedAnswer) {
  auto role = parseAssumeRoleResponse(reply(kGoodCredentials));
  ASSERT_TRUE(role) << role.error().reason;
  EXPECT_EQ(role->credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(role->credentials.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_TRUE(role->credentials.session_token.starts_with("AQoDYXdzEPT"));
  EXPECT_EQ(role->credentials.expiration, parseIso8601("2019-11-09T13:34:41Z"));
  EXPECT_EQ(role->assumed_role_arn, "arn:aws:sts::123456789012:assumed-role/bedrock/oh-0123");
}

TEST(StsReplyTest, ReadsFractionalExpiration) {
  std::string credentials = kGoodCredentials;
  credentials.replace(credentials.find("13:34:41Z"), 9, "13:34:41.123Z");
  auto role = parseAssumeRoleResponse(reply(credentials));
  ASSERT_TRUE(role) << role.error().reason;
  EXPECT_EQ(role->credentials.expiration, parseIso8601("2019-11-09T13:34:41Z"));
}

std::string without(std::string text, std::string_view element) {
  const std::size_t start = text.find("<" + std::string(element) + ">");
  const std::size_t end = text.find("</" + std::string(element) + ">");
  return text.erase(start, end + element.size() + 3 - start);
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  return text.replace(text.find(from), from.size(), to);
}

TEST(StsReplyTest, RefusesMissingRepeatedOrMalformedFields) {
  const std::vector<std::string> refused = {
      reply(without(kGoodCredentials, "AccessKeyId")),
      reply(without(kGoodCredentials, "SecretAccessKey")),
      reply(without(kGoodCredentials, "SessionToken")),
      reply(without(kGoodCredentials, "Expiration")),
      reply(kGoodCredentials + "<AccessKeyId>ASIAIOSFODNN7EXAMPLF</AccessKeyId>"),
      reply(replaced(kGoodCredentials, "ASIAIOSFODNN7EXAMPLE", "asia-lower")),
      reply(replaced(kGoodCredentials, "ASIAIOSFODNN7EXAMPLE", "ASIA IOSFODNN7EXAMPLE")),
      reply(replaced(kGoodCredentials, "ASIAIOSFODNN7EXAMPLE", "")),
      reply(replaced(kGoodCredentials, "ASIAIOSFODNN7EXAMPLE", "<X>ASIAIOSFODNN7EXAMPLE</X>")),
      reply(replaced(kGoodCredentials, "wJalrXUtnFEMI", "wJal rXUtnFEMI")),
      reply(replaced(kGoodCredentials, "wJalrXUtnFEMI", "wJal&#10;rXUtnFEMI")),
      reply(replaced(kGoodCredentials, "2019-11-09T13:34:41Z", "2019-11-09 13:34:41")),
      reply(replaced(kGoodCredentials, "2019-11-09T13:34:41Z", "2019-02-30T13:34:41Z")),
      reply(replaced(kGoodCredentials, "2019-11-09T13:34:41Z", "2019-11-09T13:34:41+01:00")),
      reply(replaced(kGoodCredentials, "AQoDYXdzEPT", std::string(9000, 'A'))),
      reply(kGoodCredentials, "<Arn>arn:aws:iam::123456789012:user/someone</Arn>"),
      reply(kGoodCredentials, ""),
      replaced(reply(kGoodCredentials), "AssumeRoleResponse ", "GetCallerIdentityResponse "),
      replaced(reply(kGoodCredentials), "</AssumeRoleResult>", "</AssumeRoleResult><AssumeRoleResult/>"),
      reply(kGoodCredentials).substr(0, 300),
      "",
      "not xml",
      "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>",
  };
  for (const std::string& body : refused) {
    EXPECT_FALSE(parseAssumeRoleResponse(body)) << body;
  }
}

TEST(StsReplyTest, RefusesOversizedAnswersBeforeParsing) {
  std::string body = reply(kGoodCredentials);
  body.insert(body.find("</AssumeRoleResponse>"), std::string(kMaxStsReplyBytes, ' '));
  auto role = parseAssumeRoleResponse(body);
  ASSERT_FALSE(role);
  EXPECT_NE(role.error().reason.find("larger than"), std::string::npos);
}

TEST(StsReplyTest, ReasonsNeverQuoteTheSecret) {
  auto role = parseAssumeRoleResponse(reply(replaced(kGoodCredentials, "wJalrXUtnFEMI", "wJal rXUtnFEMI")));
  ASSERT_FALSE(role);
  EXPECT_EQ(role.error().reason.find("wJal"), std::string::npos);
}

TEST(StsReplyTest, DescribesErrorAnswers) {
  EXPECT_EQ(describeStsError("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
                             "<Code>AccessDenied</Code><Message>User: x is not authorized to perform: sts:AssumeRole</Message>"
                             "</Error><RequestId>1</RequestId></ErrorResponse>"),
            "AccessDenied: User: x is not authorized to perform: sts:AssumeRole");
  EXPECT_EQ(describeStsError("<ErrorResponse><Error><Code>Bad\x01" "Code</Code></Error></ErrorResponse>"), "Bad?Code");
  EXPECT_EQ(describeStsError("<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code>"
                             "<Message>The request signature we calculated does not match</Message></Error></Errors>"
                             "</ErrorResponse>"),
            "SignatureDoesNotMatch: The request signature we calculated does not match");
  EXPECT_EQ(describeStsError("<Response><Errors><Error><Code>AccessDenied</Code></Error></Errors></Response>"),
            "AccessDenied");
  EXPECT_EQ(describeStsError("<html>502</html>"), "STS refused the call (no readable ErrorResponse)");
  EXPECT_EQ(describeStsError(""), "STS refused the call (no readable ErrorResponse)");
  const std::string long_message(5000, 'm');
  EXPECT_LE(describeStsError("<ErrorResponse><Error><Code>C</Code><Message>" + long_message + "</Message></Error></ErrorResponse>").size(), 310u);
}

}  // namespace
}  // namespace oh::control::aws
