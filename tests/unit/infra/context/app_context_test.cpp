#include "context/app_context.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace oh::infra {
namespace {

using Raw = std::map<std::string, std::string>;

Raw minimal() {
  return {{"vpcId", "vpc-0123456789abcdef0"}, {"hostedZoneId", "Z0123456789ABCDEFGHIJ"}, {"domainName", "example.com"}};
}

AppContext ok(const Raw& raw, std::optional<std::string> region = std::nullopt) {
  auto result = parseAppContext(raw, region);
  if (auto* problems = std::get_if<std::vector<ContextProblem>>(&result)) {
    for (const auto& p : *problems) ADD_FAILURE() << p.key << ": " << p.message;
    return {};
  }
  return std::get<AppContext>(result);
}

std::vector<ContextProblem> bad(const Raw& raw, std::optional<std::string> region = std::nullopt) {
  auto result = parseAppContext(raw, region);
  if (std::holds_alternative<AppContext>(result)) {
    ADD_FAILURE() << "expected problems";
    return {};
  }
  return std::get<std::vector<ContextProblem>>(result);
}

bool mentions(const std::vector<ContextProblem>& problems, const std::string& key, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(), [&](const ContextProblem& p) {
    return p.key == key && p.message.find(text) != std::string::npos;
  });
}

TEST(AppContext, DefaultsFollowTheReferenceReadme) {
  const AppContext c = ok(minimal());
  EXPECT_EQ(c.vpc_id, "vpc-0123456789abcdef0");
  EXPECT_EQ(c.sub_domain, "openhands");
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_EQ(c.site_name, "Openhands on AWS");
  EXPECT_EQ(c.auth_domain_prefix_suffix, "shared");
  EXPECT_EQ(c.edgeStackName(), "OpenHands-Edge");
  EXPECT_FALSE(c.skip_s3_endpoint);
  EXPECT_EQ(c.auth_callback_domains, std::vector<std::string>{"openhands.example.com"});
  EXPECT_EQ(c.mainHost(), "openhands.example.com");
  EXPECT_EQ(c.instance_type, "m7g.xlarge");
}

TEST(AppContext, EveryMissingRequiredKeyIsNamedWithAnExample) {
  const auto problems = bad({});
  ASSERT_EQ(problems.size(), 3U);
  EXPECT_TRUE(mentions(problems, "vpcId", "vpcId is required: pass --context vpcId=vpc-0123456789abcdef0"));
  EXPECT_TRUE(mentions(problems, "hostedZoneId", "--context hostedZoneId=Z"));
  EXPECT_TRUE(mentions(problems, "domainName", "--context domainName=example.com"));
}

TEST(AppContext, EmptyRequiredValueIsMissing) {
  auto raw = minimal();
  raw["vpcId"] = "";
  EXPECT_TRUE(mentions(bad(raw), "vpcId", "is required"));
}

TEST(AppContext, MalformedValuesAreAllReportedAtOnce) {
  const Raw raw{{"vpcId", "vpc-XYZ"},
                {"hostedZoneId", "z123"},
                {"domainName", "Example..com"},
                {"region", "moon-1"},
                {"skipS3Endpoint", "yes"},
                {"instanceType", "m7i.xlarge"},
                {"edgeStackSuffix", "bad_suffix"},
                {"authDomainPrefixSuffix", "my-aws"},
                {"vpcCidr", "10.0.0.0/8"}};
  const auto problems = bad(raw);
  for (const auto* key : {"vpcId", "hostedZoneId", "domainName", "region", "skipS3Endpoint", "instanceType",
                          "edgeStackSuffix", "authDomainPrefixSuffix", "vpcCidr"}) {
    EXPECT_TRUE(mentions(problems, key, key)) << key;
  }
  EXPECT_TRUE(mentions(problems, "vpcId", "(got 'vpc-XYZ')"));
}

TEST(AppContext, IdFormats) {
  for (const auto* id : {"vpc-1234567", "vpc-123456789abcdef012", "vpc-0123456789ABCDEF0", "vpc0123456789", " vpc-01234567"}) {
    auto raw = minimal();
    raw["vpcId"] = id;
    EXPECT_TRUE(mentions(bad(raw), "vpcId", "vpcId must be")) << id;
  }
  for (const auto* id : {"vpc-01234567", "vpc-0123456789abcdef0"}) {
    auto raw = minimal();
    raw["vpcId"] = id;
    EXPECT_EQ(ok(raw).vpc_id, id);
  }
  for (const auto* zone : {"Z", "A123", "Z12345678901234567890123456789012X", "Zabc"}) {
    auto raw = minimal();
    raw["hostedZoneId"] = zone;
    EXPECT_TRUE(mentions(bad(raw), "hostedZoneId", "hostedZoneId must be")) << zone;
  }
}

