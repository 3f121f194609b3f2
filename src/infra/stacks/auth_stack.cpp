#include "stacks/auth_stack.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "cfn/intrinsics.h"
#include "stacks/managed_login_branding.h"
#include "stacks/names.h"
#include "stacks/stack_common.h"

namespace oh::infra::stacks {
namespace json = boost::json;

namespace {

void addUserPool(cfn::Template& t, const AuthStackProps& props) {
  auto& pool = t.addResource(
      "UserPool", "AWS::Cognito::UserPool",
      {{"UserPoolName", "openhands-users"},
       // Administrators invite people; nobody signs themselves up.
       {"AdminCreateUserConfig",
        json::object{{"AllowAdminCreateUserOnly", true},
                     {"InviteMessageTemplate",
                      json::object{{"EmailSubject", "Your " + props.site_name + " account"},
                                   {"EmailMessage", "Welcome to " + props.site_name +
                                                        ". Your username is {username} and your temporary "
                                                        "password is {####}"}}}}},
       {"UsernameAttributes", json::array{"email"}},
       {"AutoVerifiedAttributes", json::array{"email"}},
       {"UsernameConfiguration", json::object{{"CaseSensitive", false}}},
       {"Schema", json::array{json::object{
                      {"Name", "email"}, {"AttributeDataType", "String"}, {"Required", true}, {"Mutable", true}}}},
       {"Policies", json::object{{"PasswordPolicy", json::object{{"MinimumLength", 8},
                                                                 {"RequireLowercase", true},
                                                                 {"RequireUppercase", true},
                                                                 {"RequireNumbers", true},
                                                                 {"RequireSymbols", true},
                                                                 {"TemporaryPasswordValidityDays", 7}}}}},
       {"MfaConfiguration", "OPTIONAL"},
       {"EnabledMfas", json::array{"SOFTWARE_TOKEN_MFA"}},
       {"AccountRecoverySetting",
        json::object{{"RecoveryMechanisms", json::array{json::object{{"Name", "verified_email"}, {"Priority", 1}}}}}},
       {"VerificationMessageTemplate",
        json::object{{"DefaultEmailOption", "CONFIRM_WITH_CODE"},
                     {"EmailSubject", "Verify your " + props.site_name + " email"},
                     {"EmailMessage", "Your verification code is {####}"}}},
       {"UserPoolTags", json::object{{"Project", names::kProject}}}});
  // The users are the deployment's most valuable state: keep them when the stack goes.
  pool.deletion_policy = cfn::DeletionPolicy::Retain;
  pool.update_replace_policy = cfn::DeletionPolicy::Retain;
}

void addClient(cfn::Template& t, const AuthStackProps& props) {
  json::array callbacks;
  json::array logouts;
  for (const auto& domain : props.callback_domains) {
    callbacks.emplace_back("https://" + domain + "/_callback");
    callbacks.emplace_back("https://" + domain + "/");
    logouts.emplace_back("https://" + domain + "/");
  }
  t.addResource("UserPoolClient", "AWS::Cognito::UserPoolClient",
                {{"UserPoolId", cfn::ref("UserPool")},
                 {"ClientName", props.site_name},
                 {"GenerateSecret", true},
                 {"AllowedOAuthFlowsUserPoolClient", true},
                 {"AllowedOAuthFlows", json::array{"code"}},
                 {"AllowedOAuthScopes", json::array{"openid", "email", "profile"}},
                 {"SupportedIdentityProviders", json::array{"COGNITO"}},
                 {"CallbackURLs", std::move(callbacks)},
                 {"LogoutURLs", std::move(logouts)},
                 {"ExplicitAuthFlows", json::array{"ALLOW_REFRESH_TOKEN_AUTH"}},
                 {"AccessTokenValidity", 60},
                 {"IdTokenValidity", 1},
                 {"RefreshTokenValidity", 30},
                 {"TokenValidityUnits",
                  json::object{{"AccessToken", "minutes"}, {"IdToken", "days"}, {"RefreshToken", "days"}}},
                 {"PreventUserExistenceErrors", "ENABLED"},
                 {"EnableTokenRevocation", true}});
}

}  // namespace

StackSpec buildAuthStack(const AuthStackProps& props) {
  StackSpec stack = newStack(names::kAuthStack, names::kEdgeRegion,
                             "OpenHands sign-in: shared Cognito user pool with managed login", {});
  auto& t = stack.template_;

  addUserPool(t, props);
  t.addResource("UserPoolDomain", "AWS::Cognito::UserPoolDomain",
                {{"UserPoolId", cfn::ref("UserPool")},
                 {"Domain", cfn::sub("openhands-${AWS::AccountId}-" + props.domain_prefix_suffix)},
                 {"ManagedLoginVersion", 2}});
  addClient(t, props);
  // Managed login v2 serves its pages only once a style is assigned to the client. Ours comes
  // from deploy/branding/ (colours, form, logo); the site name reaches the user through the
  // client name and the message templates above.
  json::object branding = managedLoginStyle();
  branding["UserPoolId"] = cfn::ref("UserPool");
  branding["ClientId"] = cfn::ref("UserPoolClient");
  t.addResource("ManagedLoginBranding", "AWS::Cognito::ManagedLoginBranding", std::move(branding)).depends_on = {
      "UserPoolDomain"};

  // Everything oh-gateway needs to sign people in, in one secret. The client secret is read
  // with GetAtt at deploy time, so it is never in the template; the replica puts the same name
  // in the main region, where the instance reads it.
  json::object secret{
      {"Name", names::kAuthSettingsSecret},
      {"Description", "OpenHands sign-in client settings (issuer, client id and secret, Cognito domain)"},
      {"SecretString",
       cfn::sub(R"({"issuer":"https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${UserPool}",)"
                R"("clientId":"${UserPoolClient}","clientSecret":"${UserPoolClient.ClientSecret}",)"
                R"("domain":"${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"})")}};
  if (props.main_region != names::kEdgeRegion) {
    secret["ReplicaRegions"] = json::array{json::object{{"Region", props.main_region}}};
  }
  // Derived from the pool and client above: it goes with them, explicitly.
  keepOnDelete(t.addResource("AuthSettingsSecret", "AWS::SecretsManager::Secret", std::move(secret)),
               cfn::DeletionPolicy::Delete);

  t.addOutput("UserPoolId", cfn::Output{cfn::ref("UserPool"), "Cognito user pool", std::nullopt, std::nullopt});
  t.addOutput("UserPoolClientId", cfn::Output{cfn::ref("UserPoolClient"), "App client id", std::nullopt, std::nullopt});
  t.addOutput("AuthDomain", cfn::Output{cfn::sub("${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"),
                                        "Cognito managed login domain", std::nullopt, std::nullopt});
  t.addOutput("AuthSettingsSecretArn",
              cfn::Output{cfn::ref("AuthSettingsSecret"), "Sign-in settings secret", std::nullopt, std::nullopt});
  return stack;
}

}  // namespace oh::infra::stacks
