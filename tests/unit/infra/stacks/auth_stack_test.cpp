// OpenHands-Auth: every behaviour of the issue's Auth bullet.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "common/base64.h"
#include "template_assert.h"
#include "test_app.h"

namespace oh::infra {
namespace {
using testing::TemplateAssert;

TemplateAssert authOf(const AppContext& context) {
  return TemplateAssert::of(testing::stackNamed(testing::testApp(context), "OpenHands-Auth").template_);
}

TEST(AuthStackTest, UserPoolIsInviteOnlyWithEmailSignInAndStrongPasswords) {
  const auto t = authOf(testing::exampleContext());
  EXPECT_TRUE(t.resourceCountIs("AWS::Cognito::UserPool", 1));
  EXPECT_TRUE(t.hasResourceProperties("AWS::Cognito::UserPool", R"({
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true},
    "UsernameAttributes": ["email"],
    "AutoVerifiedAttributes": ["email"],
    "Policies": {"PasswordPolicy": {"MinimumLength": 8, "RequireLowercase": true, "RequireUppercase": true,
                                    "RequireNumbers": true, "RequireSymbols": true}},
    "MfaConfiguration": "OPTIONAL",
    "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}})"));
}

TEST(AuthStackTest, UserPoolIsRetained) {
  EXPECT_TRUE(authOf(testing::exampleContext())
                  .hasResource("AWS::Cognito::UserPool", R"({"DeletionPolicy":"Retain","UpdateReplacePolicy":"Retain"})"));
}

TEST(AuthStackTest, DomainPrefixCarriesAccountAndSuffixWithManagedLoginV2) {
  auto context = testing::exampleContext();
  EXPECT_TRUE(authOf(context).hasResourceProperties(
      "AWS::Cognito::UserPoolDomain", R"({"Domain":{"Fn::Sub":"openhands-${AWS::AccountId}-shared"},"ManagedLoginVersion":2})"));
  context.auth_domain_prefix_suffix = "team7";
  EXPECT_TRUE(authOf(context).hasResourceProperties("AWS::Cognito::UserPoolDomain",
                                                    R"({"Domain":{"Fn::Sub":"openhands-${AWS::AccountId}-team7"}})"));
}

TEST(AuthStackTest, ManagedLoginBrandingCarriesTheSiteName) {
  auto context = testing::exampleContext();
  context.site_name = "Acme Agents";
  const auto t = authOf(context);
  EXPECT_TRUE(t.hasResourceProperties("AWS::Cognito::ManagedLoginBranding",
                                      R"({"UserPoolId":{"Ref":"UserPool"},"ClientId":{"Ref":"UserPoolClient"}})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::Cognito::UserPoolClient", R"({"ClientName":"Acme Agents"})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::Cognito::UserPool",
                                      R"({"AdminCreateUserConfig":{"InviteMessageTemplate":{"EmailSubject":"Your Acme Agents account"}}})"));
  EXPECT_TRUE(authOf(testing::exampleContext())
                  .hasResourceProperties("AWS::Cognito::UserPoolClient", R"({"ClientName":"Openhands on AWS"})"));
}

// Standard base64 (what Cognito takes) decoded through the strict base64url decoder.
std::string decodeBase64(std::string text) {
  std::replace(text.begin(), text.end(), '+', '-');
  std::replace(text.begin(), text.end(), '/', '_');
  text.erase(text.find_last_not_of('=') + 1);
  return common::base64UrlDecode(text).value_or("<not base64>");
}

std::string shippedLogo() {
  std::ifstream in(OH_BRANDING_DIR "/logo.svg", std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

TEST(AuthStackTest, ManagedLoginBrandingIsOurStyleWithTheShippedLogo) {
  const auto t = authOf(testing::exampleContext());
  const auto brandings = t.resourcesOfType("AWS::Cognito::ManagedLoginBranding");
  ASSERT_EQ(brandings.size(), 1U);
  const auto& properties = brandings.front().second.at("Properties").as_object();
  // A style of our own: with UseCognitoProvidedValues, Cognito's defaults would replace it.
  EXPECT_FALSE(properties.contains("UseCognitoProvidedValues"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::Cognito::ManagedLoginBranding", R"({"Settings":{
    "categories": {"global": {"colorSchemeMode": "LIGHT"}},
    "components": {"pageBackground": {"lightMode": {"color": "eef2f7ff"}},
                   "primaryButton": {"lightMode": {"defaults": {"backgroundColor": "1f3a5fff"}}},
                   "form": {"logo": {"enabled": true}},
                   "favicon": {"enabledTypes": ["SVG"]}}}})"));

  const std::string logo = shippedLogo();
  ASSERT_NE(logo.find("<svg"), std::string::npos) << "deploy/branding/logo.svg is not an SVG";
  std::vector<std::string> categories;
  for (const auto& asset : properties.at("Assets").as_array()) {
    const auto& fields = asset.as_object();
    categories.emplace_back(fields.at("Category").as_string());
    EXPECT_EQ(fields.at("Extension").as_string(), "SVG");
    EXPECT_EQ(fields.at("ColorMode").as_string(), "LIGHT");
    EXPECT_EQ(decodeBase64(std::string(fields.at("Bytes").as_string())), logo) << categories.back();
  }
  std::sort(categories.begin(), categories.end());
  EXPECT_EQ(categories, (std::vector<std::string>{"FAVICON_SVG", "FORM_LOGO"}));
}

TEST(AuthStackTest, ClientUsesCodeGrantWithSecretScopesAndTokenLifetimes) {
  EXPECT_TRUE(authOf(testing::exampleContext()).hasResourceProperties("AWS::Cognito::UserPoolClient", R"({
    "GenerateSecret": true,
    "AllowedOAuthFlowsUserPoolClient": true,
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email", "profile"],
    "AccessTokenValidity": 60, "IdTokenValidity": 1, "RefreshTokenValidity": 30,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "days", "RefreshToken": "days"},
    "PreventUserExistenceErrors": "ENABLED"})"));
}

TEST(AuthStackTest, CallbackUrlsDefaultToTheMainName) {
  EXPECT_TRUE(authOf(testing::exampleContext()).hasResourceProperties("AWS::Cognito::UserPoolClient", R"({
    "CallbackURLs": ["https://openhands.example.com/_callback", "https://openhands.example.com/"],
    "LogoutURLs": ["https://openhands.example.com/"]})"));
}

TEST(AuthStackTest, CallbackUrlsCoverEveryCallbackDomain) {
  auto context = testing::exampleContext();
  context.auth_callback_domains = {"openhands.example.com", "openhands.test.example.com"};
  EXPECT_TRUE(authOf(context).hasResourceProperties("AWS::Cognito::UserPoolClient", R"({
    "CallbackURLs": ["https://openhands.example.com/_callback", "https://openhands.example.com/",
                     "https://openhands.test.example.com/_callback", "https://openhands.test.example.com/"],
    "LogoutURLs": ["https://openhands.example.com/", "https://openhands.test.example.com/"]})"));
}

// This test verifies the main host stays a callback when authCallbackDomains lists only extra
// domains (the gateway signs people in there), first and once.
TEST(AuthStackTest, MainHostIsAlwaysACallback) {
  auto context = testing::exampleContext();
  context.auth_callback_domains = {"openhands.example.org"};
  EXPECT_TRUE(authOf(context).hasResourceProperties("AWS::Cognito::UserPoolClient", R"({
    "CallbackURLs": ["https://openhands.example.com/_callback", "https://openhands.example.com/",
                     "https://openhands.example.org/_callback", "https://openhands.example.org/"],
    "LogoutURLs": ["https://openhands.example.com/", "https://openhands.example.org/"]})"));
  context.auth_callback_domains = {"openhands.example.org", "openhands.example.com"};
  EXPECT_TRUE(authOf(context).hasResourceProperties("AWS::Cognito::UserPoolClient", R"({
    "LogoutURLs": ["https://openhands.example.com/", "https://openhands.example.org/"]})"));
}

TEST(AuthStackTest, SignInSettingsSecretIsReplicatedToTheMainRegion) {
  const auto t = authOf(testing::exampleContext());
  EXPECT_TRUE(t.hasResourceProperties("AWS::SecretsManager::Secret", R"({
    "Name": "openhands/auth-settings", "ReplicaRegions": [{"Region": "us-west-2"}]})"));
  // The client secret is read at deploy time, never written into the template.
  const auto secret = t.resourcesOfType("AWS::SecretsManager::Secret").at(0).second;
  const std::string text(secret.at("Properties").at("SecretString").at("Fn::Sub").as_string());
  EXPECT_NE(text.find("${UserPoolClient.ClientSecret}"), std::string::npos);
  EXPECT_NE(text.find("\"issuer\":\"https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${UserPool}\""),
            std::string::npos);
  EXPECT_NE(text.find("\"domain\":"), std::string::npos);
}

TEST(AuthStackTest, NoReplicaWhenTheMainRegionIsUsEast1) {
  auto context = testing::exampleContext();
  context.region = "us-east-1";
  EXPECT_TRUE(authOf(context).hasResourceProperties("AWS::SecretsManager::Secret",
                                                    R"({"Name":"openhands/auth-settings","ReplicaRegions":{"$absent":true}})"));
}

}  // namespace
}  // namespace oh::infra
