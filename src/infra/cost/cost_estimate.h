#pragma once
// `oh-infra cost`: the reference README's monthly cost table, computed from the deployment's
// context (instance type, number of availability zones), what the synthesized templates create
// that is billed per item (billed_resources.h: secrets and replicas, alarms, endpoints, web ACLs
// and rules, ...), and the price table in prices.h, with every usage assumption spelled out.

#include <string>
#include <vector>

#include "context/app_context.h"
#include "cost/billed_resources.h"

namespace oh::infra {

struct CostLine {
  std::string component;
  double low_usd = 0;   // per month
  double high_usd = 0;  // equal to low_usd when the line is not a range
  std::string assumption;
  bool in_reference_table = true;  // false for items the reference README leaves out
};

struct CostEstimate {
  std::vector<CostLine> base;  // infrastructure, always on
  CostLine bedrock;            // the README's usage example: 10M input + 2M output tokens
  std::string prices_date;
  std::vector<std::string> notes;
  double baseLow() const;
  double baseHigh() const;
};

// Usage the estimate assumes where the configuration does not say.
struct CostAssumptions {
  double ebs_gb = 300;              // the reference table's gp3 volume
  double aurora_min_acu = 0.5;      // the cluster's scaling range
  double aurora_max_acu = 4;
  double aurora_storage_gb = 10;
  double s3_gb_low = 20, s3_gb_high = 200;
  double nat_gb_low = 0, nat_gb_high = 750;
  double cloudfront_gb = 1000;      // 1 TB out
  double alb_lcu = 1;
  double endpoint_gb = 50;
  double log_gb = 5;
  double route53_million_queries = 1;
  double waf_million_requests = 10;
  double efs_gb = 50;
  double bedrock_million_input = 10, bedrock_million_output = 2;
};

// `billed` is countBilledResources over the app's templates for this context.
CostEstimate estimateMonthlyCost(const AppContext& context, const BilledResources& billed,
                                 const CostAssumptions& assumptions = {});

// A plain-text table (Component | Monthly USD | Assumption) with totals and notes.
std::string renderCostTable(const CostEstimate& estimate);

}  // namespace oh::infra
