// The reference README's multi-domain steps, synthesized as written (docs/infra.md "Several
// domains"): Auth with both callback domains, the backend with the primary domain's context,
// then one Edge stack per domain with that domain's context, every step also seeing cdk.json's
// context. From those templates: every Host an Edge stack forwards is covered by a certificate
// the origin's listener serves, and the gateway configured from the Compute stack's main-hosts
// parameter accepts each domain's main and runtime hosts.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "boot_config_fixture.h"
#include "context/app_context.h"
#include "stacks/app.h"

namespace oh::infra::instance {
namespace {

namespace json = boost::json;
using Raw = std::map<std::string, std::string>;

constexpr const char* kTestZone = "ZTESTZONE0123456789AB";
constexpr const char* kProdZone = "ZPRODZONE0123456789AB";

// cdk.json's "context", which the CDK CLI merges into every command: the list of domains and
// the second domain's hosted zone.
Raw cdkJson() {
  return {{"authCallbackDomains", R"(["openhands.test.example.com","openhands.prod.example.com"])"},
          {"authCallbackHostedZones", std::string(R"({"openhands.prod.example.com":")") + kProdZone + "\"}"}};
}

// One README command's --context values over cdk.json's (the CLI's precedence).
std::vector<StackSpec> synth(const Raw& command_line, Raw base = cdkJson()) {
  for (const auto& [key, value] : command_line) base[key] = value;
  auto parsed = parseAppContext(base, std::nullopt);
  if (auto* problems = std::get_if<std::vector<ContextProblem>>(&parsed)) {
    ADD_FAILURE() << "context rejected: " << problems->front().message;
    return {};
  }
  DockerImageAsset image;
  image.source_hash = std::string(64, 'a');
  image.directory = "/project";
  image.dockerfile = "deploy/gateway.Dockerfile";
  return buildApp(std::get<AppContext>(parsed), image);
}

Raw step(const std::string& domain, const char* zone, const std::string& suffix = "") {
  Raw r{{"vpcId", "vpc-0123456789abcdef0"}, {"hostedZoneId", zone}, {"domainName", domain},
        {"subDomain", "openhands"},          {"region", "us-west-2"}};
  if (!suffix.empty()) r["edgeStackSuffix"] = suffix;
  return r;
}

json::object templateOf(const std::vector<StackSpec>& app, const std::string& name) {
  for (const auto& stack : app) {
    if (stack.name == name) return stack.template_.toJson();
  }
  ADD_FAILURE() << "no stack " << name;
  return {};
}

std::vector<json::object> resourcesOfType(const json::object& t, std::string_view type) {
  std::vector<json::object> out;
  for (const auto& [id, resource] : t.at("Resources").as_object()) {
    if (resource.at("Type").as_string() == type) out.push_back(resource.as_object());
  }
  return out;
}

// The names (with their validation zones) of every certificate the HTTPS listener serves: its
// default certificate and each ListenerCertificate, followed by Ref to the certificate.
std::map<std::string, std::string> originCertificateNames(const json::object& compute) {
  std::set<std::string> served;
  const auto add = [&](const json::value& certificates) {
    for (const auto& c : certificates.as_array()) served.insert(std::string(c.at("CertificateArn").at("Ref").as_string()));
  };
  for (const auto& listener : resourcesOfType(compute, "AWS::ElasticLoadBalancingV2::Listener")) {
    if (listener.at("Properties").at("Protocol") == "HTTPS") add(listener.at("Properties").at("Certificates"));
  }
  for (const auto& extra : resourcesOfType(compute, "AWS::ElasticLoadBalancingV2::ListenerCertificate")) {
    add(extra.at("Properties").at("Certificates"));
  }
  std::map<std::string, std::string> names;
  for (const auto& id : served) {
    const auto& properties = compute.at("Resources").at(id).at("Properties");
    for (const auto& validation : properties.at("DomainValidationOptions").as_array()) {
      names[std::string(validation.at("DomainName").as_string())] = std::string(validation.at("HostedZoneId").as_string());
    }
  }
  return names;
}

// A TLS name check as CloudFront makes it: exact, or a wildcard for one leftmost label. An Edge
// alias "*.runtime.X" stands for every runtime host, so only the same wildcard covers it.
bool covered(const std::string& host, const std::map<std::string, std::string>& names) {
  if (names.count(host) != 0) return true;
  const auto dot = host.find('.');
  return host.front() != '*' && dot != std::string::npos && names.count("*" + host.substr(dot)) != 0;
}

struct EdgeHosts {
  std::vector<std::string> aliases;
  bool forwards_host = false;
};

EdgeHosts edgeHosts(const json::object& edge) {
  EdgeHosts out;
  const auto distributions = resourcesOfType(edge, "AWS::CloudFront::Distribution");
  if (distributions.size() != 1) {
    ADD_FAILURE() << "expected one distribution";
    return out;
  }
  for (const auto& alias : distributions[0].at("Properties").at("DistributionConfig").at("Aliases").as_array()) {
    out.aliases.emplace_back(alias.as_string());
  }
  // The Host reaches the origin when the origin request policy forwards every viewer header.
  for (const auto& policy : resourcesOfType(edge, "AWS::CloudFront::OriginRequestPolicy")) {
    const auto behavior = policy.at("Properties").at("OriginRequestPolicyConfig").at("HeadersConfig").at("HeaderBehavior");
    out.forwards_host = out.forwards_host || behavior == "allViewer" || behavior == "allViewerAndWhitelistCloudFront";
  }
  return out;
}

std::string mainHostsParameter(const json::object& compute) {
  for (const auto& parameter : resourcesOfType(compute, "AWS::SSM::Parameter")) {
    if (parameter.at("Properties").at("Name") == "/openhands/config/main-hosts") {
      return std::string(parameter.at("Properties").at("Value").as_string());
    }
  }
  ADD_FAILURE() << "no main-hosts parameter";
  return "";
}

class MultiDomainTest : public testing::BootConfigFixture {};

// This test verifies README step 1: one user pool client with sign-in, callback and logout URLs
// on both domains.
TEST_F(MultiDomainTest, AuthHasEachDomainsCallbacksAndLogout) {
  auto with_callbacks = step("test.example.com", kTestZone);
  with_callbacks["authCallbackDomains"] = R"(["openhands.test.example.com","openhands.prod.example.com"])";
  const auto client = resourcesOfType(templateOf(synth(with_callbacks), "OpenHands-Auth"), "AWS::Cognito::UserPoolClient");
  ASSERT_EQ(client.size(), 1u);
  const auto& properties = client[0].at("Properties");
  for (const std::string host : {"openhands.test.example.com", "openhands.prod.example.com"}) {
    const auto has = [&](const char* key, const std::string& url) {
      const auto& urls = properties.at(key).as_array();
      return std::find(urls.begin(), urls.end(), json::value(url)) != urls.end();
    };
    EXPECT_TRUE(has("CallbackURLs", "https://" + host + "/_callback")) << host;
    EXPECT_TRUE(has("LogoutURLs", "https://" + host + "/")) << host;
  }
}

// This test verifies README steps 2 and 3: each Edge stack's hosts (main and runtime wildcard),
// forwarded as the Host, are covered by a certificate the origin serves, validated in that
// domain's own hosted zone; the Edge's viewer certificate is validated there too.
TEST_F(MultiDomainTest, EveryForwardedHostIsCoveredByAnOriginCertificate) {
  const auto compute = templateOf(synth(step("test.example.com", kTestZone)), "OpenHands-Compute");
  const auto names = originCertificateNames(compute);
  const std::pair<const char*, const char*> edges[] = {{"test.example.com", kTestZone}, {"prod.example.com", kProdZone}};
  for (const auto& [domain, zone] : edges) {
    const std::string suffix = std::string(domain) == "test.example.com" ? "Test" : "Prod";
    const auto edge = templateOf(synth(step(domain, zone, suffix)), "OpenHands-Edge-" + suffix);
    const auto hosts = edgeHosts(edge);
    ASSERT_EQ(hosts.aliases.size(), 2u) << domain;
    EXPECT_TRUE(hosts.forwards_host) << "the gateway routes on the viewer's Host";
    for (const auto& host : hosts.aliases) {
      EXPECT_TRUE(covered(host, names)) << host << " is forwarded but no origin certificate names it";
      EXPECT_EQ(names.count(host) != 0 ? names.at(host) : "", zone) << host << " validated in the wrong zone";
    }
    for (const auto& certificate : resourcesOfType(edge, "AWS::CertificateManager::Certificate")) {
      for (const auto& validation : certificate.at("Properties").at("DomainValidationOptions").as_array()) {
        EXPECT_EQ(validation.at("HostedZoneId"), zone);
      }
    }
  }
}

// This test verifies the check above can fail: a backend deployed without the second domain's
// hosted zone serves no certificate for it, so its Edge stack's hosts are not covered.
TEST_F(MultiDomainTest, WithoutTheSecondZoneTheSecondDomainIsNotCovered) {
  Raw without_zones = cdkJson();
  without_zones.erase("authCallbackHostedZones");
  const auto names =
      originCertificateNames(templateOf(synth(step("test.example.com", kTestZone), without_zones), "OpenHands-Compute"));
  EXPECT_TRUE(covered("openhands.test.example.com", names));
  EXPECT_TRUE(covered("*.runtime.openhands.test.example.com", names));
  EXPECT_TRUE(covered("3000-sandbox.runtime.openhands.test.example.com", names));
  EXPECT_FALSE(covered("openhands.prod.example.com", names));
  EXPECT_FALSE(covered("*.runtime.openhands.prod.example.com", names));
  EXPECT_FALSE(covered("a.b.runtime.openhands.test.example.com", names));
}

// This test verifies the gateway, configured at boot from the backend's main-hosts parameter,
// accepts both domains: each main host signs people in, each runtime.{host} is a runtime suffix.
TEST_F(MultiDomainTest, TheGatewayAcceptsEachDomainsHosts) {
  const auto compute = templateOf(synth(step("test.example.com", kTestZone)), "OpenHands-Compute");
  ASSERT_EQ(boot(mainHostsParameter(compute), testing::kGoodAuthSettings), 0) << log_;
  const auto settings = testing::parse(gatewayToml());
  for (const std::string host : {"openhands.test.example.com", "openhands.prod.example.com"}) {
    const auto& callbacks = settings.auth.callback_hosts;
    EXPECT_NE(std::find(callbacks.begin(), callbacks.end(), host), callbacks.end()) << host;
    const auto& suffixes = settings.runtime.host_suffixes;
    EXPECT_NE(std::find(suffixes.begin(), suffixes.end(), "runtime." + host), suffixes.end()) << host;
  }
}

}  // namespace
}  // namespace oh::infra::instance
