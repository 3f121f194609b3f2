#include "context/app_context.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <boost/json/parse.hpp>

namespace oh::infra {
namespace {

constexpr std::size_t kMaxScalarBytes = 4096;
constexpr std::size_t kMaxListEntries = 50;  // Cognito allows 100 callback URLs; two per domain
// An ALB serves up to 25 certificates besides its default one (the primary's origin certificate).
constexpr std::size_t kMaxExtraOriginCertificates = 25;

using Raw = std::map<std::string, std::string>;

bool isLower(char c) { return c >= 'a' && c <= 'z'; }
bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f'); }

bool allOf(const std::string& text, bool (*predicate)(char)) {
  return std::all_of(text.begin(), text.end(), predicate);
}

// prefix followed by 8 to 17 lowercase hex digits: vpc-, subnet-, rtb- ids.
bool isAwsId(const std::string& value, const std::string& prefix) {
  if (value.rfind(prefix, 0) != 0) return false;
  const std::string digits = value.substr(prefix.size());
  return digits.size() >= 8 && digits.size() <= 17 && allOf(digits, isHex);
}

bool isDnsLabel(const std::string& label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return isLower(c) || isDigit(c) || c == '-'; });
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

// Lowercase DNS name of at least `min_labels` labels, at most 253 characters.
bool isDnsName(const std::string& name, std::size_t min_labels) {
  if (name.empty() || name.size() > 253) return false;
  const auto labels = split(name, '.');
  if (labels.size() < min_labels) return false;
  return std::all_of(labels.begin(), labels.end(), isDnsLabel);
}

// us-east-1, eu-central-2, ap-southeast-4, us-gov-west-1, cn-north-1, ...
bool isRegion(const std::string& region) {
  const auto parts = split(region, '-');
  if (parts.size() < 3 || parts.size() > 4 || region.size() > 32) return false;
  if (parts.front().size() != 2 || !allOf(parts.front(), isLower)) return false;
  for (std::size_t i = 1; i + 1 < parts.size(); ++i) {
    if (parts[i].empty() || !allOf(parts[i], isLower)) return false;
  }
  const auto& number = parts.back();
  return !number.empty() && number.size() <= 2 && allOf(number, isDigit);
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

bool hasControlCharacters(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20U || byte == 0x7fU;
  });
}

class Parser {
public:
  Parser(const Raw& raw, std::vector<ContextProblem>& problems) : raw_(raw), problems_(problems) {}

  const std::string* find(const std::string& key) const {
    const auto it = raw_.find(key);
    return it == raw_.end() ? nullptr : &it->second;
  }

  void problem(const std::string& key, const std::string& message) { problems_.push_back({key, message}); }

  // A scalar value; nullptr when absent. Oversized values are reported once, here.
  const std::string* scalar(const std::string& key) {
    const std::string* value = find(key);
    if (value != nullptr && value->size() > kMaxScalarBytes) {
      problem(key, key + " is longer than " + std::to_string(kMaxScalarBytes) + " characters");
      return nullptr;
    }
    return value;
  }

  void required(const std::string& key, std::string& out, bool (*valid)(const std::string&),
                const std::string& format, const std::string& example) {
    const std::string* value = scalar(key);
    if (value == nullptr || value->empty()) {
      if (find(key) == nullptr || (value != nullptr && value->empty())) {
        problem(key, key + " is required: pass --context " + key + "=" + example);
      }
      return;
    }
    if (!valid(*value)) {
      problem(key, key + " must be " + format + ", e.g. --context " + key + "=" + example + " (got '" +
                       value->substr(0, 80) + "')");
      return;
    }
    out = *value;
  }

  void optional(const std::string& key, std::string& out, bool (*valid)(const std::string&),
                const std::string& format, const std::string& example) {
    const std::string* value = scalar(key);
    if (value == nullptr) return;
    if (!valid(*value)) {
      problem(key, key + " must be " + format + ", e.g. --context " + key + "=" + example + " (got '" +
                       value->substr(0, 80) + "')");
      return;
    }
    out = *value;
  }

  void boolean(const std::string& key, bool& out) {
    const std::string* value = scalar(key);
    if (value == nullptr) return;
    if (*value == "true") {
      out = true;
    } else if (*value == "false") {
      out = false;
    } else {
      problem(key, key + " must be true or false, e.g. --context " + key + "=true (got '" + value->substr(0, 80) + "')");
    }
  }