TEST(AppContext, DomainNames) {
  const std::vector<std::string> names{"com",    "-a.com", "a-.com",       "a..com",
                                      "UPPER.com", "a.com.", "exa mple.com", std::string(64, 'a') + ".com"};
  for (const auto& name : names) {
    auto raw = minimal();
    raw["domainName"] = name;
    EXPECT_TRUE(mentions(bad(raw), "domainName", "domainName must be")) << name;
  }
  auto raw = minimal();
  raw["domainName"] = "dev.example.co.uk";
  raw["subDomain"] = "oh.team";
  EXPECT_EQ(ok(raw).mainHost(), "oh.team.dev.example.co.uk");
}

TEST(AppContext, DerivedNamesMustFit) {
  auto raw = minimal();
  std::string long_domain;
  for (int i = 0; i < 4; ++i) long_domain += std::string(60, 'a') + ".";
  raw["domainName"] = long_domain + "com";  // 248 characters: valid alone, too long with the prefixes
  EXPECT_TRUE(mentions(bad(raw), "subDomain", "253"));
}

TEST(AppContext, RegionFromContextThenEnvironment) {
  auto raw = minimal();
  EXPECT_EQ(ok(raw, "eu-west-1").region, "eu-west-1");
  raw["region"] = "us-west-2";
  EXPECT_EQ(ok(raw, "eu-west-1").region, "us-west-2");
  raw["region"] = "us-gov-west-1";
  EXPECT_EQ(ok(raw).region, "us-gov-west-1");
  EXPECT_TRUE(mentions(bad(minimal(), "not a region"), "region", "CDK_DEFAULT_REGION"));
}

TEST(AppContext, CallbackDomainsAsJsonArrayOrCommaList) {
  auto raw = minimal();
  raw["authCallbackDomains"] = R"(["openhands.example.com","openhands-test.example.com"])";
  EXPECT_EQ(ok(raw).auth_callback_domains,
            (std::vector<std::string>{"openhands.example.com", "openhands-test.example.com"}));
  raw["authCallbackDomains"] = " a.example.com , b.example.com,a.example.com ";
  EXPECT_EQ(ok(raw).auth_callback_domains, (std::vector<std::string>{"a.example.com", "b.example.com"}));
  raw["authCallbackDomains"] = R"(["a.example.com", 5])";
  EXPECT_TRUE(mentions(bad(raw), "authCallbackDomains", "only strings"));
  raw["authCallbackDomains"] = R"(["a.example.com")";
  EXPECT_TRUE(mentions(bad(raw), "authCallbackDomains", "JSON array"));
  raw["authCallbackDomains"] = "https://a.example.com/";
  EXPECT_TRUE(mentions(bad(raw), "authCallbackDomains", "lowercase DNS names"));
  raw["authCallbackDomains"] = " , ";
  EXPECT_TRUE(mentions(bad(raw), "authCallbackDomains", "at least one"));
  std::string many;
  for (int i = 0; i < 51; ++i) many += "d" + std::to_string(i) + ".example.com,";
  raw["authCallbackDomains"] = many;
  EXPECT_TRUE(mentions(bad(raw), "authCallbackDomains", "more than 50"));
}

TEST(AppContext, BooleansAsTheCliAndCdkJsonSendThem) {
  auto raw = minimal();
  raw["skipS3Endpoint"] = "true";
  EXPECT_TRUE(ok(raw).skip_s3_endpoint);
  raw["skipS3Endpoint"] = "false";
  EXPECT_FALSE(ok(raw).skip_s3_endpoint);
  raw["skipS3Endpoint"] = "TRUE";
  EXPECT_TRUE(mentions(bad(raw), "skipS3Endpoint", "true or false"));
}

TEST(AppContext, EdgeStackSuffix) {
  auto raw = minimal();
  raw["edgeStackSuffix"] = "Test";
  EXPECT_EQ(ok(raw).edgeStackName(), "OpenHands-Edge-Test");
  raw["edgeStackSuffix"] = "";
  EXPECT_EQ(ok(raw).edgeStackName(), "OpenHands-Edge");
  raw["edgeStackSuffix"] = std::string(114, 'a');
  EXPECT_TRUE(mentions(bad(raw), "edgeStackSuffix", "edgeStackSuffix must be"));
}

