#pragma once
// What the synthesized templates create that is billed per item, counted from the templates
// themselves so `oh-infra cost` cannot drift from them: every resource type of the app must
// have a billing rule here (counted, priced by usage in a cost line, or free), and a type
// without one is reported (the cost test fails on it).

#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace oh::infra {

struct BilledResources {
  int secrets = 0;              // Secrets Manager secrets, each replica region counted as one more
  int alarms = 0;               // CloudWatch alarms
  int dashboards = 0;           // CloudWatch dashboards
  int interface_endpoints = 0;  // interface VPC endpoints (billed per AZ; the AZs come from the context)
  int gateway_endpoints = 0;    // S3 gateway endpoints (free)
  int web_acls = 0;             // WAF web ACLs
  int waf_rules = 0;            // rules in them (a managed rule group is one rule)
  int load_balancers = 0;
  int distributions = 0;
  int origin_certificates = 0;  // public ACM certificates (free)
  std::vector<std::string> unclassified;  // resource types without a billing rule
};

// How a resource type is billed, for the table below and its test.
enum class Billing {
  counted,  // per item per month: a BilledResources field
  usage,    // by usage (hours, GB, requests, ACU): a cost line's assumption
  free,     // no charge of its own
};

// The billing rule of a CloudFormation resource type; nullptr for an unknown type.
const Billing* billingOf(const std::string& type);

BilledResources countBilledResources(const std::vector<boost::json::object>& templates);

}  // namespace oh::infra