  // A JSON array of strings or a comma-separated list. nullopt when absent or malformed.
  std::optional<std::vector<std::string>> list(const std::string& key, const std::string& example) {
    const std::string* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (value->size() > kMaxListEntries * 300) {
      problem(key, key + " is too long");
      return std::nullopt;
    }
    std::vector<std::string> items;
    const std::string text = trim(*value);
    if (!text.empty() && text.front() == '[') {
      boost::json::error_code ec;
      const auto document = boost::json::parse(text, ec);
      if (ec || !document.is_array()) {
        problem(key, key + " must be a JSON array of strings or a comma-separated list, e.g. --context " + key + "=" +
                         example);
        return std::nullopt;
      }
      for (const auto& element : document.get_array()) {
        if (!element.is_string()) {
          problem(key, key + " must contain only strings, e.g. --context " + key + "=" + example);
          return std::nullopt;
        }
        items.emplace_back(element.get_string());
      }
    } else {
      for (const auto& part : split(text, ',')) {
        const std::string item = trim(part);
        if (!item.empty()) items.push_back(item);
      }
    }
    if (items.size() > kMaxListEntries) {
      problem(key, key + " has more than " + std::to_string(kMaxListEntries) + " entries");
      return std::nullopt;
    }
    // Duplicates would only repeat resources: drop them, keeping the first occurrence.
    std::vector<std::string> unique;
    std::set<std::string> seen;
    for (auto& item : items) {
      if (seen.insert(item).second) unique.push_back(std::move(item));
    }
    return unique;
  }

  // A list whose entries must each satisfy `valid`; reports each bad entry.
  void checkedList(const std::string& key, std::vector<std::string>& out, bool (*valid)(const std::string&),
                   const std::string& format, const std::string& example) {
    auto items = list(key, example);
    if (!items) return;
    bool ok = true;
    for (const auto& item : *items) {
      if (!valid(item)) {
        problem(key, key + " entries must be " + format + ", e.g. --context " + key + "=" + example + " (got '" +
                         item.substr(0, 80) + "')");
        ok = false;
      }
    }
    if (ok) out = std::move(*items);
  }

private:
  const Raw& raw_;
  std::vector<ContextProblem>& problems_;
};

bool validVpcId(const std::string& v) { return isAwsId(v, "vpc-"); }
bool validHostedZoneId(const std::string& v);
bool validCallbackDomain(const std::string& v);