TEST(AppContext, VpcShapeKeys) {
  auto raw = minimal();
  raw["region"] = "us-west-2";
  raw["vpcCidr"] = "10.20.0.0/16";
  raw["availabilityZones"] = R"(["us-west-2a","us-west-2b"])";
  raw["privateSubnetIds"] = "subnet-0123456789abcdef0,subnet-0123456789abcdef1";
  raw["publicSubnetIds"] = "subnet-0123456789abcdef2,subnet-0123456789abcdef3";
  raw["privateRouteTableIds"] = "rtb-0123456789abcdef0";
  const AppContext c = ok(raw);
  EXPECT_EQ(c.vpc_cidr, "10.20.0.0/16");
  EXPECT_EQ(c.availability_zones.size(), 2U);
  EXPECT_EQ(c.private_subnet_ids[1], "subnet-0123456789abcdef1");
  EXPECT_EQ(c.public_subnet_ids.size(), 2U);
  EXPECT_EQ(c.private_route_table_ids, std::vector<std::string>{"rtb-0123456789abcdef0"});

  raw["availabilityZones"] = "us-east-1a,us-west-2b";
  EXPECT_TRUE(mentions(bad(raw), "availabilityZones", "in region us-west-2"));
  raw.erase("availabilityZones");
  raw["privateSubnetIds"] = "subnet-0123456789abcdef0";
  EXPECT_TRUE(mentions(bad(raw), "privateSubnetIds", "at least two"));
  raw["privateSubnetIds"] = "subnet-xyz";
  EXPECT_TRUE(mentions(bad(raw), "privateSubnetIds", "subnet ids"));
  raw.erase("privateSubnetIds");
  for (const auto* cidr : {"10.0.0.0", "10.0.0/16", "256.0.0.0/16", "10.0.0.0/29", "010.0.0.0/16", "a.b.c.d/16"}) {
    raw["vpcCidr"] = cidr;
    EXPECT_TRUE(mentions(bad(raw), "vpcCidr", "vpcCidr must be")) << cidr;
  }
}

TEST(AppContext, VpcLookupFromCdkContextInBothFormats) {
  auto raw = minimal();
  raw["region"] = "us-west-2";
  raw["vpc-provider:account=123456789012:filter.vpc-id=vpc-0123456789abcdef0:region=us-west-2:"
      "returnAsymmetricSubnets=true"] = R"({"vpcId":"vpc-0123456789abcdef0","vpcCidrBlock":"172.31.0.0/16",
      "availabilityZones":[],"subnetGroups":[
        {"name":"Public","type":"Public","subnets":[
          {"subnetId":"subnet-00000000000000001","cidr":"172.31.0.0/20","availabilityZone":"us-west-2a","routeTableId":"rtb-00000000000000001"},
          {"subnetId":"subnet-00000000000000002","cidr":"172.31.16.0/20","availabilityZone":"us-west-2b","routeTableId":"rtb-00000000000000001"}]},
        {"name":"Private","type":"Private","subnets":[
          {"subnetId":"subnet-00000000000000003","cidr":"172.31.32.0/20","availabilityZone":"us-west-2a","routeTableId":"rtb-00000000000000002"},
          {"subnetId":"subnet-00000000000000004","cidr":"172.31.48.0/20","availabilityZone":"us-west-2b","routeTableId":"rtb-00000000000000002"}]}]})";
  // A lookup for another VPC is ignored.
  raw["vpc-provider:account=123456789012:filter.vpc-id=vpc-99999999:region=us-west-2"] =
      R"({"vpcId":"vpc-99999999","vpcCidrBlock":"192.168.0.0/16"})";
  AppContext c = ok(raw);
  EXPECT_EQ(c.vpc_cidr, "172.31.0.0/16");
  EXPECT_EQ(c.public_subnet_ids,
            (std::vector<std::string>{"subnet-00000000000000001", "subnet-00000000000000002"}));
  EXPECT_EQ(c.private_subnet_ids,
            (std::vector<std::string>{"subnet-00000000000000003", "subnet-00000000000000004"}));
  EXPECT_EQ(c.private_route_table_ids, std::vector<std::string>{"rtb-00000000000000002"});
  // The subnet-group format has no availabilityZones list: they come from the subnets.
  EXPECT_EQ(c.availability_zones, (std::vector<std::string>{"us-west-2a", "us-west-2b"}));

  raw["vpcCidr"] = "10.9.0.0/16";  // an explicit key wins over the lookup
  EXPECT_EQ(ok(raw).vpc_cidr, "10.9.0.0/16");

  auto flat = minimal();
  flat["vpc-provider:account=1:filter.vpc-id=vpc-0123456789abcdef0:region=us-east-1"] =
      R"({"vpcId":"vpc-0123456789abcdef0","vpcCidrBlock":"10.1.0.0/16","availabilityZones":["us-east-1a","us-east-1b"],
         "publicSubnetIds":["subnet-0000000a","subnet-0000000b"],"privateSubnetIds":["subnet-0000000c","subnet-0000000d"],
         "privateSubnetRouteTableIds":["rtb-0000000c","rtb-0000000d"]})";
  c = ok(flat);
  EXPECT_EQ(c.availability_zones, (std::vector<std::string>{"us-east-1a", "us-east-1b"}));
  EXPECT_EQ(c.private_route_table_ids, (std::vector<std::string>{"rtb-0000000c", "rtb-0000000d"}));

  // A lookup for the right VPC in another region does not apply.
  flat["region"] = "us-west-2";
  EXPECT_EQ(ok(flat).vpc_cidr, "10.0.0.0/16");

  // A lookup with values that would break the templates is reported under its key.
  auto poisoned = minimal();
  const std::string poisoned_key = "vpc-provider:account=1:filter.vpc-id=vpc-0123456789abcdef0:region=us-east-1";
  poisoned[poisoned_key] = R"({"vpcCidrBlock":"10.0.0.0/8","availabilityZones":["us-east-1a"],
      "publicSubnetIds":["subnet-0000000a","subnet-0000000b"],"privateSubnetIds":["subnet-\"injected","subnet-0000000d"]})";
  const auto problems = bad(poisoned);
  EXPECT_TRUE(mentions(problems, poisoned_key, "vpcCidrBlock"));
  EXPECT_TRUE(mentions(problems, poisoned_key, "subnet id"));

  auto broken = minimal();
  broken["vpc-provider:filter.vpc-id=vpc-0123456789abcdef0"] = "not json";
  EXPECT_TRUE(mentions(bad(broken), "vpc-provider:filter.vpc-id=vpc-0123456789abcdef0", "cdk.context.json"));
}

