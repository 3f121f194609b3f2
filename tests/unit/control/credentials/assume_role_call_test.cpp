#include "credentials/assume_role_call.h"

#include <gtest/gtest.h>

#include "credentials/sigv4.h"

namespace oh::control::aws {
namespace {

const AwsCredentials kCaller{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "SESSIONTOKEN", std::nullopt};
const common::UnixSeconds kNow{std::chrono::seconds(1440938160)};

TEST(AssumeRoleCallTest, EndpointIsRegionalUnlessOverridden) {
  EXPECT_EQ(stsEndpoint("eu-west-1", ""), "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(stsEndpoint("eu-west-1", "http://127.0.0.1:5000"), "http://127.0.0.1:5000");
}

TEST(AssumeRoleCallTest, HostFieldIsWhatTheClientSends) {
  EXPECT_EQ(endpointHostField("https://sts.eu-west-1.amazonaws.com").value(), "sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(endpointHostField("https://STS.example:443/").value(), "sts.example");
  EXPECT_EQ(endpointHostField("http://127.0.0.1:5000").value(), "127.0.0.1:5000");
  EXPECT_EQ(endpointHostField("http://127.0.0.1:80").value(), "127.0.0.1");
  for (const char* bad : {"", "ftp://x", "https://", "https://x/path", "https://u@x", "https://x?q", "sts.amazonaws.com"}) {
    EXPECT_FALSE(endpointHostField(bad)) << bad;
  }
}

TEST(AssumeRoleCallTest, BuildsASignedForm) {
  AssumeRoleParameters parameters{"arn:aws:iam::123456789012:role/oh-bedrock", "oh-0123", std::chrono::seconds(900)};
  auto call = assumeRoleCall(parameters, kCaller, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", kNow);
  ASSERT_TRUE(call) << call.error().reason;
  EXPECT_EQ(call->method, "POST");
  EXPECT_EQ(call->url, "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_EQ(call->body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Foh-bedrock"
            "&RoleSessionName=oh-0123&DurationSeconds=900");
  std::map<std::string, std::string> headers(call->headers.begin(), call->headers.end());
  EXPECT_EQ(headers.count("Host"), 0u);
  EXPECT_EQ(headers["X-Amz-Date"], "20150830T123600Z");
  EXPECT_EQ(headers["X-Amz-Security-Token"], "SESSIONTOKEN");
  // Recompute the signature over what goes on the wire (Host as the client will send it).
  SignableRequest wire;
  wire.method = "POST";
  wire.headers = {{"Host", "sts.eu-west-1.amazonaws.com"}};
  for (const auto& header : call->headers) {
    if (header.first != "Authorization") wire.headers.push_back(header);
  }
  wire.payload = call->body;
  EXPECT_EQ(headers["Authorization"], authorization(wire, kCaller, {"eu-west-1", "sts"}, "20150830T123600Z"));
  EXPECT_TRUE(headers["Authorization"].starts_with(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/sts/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="));
}

TEST(AssumeRoleCallTest, RefusesABadEndpoint) {
  EXPECT_FALSE(assumeRoleCall({}, kCaller, "eu-west-1", "https://sts.example/x", kNow));
}

}  // namespace
}  // namespace oh::control::aws