// authCallbackHostedZones: {"openhands.other.example.org": "Z..."} (a JSON object) or
// "openhands.other.example.org=Z...,..." . Each host must be one of authCallbackDomains: the
// Compute stack requests an origin certificate for it (and its runtime wildcard) in that zone.
void parseCallbackHostedZones(AppContext& c, Parser& p) {
  const auto* value = p.scalar("authCallbackHostedZones");
  if (value == nullptr) return;
  constexpr const char* kKey = "authCallbackHostedZones";
  const std::string example = R"({"openhands.example.org":"Z0123456789ABCDEFGHIJ"})";
  std::vector<std::pair<std::string, std::string>> entries;
  const std::string text = trim(*value);
  if (!text.empty() && text.front() == '{') {
    boost::json::error_code ec;
    const auto document = boost::json::parse(text, ec);
    if (ec || !document.is_object()) {
      p.problem(kKey, std::string(kKey) + " must be a JSON object of host to hosted zone id, e.g. --context " + kKey +
                          "='" + example + "'");
      return;
    }
    for (const auto& [host, zone] : document.get_object()) {
      if (!zone.is_string()) {
        p.problem(kKey, std::string(kKey) + " values must be hosted zone ids (strings), e.g. " + example);
        return;
      }
      entries.emplace_back(std::string(host), std::string(zone.get_string()));
    }
  } else {
    for (const auto& part : split(text, ',')) {
      const auto item = trim(part);
      if (item.empty()) continue;
      const auto equals = item.find('=');
      entries.emplace_back(trim(item.substr(0, equals)), equals == std::string::npos ? "" : trim(item.substr(equals + 1)));
    }
  }
  if (entries.size() > kMaxExtraOriginCertificates) {
    p.problem(kKey, std::string(kKey) + " has more than " + std::to_string(kMaxExtraOriginCertificates) +
                        " entries (an ALB serves at most 25 certificates besides its default one)");
    return;
  }
  for (const auto& [host, zone] : entries) {
    if (!validCallbackDomain(host) || !validHostedZoneId(zone)) {
      p.problem(kKey, std::string(kKey) + " entries must map a lowercase DNS name to a hosted zone id, e.g. " + example +
                          " (got '" + host.substr(0, 80) + "')");
      continue;
    }
    if (host == c.mainHost()) continue;  // the primary's zone is hostedZoneId
    if (std::find(c.auth_callback_domains.begin(), c.auth_callback_domains.end(), host) == c.auth_callback_domains.end()) {
      p.problem(kKey, std::string(kKey) + " names " + host + ", which is not in authCallbackDomains: add it there too");
      continue;
    }
    c.auth_callback_hosted_zones[host] = zone;
  }
}
bool validSubnetId(const std::string& v) { return isAwsId(v, "subnet-"); }
bool validRouteTableId(const std::string& v) { return isAwsId(v, "rtb-"); }
bool validHostedZoneId(const std::string& v) {
  return v.size() >= 2 && v.size() <= 33 && v.front() == 'Z' &&
         std::all_of(v.begin(), v.end(), [](char c) { return isUpper(c) || isDigit(c); });
}
bool validDomainName(const std::string& v) { return isDnsName(v, 2); }
bool validSubDomain(const std::string& v) { return isDnsName(v, 1); }
bool validCallbackDomain(const std::string& v) { return isDnsName(v, 2); }
bool validRegion(const std::string& v) { return isRegion(v); }
bool validSiteName(const std::string& v) {
  return !v.empty() && v.size() <= 128 && !hasControlCharacters(v) && trim(v) == v;
}
// Cognito domain prefix openhands-{12-digit account}-{suffix}: at most 63 characters of
// [a-z0-9-], and Cognito refuses the words aws, amazon and cognito.
bool validPrefixSuffix(const std::string& v) {
  if (!isDnsLabel(v) || v.size() > 40) return false;
  return v.find("aws") == std::string::npos && v.find("amazon") == std::string::npos &&
         v.find("cognito") == std::string::npos;
}
// CloudFormation stack names: letters, digits, hyphens, at most 128 ("OpenHands-Edge-" is 15).
bool validStackSuffix(const std::string& v) {
  if (v.size() > 113) return false;
  if (v.empty()) return true;
  if (v.front() == '-' || v.back() == '-') return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return isLower(c) || isUpper(c) || isDigit(c) || c == '-'; });
}
// An http(s) URL with exactly one {port} and no other braces (OpenHands fills it with
// str.format(port=...), so any other field would fail there), in characters that mean nothing
// to the shell, systemd or Fn::Sub.
bool validSandboxUrlPattern(const std::string& v) {
  if (v.size() > 200 || !(v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0)) return false;
  const auto at = v.find("{port}");
  if (at == std::string::npos || v.find("{port}", at + 1) != std::string::npos) return false;
  std::string rest = v.substr(0, at) + v.substr(at + 6);
  return std::all_of(rest.begin(), rest.end(), [](char c) {
    return isLower(c) || isDigit(c) || c == '.' || c == '-' || c == ':' || c == '/' || c == '_';
  });
}
bool validCidr(const std::string& v) {
  const auto slash = v.find('/');
  if (slash == std::string::npos) return false;
  const auto octets = split(v.substr(0, slash), '.');
  if (octets.size() != 4) return false;
  for (const auto& octet : octets) {
    if (octet.empty() || octet.size() > 3 || !allOf(octet, isDigit) || std::stoi(octet) > 255) return false;
    if (octet.size() > 1 && octet.front() == '0') return false;
  }
  const std::string bits = v.substr(slash + 1);
  if (bits.empty() || bits.size() > 2 || !allOf(bits, isDigit)) return false;
  const int prefix = std::stoi(bits);
  return prefix >= 16 && prefix <= 28;  // what a VPC allows
}
bool validAvailabilityZone(const std::string& v) {
  // A region name followed by one letter: us-west-2a.
  return v.size() >= 2 && isLower(v.back()) && isRegion(v.substr(0, v.size() - 1));
}
// arm64 (Graviton) families only: the AMI and the gateway image are arm64 (m7g, c7gn, t4g, ...).
bool validInstanceType(const std::string& v) {
  const auto dot = v.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == v.size() || v.size() > 32) return false;
  const std::string family = v.substr(0, dot);
  const std::string size = v.substr(dot + 1);
  if (!std::all_of(size.begin(), size.end(), [](char c) { return isLower(c) || isDigit(c); })) return false;
  std::size_t i = 0;
  while (i < family.size() && isLower(family[i])) ++i;
  if (i == 0 || i == family.size() || !isDigit(family[i])) return false;
  while (i < family.size() && isDigit(family[i])) ++i;
  if (i == family.size() || family[i] != 'g') return false;
  return std::all_of(family.begin() + static_cast<std::ptrdiff_t>(i), family.end(),
                     [](char c) { return isLower(c) || isDigit(c) || c == '-'; });
}
bool validBedrockModel(const std::string& v) {
  return !v.empty() && v.size() <= 256 && std::all_of(v.begin(), v.end(), [](char c) {
    return isLower(c) || isUpper(c) || isDigit(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '/';
  });
}
// Only the pinned release: its agent-server image is a constant of that release (not derived
// from the version), and its remote sandbox contract is the one verified (docs/instance.md).
bool pinnedVersion(const std::string& v) { return v == openhands_release::kVersion; }

// The CDK's VPC lookup result (cdk.context.json), "vpc-provider:account=…:filter.vpc-id=VPC:
// region=REGION:…": both the subnet-group format and the older flat format.
void applyVpcLookup(const Raw& raw, AppContext& context, std::vector<ContextProblem>& problems) {
  for (const auto& [key, value] : raw) {
    if (key.rfind("vpc-provider:", 0) != 0) continue;
    const auto parts = split(key, ':');
    const bool same_vpc = std::find(parts.begin(), parts.end(), "filter.vpc-id=" + context.vpc_id) != parts.end();
    const bool other_region = std::any_of(parts.begin(), parts.end(), [&](const std::string& part) {
      return part.rfind("region=", 0) == 0 && part != "region=" + context.region;
    });
    if (!same_vpc || other_region) continue;
    boost::json::error_code ec;
    const auto document = boost::json::parse(value, ec);
    if (ec || !document.is_object()) {
      problems.push_back({key, "the VPC lookup " + key + " is not a JSON object; delete it from cdk.context.json"});
      return;
    }
    const auto& vpc = document.get_object();
    const auto strings = [](const boost::json::value* v) {
      std::vector<std::string> out;
      if (v != nullptr && v->is_array()) {
        for (const auto& e : v->get_array()) {
          if (e.is_string()) out.emplace_back(e.get_string());
        }
      }
      return out;
    };
    if (const auto* cidr = vpc.if_contains("vpcCidrBlock"); cidr != nullptr && cidr->is_string()) {
      context.vpc_cidr = std::string(cidr->get_string());
    }
    context.availability_zones = strings(vpc.if_contains("availabilityZones"));
    const std::vector<std::string> lookup_zones = context.availability_zones;
    std::vector<std::string> subnet_zones;
    if (const auto* groups = vpc.if_contains("subnetGroups"); groups != nullptr && groups->is_array()) {
      for (const auto& group : groups->get_array()) {
        if (!group.is_object()) continue;
        const auto* type = group.get_object().if_contains("type");
        const auto* subnets = group.get_object().if_contains("subnets");
        if (type == nullptr || !type->is_string() || subnets == nullptr || !subnets->is_array()) continue;
        const bool is_public = type->get_string() == "Public";
        for (const auto& subnet : subnets->get_array()) {
          if (!subnet.is_object()) continue;
          const auto& s = subnet.get_object();
          const auto* id = s.if_contains("subnetId");
          if (id == nullptr || !id->is_string()) continue;
          (is_public ? context.public_subnet_ids : context.private_subnet_ids).emplace_back(id->get_string());
          // The subnet-group format leaves availabilityZones empty: take them from the subnets.
          const auto* zone = s.if_contains("availabilityZone");
          if (zone != nullptr && zone->is_string() && lookup_zones.empty()) {
            subnet_zones.emplace_back(zone->get_string());
          }
          const auto* route_table = s.if_contains("routeTableId");
          if (!is_public && route_table != nullptr && route_table->is_string()) {
            context.private_route_table_ids.emplace_back(route_table->get_string());
          }
        }
      }
    } else {
      context.public_subnet_ids = strings(vpc.if_contains("publicSubnetIds"));
      context.private_subnet_ids = strings(vpc.if_contains("privateSubnetIds"));
      for (auto& id : strings(vpc.if_contains("isolatedSubnetIds"))) context.private_subnet_ids.push_back(id);
      context.private_route_table_ids = strings(vpc.if_contains("privateSubnetRouteTableIds"));
      for (auto& id : strings(vpc.if_contains("isolatedSubnetRouteTableIds"))) {
        context.private_route_table_ids.push_back(id);
      }
    }
    for (auto& zone : subnet_zones) {
      if (std::find(context.availability_zones.begin(), context.availability_zones.end(), zone) ==
          context.availability_zones.end()) {
        context.availability_zones.push_back(std::move(zone));
      }
    }
    std::sort(context.availability_zones.begin(), context.availability_zones.end());
    // What a lookup brings is checked like the keys themselves, and reported under its key.
    const std::string& lookup_key = key;  // clang 14 cannot capture a structured binding
    const auto check = [&](bool ok, const std::string& what) {
      if (!ok) problems.push_back({lookup_key, "the VPC lookup " + lookup_key + " has an invalid " + what +
                                            "; refresh it (cdk context --clear) or pass the VPC-shape keys"});
    };
    check(validCidr(context.vpc_cidr), "vpcCidrBlock");
    check(std::all_of(context.availability_zones.begin(), context.availability_zones.end(), validAvailabilityZone),
          "availability zone");
    check(std::all_of(context.public_subnet_ids.begin(), context.public_subnet_ids.end(), validSubnetId) &&
              std::all_of(context.private_subnet_ids.begin(), context.private_subnet_ids.end(), validSubnetId),
          "subnet id");
    check(std::all_of(context.private_route_table_ids.begin(), context.private_route_table_ids.end(),
                      validRouteTableId),
          "route table id");
    // Route tables are often shared between subnets.
    std::vector<std::string> unique;
    for (auto& id : context.private_route_table_ids) {
      if (std::find(unique.begin(), unique.end(), id) == unique.end()) unique.push_back(id);
    }
    context.private_route_table_ids = std::move(unique);
    return;
  }
}

}  // namespace