TEST(AppContext, InstanceTypesMustBeGraviton) {
  for (const auto* type : {"m7g.xlarge", "t4g.small", "c7gn.2xlarge", "m7gd.large", "r8g.4xlarge"}) {
    auto raw = minimal();
    raw["instanceType"] = type;
    EXPECT_EQ(ok(raw).instance_type, type);
  }
  for (const auto* type : {"m7i.xlarge", "m7g", ".xlarge", "m7g.", "g.xlarge", "m7g.x large"}) {
    auto raw = minimal();
    raw["instanceType"] = type;
    EXPECT_TRUE(mentions(bad(raw), "instanceType", "arm64")) << type;
  }
}

TEST(AppContext, ApplicationKeys) {
  auto raw = minimal();
  raw["bedrockModel"] = "bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0";
  raw["openhandsVersion"] = "1.7.0";
  raw["siteName"] = "My OpenHands";
  const AppContext c = ok(raw);
  EXPECT_EQ(c.openhands_version, "1.7.0");
  EXPECT_EQ(ok(minimal()).openhands_version, "1.7.0");
  EXPECT_EQ(c.site_name, "My OpenHands");
  raw["bedrockModel"] = "model with spaces";
  raw["openhandsVersion"] = "latest";
  raw["siteName"] = "bad\nname";
  const auto problems = bad(raw);
  EXPECT_TRUE(mentions(problems, "bedrockModel", "bedrockModel must be"));
  EXPECT_TRUE(mentions(problems, "openhandsVersion", "openhandsVersion must be the pinned OpenHands release"));
  // Another release's agent-server image is unknown (a constant of each release): refused.
  for (const char* version : {"1.3.0", "1.8.0", "1.7.0-rc.1"}) {
    raw["openhandsVersion"] = version;
    EXPECT_TRUE(mentions(bad(raw), "openhandsVersion", "--context openhandsVersion=1.7.0")) << version;
  }
  EXPECT_TRUE(mentions(problems, "siteName", "siteName must be"));
}

// This test verifies fifty callback domains are fine when they include the main host, and
// refused when the main host (always a callback) would make fifty-one.
TEST(AppContext, FiftyCallbackDomainsCountTheMainHost) {
  auto raw = minimal();
  std::string list = "openhands.example.com";
  for (int i = 1; i < 50; ++i) list += ",d" + std::to_string(i) + ".example.org";
  raw["authCallbackDomains"] = list;
  EXPECT_EQ(ok(raw).auth_callback_domains.size(), 50u);
  list = "d0.example.org";
  for (int i = 1; i < 50; ++i) list += ",d" + std::to_string(i) + ".example.org";
  raw["authCallbackDomains"] = list;
  EXPECT_TRUE(mentions(bad(raw), "authCallbackDomains", "at most 49 domains besides openhands.example.com"));
}

