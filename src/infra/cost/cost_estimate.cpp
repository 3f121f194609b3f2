#include "cost/cost_estimate.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "cost/prices.h"

namespace oh::infra {
namespace {

std::string money(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  return buffer;
}

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

CostLine line(std::string component, double low, double high, std::string assumption, bool in_reference = true) {
  return CostLine{std::move(component), low, high, std::move(assumption), in_reference};
}

}  // namespace

double CostEstimate::baseLow() const {
  double sum = 0;
  for (const auto& l : base) sum += l.low_usd;
  return sum;
}

double CostEstimate::baseHigh() const {
  double sum = 0;
  for (const auto& l : base) sum += l.high_usd;
  return sum;
}

CostEstimate estimateMonthlyCost(const AppContext& context, const BilledResources& billed, const CostAssumptions& a) {
  using namespace prices;
  CostEstimate e;
  e.prices_date = std::string(kPricesDate);
  const double h = kHoursPerMonth;

  const auto instance = std::find_if(kInstances.begin(), kInstances.end(),
                                     [&](const InstancePrice& p) { return p.type == context.instance_type; });
  if (instance != kInstances.end()) {
    const double cost = instance->per_hour * h;
    e.base.push_back(line("EC2 " + context.instance_type, cost, cost,
                          number(h) + " h (24/7, one instance) x $" + number(instance->per_hour) + "/h"));
  } else {
    e.base.push_back(line("EC2 " + context.instance_type, 0, 0,
                          "no price for this type in the table: add its hourly price x " + number(h) + " h"));
    e.notes.push_back("instance type " + context.instance_type + " is not in the price table; its line is $0");
  }

  const double ebs = a.ebs_gb * kEbsGp3PerGbMonth;
  e.base.push_back(line("EBS gp3", ebs, ebs, number(a.ebs_gb) + " GB x $" + number(kEbsGp3PerGbMonth) + "/GB-month"));

  const double aurora_low = a.aurora_min_acu * h * kAuroraServerlessV2PerAcuHour + a.aurora_storage_gb * kAuroraStoragePerGbMonth;
  const double aurora_high = a.aurora_max_acu * h * kAuroraServerlessV2PerAcuHour + a.aurora_storage_gb * kAuroraStoragePerGbMonth;
  e.base.push_back(line("Aurora Serverless v2", aurora_low, aurora_high,
                        number(a.aurora_min_acu) + "-" + number(a.aurora_max_acu) + " ACU x " + number(h) + " h x $" +
                            number(kAuroraServerlessV2PerAcuHour) + "/ACU-h, + " + number(a.aurora_storage_gb) +
                            " GB storage"));

  const double proxy = kRdsProxyMinimumAcus * kRdsProxyPerAcuHour * h;
  e.base.push_back(line("RDS Proxy", proxy, proxy,
                        number(h) + " h x minimum " + number(kRdsProxyMinimumAcus) + " ACU x $" +
                            number(kRdsProxyPerAcuHour) + "/ACU-h (Serverless v2 target)"));

  e.base.push_back(line("S3 data bucket", a.s3_gb_low * kS3StandardPerGbMonth, a.s3_gb_high * kS3StandardPerGbMonth,
                        number(a.s3_gb_low) + "-" + number(a.s3_gb_high) + " GB standard (requests not counted)"));

  e.base.push_back(line("NAT Gateway (existing)", a.nat_gb_low * kNatGatewayPerGb, a.nat_gb_high * kNatGatewayPerGb,
                        number(a.nat_gb_low) + "-" + number(a.nat_gb_high) + " GB processed x $" +
                            number(kNatGatewayPerGb) + "/GB; the gateway's hours belong to the existing VPC"));

  const double cloudfront = a.cloudfront_gb * kCloudFrontPerGbFirst10Tb;
  e.base.push_back(line("CloudFront", cloudfront, cloudfront,
                        number(a.cloudfront_gb) + " GB (1 TB) out x $" + number(kCloudFrontPerGbFirst10Tb) + "/GB"));

  const double albs = billed.load_balancers;
  const double alb = albs * (h * kAlbPerHour + a.alb_lcu * h * kAlbPerLcuHour);
  e.base.push_back(line("ALB", alb, alb,
                        number(albs) + " x (" + number(h) + " h x $" + number(kAlbPerHour) + "/h + " + number(a.alb_lcu) +
                            " LCU x $" + number(kAlbPerLcuHour) + "/LCU-h)"));

  // Interface endpoints are billed per AZ; the S3 gateway endpoint is free.
  const std::size_t azs = !context.private_subnet_ids.empty()   ? context.private_subnet_ids.size()
                          : !context.availability_zones.empty() ? context.availability_zones.size()
                                                                : 2U;
  const int interface_endpoints = billed.interface_endpoints;
  const double endpoints = interface_endpoints * static_cast<double>(azs) * h * kInterfaceEndpointPerAzHour +
                           a.endpoint_gb * kInterfaceEndpointPerGb;
  e.base.push_back(line("VPC endpoints (" + std::to_string(interface_endpoints) + " interface" +
                            (billed.gateway_endpoints == 0 ? "" : " + S3 gateway") + ")",
                        endpoints, endpoints,
                        std::to_string(interface_endpoints) + " endpoints x " + std::to_string(azs) + " AZ x " +
                            number(h) + " h x $" + number(kInterfaceEndpointPerAzHour) + " + " +
                            number(a.endpoint_gb) + " GB; S3 gateway endpoint " +
                            (billed.gateway_endpoints == 0 ? "skipped (skipS3Endpoint)" : "free")));

  const double cloudwatch = a.log_gb * kCloudWatchLogsIngestPerGb + billed.alarms * kCloudWatchAlarm +
                            billed.dashboards * kCloudWatchDashboard;
  e.base.push_back(line("CloudWatch", cloudwatch, cloudwatch,
                        number(a.log_gb) + " GB logs ingested (application, WAF), " + std::to_string(billed.alarms) +
                            " alarms, " + std::to_string(billed.dashboards) + " dashboard"));

  // The zones exist before the deployment (the primary's and each authCallbackHostedZones one).
  const double zones = 1.0 + static_cast<double>(context.auth_callback_hosted_zones.size());
  const double route53 = zones * kRoute53HostedZone + a.route53_million_queries * kRoute53PerMillionQueries;
  e.base.push_back(line("Route 53", route53, route53,
                        number(zones) + " existing hosted zone(s) + " + number(a.route53_million_queries) +
                            "M queries (alias queries to AWS resources are free)"));

  const double waf = billed.web_acls * kWafWebAcl + billed.waf_rules * kWafRule +
                     a.waf_million_requests * kWafPerMillionRequests;
  e.base.push_back(line("WAF", waf, waf,
                        std::to_string(billed.web_acls) + " web ACL, " + std::to_string(billed.waf_rules) + " rules, " +
                            number(a.waf_million_requests) + "M requests",
                        false));
  const double secrets = billed.secrets * kSecretsManagerPerSecret;
  e.base.push_back(line("Secrets Manager", secrets, secrets,
                        std::to_string(billed.secrets) + " secrets, each replica counted as a secret", false));
  const double efs = a.efs_gb * (kEfsStandardPerGbMonth + kBackupEfsWarmPerGbMonth);
  e.base.push_back(line("EFS + AWS Backup", efs, efs,
                        number(a.efs_gb) + " GB workspaces (standard) and their backups", false));

  const prices::ModelPrice* model = nullptr;
  for (const auto& m : kModels) {
    if (context.bedrock_model.find(m.match) != std::string::npos) model = &m;
  }
  std::string model_note;
  if (model == nullptr) {
    model = &kModels[1];
    model_note = " (model " + context.bedrock_model + " not in the table: Sonnet 4.5 prices used)";
  }
  const double bedrock =
      a.bedrock_million_input * model->input_per_million + a.bedrock_million_output * model->output_per_million;
  e.bedrock = line("Bedrock " + std::string(model->name), bedrock, bedrock,
                   number(a.bedrock_million_input) + "M input x $" + number(model->input_per_million) + " + " +
                       number(a.bedrock_million_output) + "M output x $" + number(model->output_per_million) +
                       " per 1M tokens" + model_note);

  e.notes.push_back("Prices: " + e.prices_date + "; region " + context.region +
                    (context.region == "us-east-1" ? "" : " is priced a few percent differently"));
  e.notes.push_back("Aurora and S3/NAT are ranges: the low end is an idle deployment, the high end a busy one");
  e.notes.push_back("RDS Proxy bills Aurora Serverless v2 targets at a minimum of 8 ACU, more than the reference "
                    "README's ~$18");
  e.notes.push_back("Lines marked * are not in the reference README's table");
  e.notes.push_back("Counted from this synthesis's templates: one Edge stack; each further domain's Edge stack adds a "
                    "web ACL with its rules, an alarm and its requests");
  for (const auto& type : billed.unclassified) {
    e.notes.push_back("resource type " + type + " has no billing rule (src/infra/cost/billed_resources.cpp): not counted");
  }
  return e;
}

std::string renderCostTable(const CostEstimate& estimate) {
  std::size_t width = 9;
  for (const auto& l : estimate.base) width = std::max(width, l.component.size() + 2);
  width = std::max(width, estimate.bedrock.component.size() + 2);
  const auto pad = [](std::string text, std::size_t size) {
    if (text.size() < size) text.append(size - text.size(), ' ');
    return text;
  };
  const auto amount = [](const CostLine& l) {
    return l.low_usd == l.high_usd ? "$" + money(l.low_usd) : "$" + money(l.low_usd) + "-" + money(l.high_usd);
  };
  std::string out;
  out += pad("Component", width) + "  " + pad("Monthly USD", 18) + "  Assumption\n";
  out += std::string(width, '-') + "  " + std::string(18, '-') + "  " + std::string(40, '-') + "\n";
  for (const auto& l : estimate.base) {
    out += pad(l.component + (l.in_reference_table ? "" : " *"), width) + "  " + pad(amount(l), 18) + "  " +
           l.assumption + "\n";
  }
  out += std::string(width, '-') + "  " + std::string(18, '-') + "\n";
  out += pad("Base infrastructure", width) + "  $" + money(estimate.baseLow()) + "-" + money(estimate.baseHigh()) + "\n";
  out += "\nBedrock usage (example)\n";
  out += pad(estimate.bedrock.component, width) + "  " + pad(amount(estimate.bedrock), 18) + "  " +
         estimate.bedrock.assumption + "\n";
  out += pad("Total with example", width) + "  $" + money(estimate.baseLow() + estimate.bedrock.low_usd) + "-" +
         money(estimate.baseHigh() + estimate.bedrock.high_usd) + "\n\n";
  for (const auto& note : estimate.notes) out += "Note: " + note + "\n";
  return out;
}

}  // namespace oh::infra