ContextResult parseAppContext(const std::map<std::string, std::string>& raw,
                              const std::optional<std::string>& environment_region) {
  std::vector<ContextProblem> problems;
  Parser p(raw, problems);
  AppContext c;

  p.required("vpcId", c.vpc_id, validVpcId, "vpc- followed by 8 to 17 hex digits", "vpc-0123456789abcdef0");
  p.required("hostedZoneId", c.hosted_zone_id, validHostedZoneId, "a Route 53 hosted zone id (Z and up to 32 "
             "uppercase letters or digits)", "Z0123456789ABCDEFGHIJ");
  p.required("domainName", c.domain_name, validDomainName, "a lowercase DNS name with at least two labels",
             "example.com");
  p.optional("subDomain", c.sub_domain, validSubDomain, "a lowercase DNS label (or labels)", "openhands");

  if (raw.count("region") != 0) {
    p.optional("region", c.region, validRegion, "an AWS region name", "us-west-2");
  } else if (environment_region && !environment_region->empty()) {
    if (validRegion(*environment_region)) {
      c.region = *environment_region;
    } else {
      p.problem("region", "CDK_DEFAULT_REGION must be an AWS region name such as us-west-2, or pass --context "
                          "region=us-west-2 (got '" + environment_region->substr(0, 80) + "')");
    }
  }

  p.optional("siteName", c.site_name, validSiteName, "1 to 128 printable characters", "\"Openhands on AWS\"");
  p.optional("authDomainPrefixSuffix", c.auth_domain_prefix_suffix, validPrefixSuffix,
             "up to 40 of a-z, 0-9 and '-', without aws, amazon or cognito", "shared");
  p.optional("edgeStackSuffix", c.edge_stack_suffix, validStackSuffix,
             "letters, digits and '-' (stack OpenHands-Edge-{suffix})", "Test");
  p.boolean("skipS3Endpoint", c.skip_s3_endpoint);

  // The VPC's shape: a CDK lookup in cdk.context.json first, then explicit keys win.
  if (!c.vpc_id.empty()) applyVpcLookup(raw, c, problems);
  p.optional("vpcCidr", c.vpc_cidr, validCidr, "an IPv4 CIDR block with a /16 to /28 prefix", "10.0.0.0/16");
  p.checkedList("availabilityZones", c.availability_zones, validAvailabilityZone, "availability zone names",
                "us-west-2a,us-west-2b");
  p.checkedList("privateSubnetIds", c.private_subnet_ids, validSubnetId, "subnet ids",
                "subnet-0123456789abcdef0,subnet-0123456789abcdef1");
  p.checkedList("publicSubnetIds", c.public_subnet_ids, validSubnetId, "subnet ids",
                "subnet-0123456789abcdef2,subnet-0123456789abcdef3");
  p.checkedList("privateRouteTableIds", c.private_route_table_ids, validRouteTableId, "route table ids",
                "rtb-0123456789abcdef0");

  p.optional("instanceType", c.instance_type, validInstanceType, "an arm64 (Graviton) EC2 instance type",
             "m7g.xlarge");
  p.optional("bedrockModel", c.bedrock_model, validBedrockModel, "a LiteLLM Bedrock model name",
             "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  p.optional("openhandsVersion", c.openhands_version, pinnedVersion,
             "the pinned OpenHands release (deploy/openhands-release.env)", std::string(openhands_release::kVersion));
  p.optional("sandboxUrlPattern", c.sandbox_url_pattern, validSandboxUrlPattern,
             "an http(s) URL with {port} once (lowercase, no other braces)",
             "https://{port}-sandbox.runtime.openhands.example.com");

  // Cross-key checks, once the keys themselves are valid.
  for (const auto& az : c.availability_zones) {
    if (az.rfind(c.region, 0) != 0 || az.size() != c.region.size() + 1) {
      p.problem("availabilityZones", "availabilityZones must be in region " + c.region + ", e.g. " + c.region +
                                         "a (got '" + az.substr(0, 80) + "')");
    }
  }
  for (const auto* key : {"privateSubnetIds", "publicSubnetIds"}) {
    const auto& ids = std::string(key) == "privateSubnetIds" ? c.private_subnet_ids : c.public_subnet_ids;
    if (!ids.empty() && ids.size() < 2) {
      p.problem(key, std::string(key) + " needs at least two subnets in different availability zones, e.g. "
                                        "--context " + key + "=subnet-0123456789abcdef0,subnet-0123456789abcdef1");
    }
  }
  if (!c.domain_name.empty() && !c.sub_domain.empty()) {
    // The longest name derived from these: *.runtime.{sub}.{domain} (certificate, alias).
    if (c.runtimeWildcard().size() > 253) {
      p.problem("subDomain", "subDomain.domainName is too long: *.runtime.{subDomain}.{domainName} must fit in "
                             "253 characters");
    }
  }
  {
    std::vector<std::string> callbacks;
    p.checkedList("authCallbackDomains", callbacks, validCallbackDomain, "lowercase DNS names",
                  "[\"openhands.example.com\",\"openhands-test.example.com\"]");
    if (raw.count("authCallbackDomains") != 0 && callbacks.empty() &&
        std::none_of(problems.begin(), problems.end(),
                     [](const ContextProblem& pr) { return pr.key == "authCallbackDomains"; })) {
      p.problem("authCallbackDomains", "authCallbackDomains must name at least one domain, e.g. --context "
                                       "authCallbackDomains=openhands.example.com");
    }
    // The main host is always a callback too (stacks/app.cpp): with it, still at most 50 domains.
    if (callbacks.size() == kMaxListEntries && !c.domain_name.empty() &&
        std::find(callbacks.begin(), callbacks.end(), c.mainHost()) == callbacks.end()) {
      p.problem("authCallbackDomains", "authCallbackDomains can hold at most 49 domains besides " + c.mainHost() +
                                           ", which is always one (Cognito allows 100 callback URLs, two per domain)");
    }
    // Default: the main name (only meaningful when domainName is valid; otherwise we fail anyway).
    c.auth_callback_domains = callbacks.empty() ? std::vector<std::string>{c.mainHost()} : callbacks;
  }
  parseCallbackHostedZones(c, p);

  if (!problems.empty()) return problems;
  return c;
}

}  // namespace oh::infra