// This test verifies OpenHands' sandbox URL pattern: http(s), {port} exactly once, nothing that
// str.format, the shell or Fn::Sub would read.
TEST(AppContext, SandboxUrlPattern) {
  EXPECT_EQ(ok(minimal()).sandboxUrlPattern(), "https://{port}-sandbox.runtime.openhands.example.com");
  for (const auto* good : {"https://{port}-sandbox.runtime.openhands.example.com", "http://10.0.0.5:{port}",
                           "https://openhands.example.com/sandbox/{port}/"}) {
    auto raw = minimal();
    raw["sandboxUrlPattern"] = good;
    EXPECT_EQ(ok(raw).sandboxUrlPattern(), good);
  }
  for (const auto* hostile : {"http://localhost", "http://{port}-{convId}.example.com", "ftp://x:{port}",
                              "http://x:{port}/{port}", "http://x:{port}'; id; '", "http://x:${AWS::Region}:{port}",
                              "https://X.example.com:{port}", "http://x:{port:d}", "http://x:{port}\n"}) {
    auto raw = minimal();
    raw["sandboxUrlPattern"] = hostile;
    EXPECT_TRUE(mentions(bad(raw), "sandboxUrlPattern", "sandboxUrlPattern must be")) << hostile;
  }
}

TEST(AppContext, OversizedAndHostileValues) {
  auto raw = minimal();
  raw["siteName"] = std::string(100000, 'x');
  raw["authCallbackDomains"] = std::string(100000, '[');
  raw["domainName"] = std::string(300, 'a');
  const auto problems = bad(raw);
  EXPECT_TRUE(mentions(problems, "siteName", "longer than"));
  EXPECT_TRUE(mentions(problems, "authCallbackDomains", "too long"));
  EXPECT_TRUE(mentions(problems, "domainName", "domainName must be"));
  // Unknown keys (CDK feature flags and the like) are ignored.
  auto extra = minimal();
  extra["@aws-cdk/core:newStyleStackSynthesis"] = "true";
  extra["aws:cdk:enable-path-metadata"] = "true";
  EXPECT_EQ(ok(extra).domain_name, "example.com");
}

// This test verifies authCallbackHostedZones: a JSON object or host=zone list of further
// domains' zones, each host one of authCallbackDomains; malformed, hostile or unknown entries
// are named; the primary's own entry is its hostedZoneId and ignored.
TEST(AppContext, CallbackHostedZonesNameEachFurtherDomainsZone) {
  Raw raw = minimal();
  raw["authCallbackDomains"] = R"(["openhands.example.com","openhands.example.org","openhands.example.net"])";
  raw["authCallbackHostedZones"] = R"({"openhands.example.org":"Z0123456789ORG","openhands.example.com":"ZIGNORED"})";
  EXPECT_EQ(ok(raw).auth_callback_hosted_zones, (std::map<std::string, std::string>{{"openhands.example.org", "Z0123456789ORG"}}));
  raw["authCallbackHostedZones"] = " openhands.example.org = Z0123456789ORG , openhands.example.net=Z0123456789NET ";
  EXPECT_EQ(ok(raw).auth_callback_hosted_zones.size(), 2u);
  EXPECT_TRUE(ok(minimal()).auth_callback_hosted_zones.empty());

  raw["authCallbackHostedZones"] = R"({"openhands.example.biz":"Z0123456789BIZ"})";
  EXPECT_TRUE(mentions(bad(raw), "authCallbackHostedZones", "not in authCallbackDomains"));
  for (const char* hostile : {R"({"openhands.example.org":5})", R"({"openhands.example.org":"Z1\"]"})", R"(["Z1"])",
                              R"({"openhands.example.org")", "openhands.example.org", "openhands.example.org=",
                              R"({"Openhands.Example.org":"Z0123456789ORG"})", R"({"a b.org":"Z0123456789ORG"})"}) {
    raw["authCallbackHostedZones"] = hostile;
    EXPECT_FALSE(bad(raw).empty()) << hostile;
  }
  std::string many = "{";
  for (int i = 0; i < 26; ++i) many += (i ? "," : "") + std::string("\"h") + std::to_string(i) + R"(.example.org":"Z0123456789ORG")";
  raw["authCallbackHostedZones"] = many + "}";
  EXPECT_TRUE(mentions(bad(raw), "authCallbackHostedZones", "more than 25"));
}

}  // namespace
}  // namespace oh::infra
