#pragma once
// OpenHands-Edge[-suffix] (us-east-1, one per domain): the viewer certificate, WAF, the
// CloudFront distribution in front of the shared origin (origin.{sub}.{primary domain}), and
// the Route 53 aliases. The origin's name and header come from secrets Compute replicates to
// us-east-1, read by name, so there is no cross-region reference to the Compute stack.

#include <string>

#include "stacks/stack_spec.h"

namespace oh::infra::stacks {

struct EdgeStackProps {
  std::string stack_name;      // OpenHands-Edge or OpenHands-Edge-{suffix}
  std::string main_host;       // openhands.example.com
  std::string runtime_wildcard;  // *.runtime.openhands.example.com
  std::string hosted_zone_id;
  // WAF rate limit per client IP per 5 minutes. @default 50000
  int rate_limit_per_5_minutes = 50000;
  // Days the WAF's logs (blocked and counted requests) are kept. @default 90
  int waf_log_retention_days = 90;
  // Blocked requests in 5 minutes above which the edge alarm fires. @default 500
  int waf_blocked_alarm_threshold = 500;
};

StackSpec buildEdgeStack(const EdgeStackProps& props);

// "openhands-cors-openhands-example-com": CloudFront policy names are account-wide, so each
// Edge stack's name carries its domain. Letters, digits, '-' and '_' only; at most 128.
std::string responseHeadersPolicyName(const std::string& main_host);
// "openhands-origin-openhands-example-com", likewise.
std::string originRequestPolicyName(const std::string& main_host);
// "openhands-openhands-example-com": the web ACL's name (its metrics' WebACL dimension) and,
// prefixed with "aws-waf-logs-" as WAF requires, its log group's.
std::string webAclName(const std::string& main_host);

}  // namespace oh::infra::stacks
