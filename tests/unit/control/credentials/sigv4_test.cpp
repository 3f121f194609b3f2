// SigV4 against AWS's Signature Version 4 test suite (aws-sig-v4-test-suite, as shipped in
// botocore's tests/unit/auth/aws4_testsuite and the AWS SDKs' fixtures): the same credentials,
// date, region and service for every case; the canonical request and string to sign of
// get-vanilla and post-x-www-form-urlencoded step by step, and the final Authorization of
// several more cases (query ordering and encoding, header trimming, UTF-8 paths, session token).
#include "credentials/sigv4.h"

#include <gtest/gtest.h>

#include "common/digest.h"

namespace oh::control::aws {
namespace {

const AwsCredentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt};
const SigningScope kSuiteScope{"us-east-1", "service"};
constexpr std::string_view kSuiteDate = "20150830T123600Z";
constexpr std::string_view kSuiteCredentialPrefix =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=";

SignableRequest suiteRequest(std::string method, std::vector<std::pair<std::string, std::string>> extra = {}) {
  SignableRequest request;
  request.method = std::move(method);
  request.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", std::string(kSuiteDate)}};
  for (auto& header : extra) {
    request.headers.push_back(std::move(header));
  }
  return request;
}

std::string expectedAuthorization(std::string_view signed_headers, std::string_view signature) {
  return std::string(kSuiteCredentialPrefix).append(signed_headers).append(", Signature=").append(signature);
}

TEST(SigV4Test, GetVanillaStepByStep) {
  const SignableRequest request = suiteRequest("GET");
  const CanonicalRequest canonical = canonicalRequest(request);
  EXPECT_EQ(canonical.text,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(canonical.signed_headers, "host;x-amz-date");
  const std::string scope = credentialScope(kSuiteDate, kSuiteScope);
  EXPECT_EQ(scope, "20150830/us-east-1/service/aws4_request");
  EXPECT_EQ(stringToSign(kSuiteDate, scope, canonical.text),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(authorization(request, kSuiteCredentials, kSuiteScope, kSuiteDate),
            expectedAuthorization("host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
}

TEST(SigV4Test, PostFormStepByStep) {
  SignableRequest request = suiteRequest("POST", {{"Content-Type", "application/x-www-form-urlencoded"}});
  request.payload = "Param1=value1";
  const CanonicalRequest canonical = canonicalRequest(request);
  EXPECT_EQ(canonical.text,
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n" +
                common::hexEncode(common::sha256("Param1=value1")));
  EXPECT_EQ(authorization(request, kSuiteCredentials, kSuiteScope, kSuiteDate),
            expectedAuthorization("content-type;host;x-amz-date",
                                  "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"));
}

struct SuiteCase {
  const char* name;
  const char* method;
  const char* path;
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  const char* signed_headers;
  const char* signature;
};

class SigV4SuiteTest : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SigV4SuiteTest, MatchesThePublishedSignature) {
  const SuiteCase& c = GetParam();
  SignableRequest request = suiteRequest(c.method, c.headers);
  request.path = c.path;
  request.query = c.query;
  EXPECT_EQ(authorization(request, kSuiteCredentials, kSuiteScope, kSuiteDate),
            expectedAuthorization(c.signed_headers, c.signature))
      << c.name;
}

const std::string kSuiteToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/"
    "qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+"
    "xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

INSTANTIATE_TEST_SUITE_P(
    AwsSigV4TestSuite, SigV4SuiteTest,
    ::testing::Values(
        SuiteCase{"get-header-value-trim", "GET", "/", {}, {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
                  "host;my-header1;my-header2;x-amz-date",
                  "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        SuiteCase{"get-header-key-duplicate", "GET", "/", {}, {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
                  "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
        SuiteCase{"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {}, {},
                  "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
        SuiteCase{"get-utf8", "GET", "/\xE1\x88\xB4", {}, {}, "host;x-amz-date",
                  "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
        SuiteCase{"get-vanilla-empty-query-key", "GET", "/", {{"Param1", "value1"}}, {}, "host;x-amz-date",
                  "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
        SuiteCase{"get-vanilla-query-order-key-case", "GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, {},
                  "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        SuiteCase{"get-vanilla-query-unreserved", "GET", "/",
                  {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}},
                  {}, "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
        SuiteCase{"get-vanilla-utf8-query", "GET", "/", {{"\xE1\x88\xB4", "bar"}}, {}, "host;x-amz-date",
                  "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
        SuiteCase{"post-header-value-case", "POST", "/", {}, {{"My-Header1", "VALUE1"}}, "host;my-header1;x-amz-date",
                  "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
        SuiteCase{"post-vanilla", "POST", "/", {}, {}, "host;x-amz-date",
                  "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        SuiteCase{"post-vanilla-query-nonunreserved", "POST", "/", {{"@#$%^", ""}, {"+", "/,?><`\";:\\|][{}"}}, {},
                  "host;x-amz-date", "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"},
        SuiteCase{"post-sts-header-before", "POST", "/", {}, {{"X-Amz-Security-Token", kSuiteToken}},
                  "host;x-amz-date;x-amz-security-token",
                  "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"}),
    [](const ::testing::TestParamInfo<SuiteCase>& param_info) {
      std::string name = param_info.param.name;
      for (char& c : name) {
        c = (c == '-') ? '_' : c;
      }
      return name;
    });

// AWS's documented example of the key derivation (secret above, 20120215, us-east-1, iam).
TEST(SigV4Test, SigningKeyMatchesTheDocumentedExample) {
  EXPECT_EQ(common::hexEncode(signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", {"us-east-1", "iam"})),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Test, SignAddsDateTokenAndAuthorization) {
  SignableRequest request;
  request.method = "POST";
  request.headers = {{"Host", "example.amazonaws.com"}};
  AwsCredentials credentials = kSuiteCredentials;
  credentials.session_token = kSuiteToken;
  // 2015-08-30T12:36:00Z
  sign(request, credentials, kSuiteScope, common::UnixSeconds(std::chrono::seconds(1440938160)));
  ASSERT_EQ(request.headers.size(), 4u);
  EXPECT_EQ(request.headers[1], (std::pair<std::string, std::string>{"X-Amz-Date", "20150830T123600Z"}));
  EXPECT_EQ(request.headers[2], (std::pair<std::string, std::string>{"X-Amz-Security-Token", kSuiteToken}));
  EXPECT_EQ(request.headers[3].first, "Authorization");
  EXPECT_EQ(request.headers[3].second,
            expectedAuthorization("host;x-amz-date;x-amz-security-token",
                                  "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"));
}

TEST(SigV4Test, AnyChangeToTheRequestChangesTheSignature) {
  SignableRequest request = suiteRequest("POST");
  request.payload = "Action=AssumeRole";
  const std::string base = authorization(request, kSuiteCredentials, kSuiteScope, kSuiteDate);
  SignableRequest other = request;
  other.payload = "Action=AssumeRolf";
  EXPECT_NE(authorization(other, kSuiteCredentials, kSuiteScope, kSuiteDate), base);
  EXPECT_NE(authorization(request, kSuiteCredentials, {"us-east-2", "service"}, kSuiteDate), base);
  AwsCredentials secret = kSuiteCredentials;
  secret.secret_access_key.back() = 'X';
  EXPECT_NE(authorization(request, secret, kSuiteScope, kSuiteDate), base);
}

}  // namespace
}  // namespace oh::control::aws
