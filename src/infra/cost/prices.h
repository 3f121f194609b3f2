#pragma once
// The AWS list prices `oh-infra cost` uses: us-east-1, on-demand, USD, as published on the AWS
// pricing pages in November 2025 (kPricesDate). Other regions differ by a few percent; the
// estimate says so. Update the table and the date together.

#include <array>
#include <string_view>

namespace oh::infra::prices {

inline constexpr std::string_view kPricesDate = "2025-11 (us-east-1 on-demand list prices)";
inline constexpr double kHoursPerMonth = 730.0;

struct InstancePrice {
  std::string_view type;
  double per_hour;
};
// Graviton general purpose (the reference design's family) and a few neighbours.
inline constexpr std::array<InstancePrice, 15> kInstances{{
    {"m7g.medium", 0.0408}, {"m7g.large", 0.0816},   {"m7g.xlarge", 0.1632},  {"m7g.2xlarge", 0.3264},
    {"m7g.4xlarge", 0.6528}, {"m7g.8xlarge", 1.3056}, {"m7g.12xlarge", 1.9584}, {"m7g.16xlarge", 2.6112},
    {"m8g.large", 0.08976}, {"m8g.xlarge", 0.17952}, {"m8g.2xlarge", 0.35904}, {"c7g.xlarge", 0.145},
    {"r7g.xlarge", 0.2142},  {"t4g.large", 0.0672},   {"t4g.xlarge", 0.1344},
}};

inline constexpr double kEbsGp3PerGbMonth = 0.08;
inline constexpr double kAuroraServerlessV2PerAcuHour = 0.12;
inline constexpr double kAuroraStoragePerGbMonth = 0.10;
inline constexpr double kRdsProxyPerAcuHour = 0.015;    // Aurora Serverless v2 targets
inline constexpr double kRdsProxyMinimumAcus = 8.0;     // billed minimum for Serverless v2
inline constexpr double kS3StandardPerGbMonth = 0.023;
inline constexpr double kNatGatewayPerGb = 0.045;       // processing on the VPC's existing NAT
inline constexpr double kCloudFrontPerGbFirst10Tb = 0.085;
inline constexpr double kAlbPerHour = 0.0225;
inline constexpr double kAlbPerLcuHour = 0.008;
inline constexpr double kInterfaceEndpointPerAzHour = 0.01;
inline constexpr double kInterfaceEndpointPerGb = 0.01;
inline constexpr double kCloudWatchLogsIngestPerGb = 0.50;
inline constexpr double kCloudWatchAlarm = 0.10;
inline constexpr double kCloudWatchDashboard = 3.00;
inline constexpr double kRoute53HostedZone = 0.50;
inline constexpr double kRoute53PerMillionQueries = 0.40;
inline constexpr double kWafWebAcl = 5.00;
inline constexpr double kWafRule = 1.00;
inline constexpr double kWafPerMillionRequests = 0.60;
inline constexpr double kSecretsManagerPerSecret = 0.40;  // a replica is billed as a secret
inline constexpr double kEfsStandardPerGbMonth = 0.30;
inline constexpr double kBackupEfsWarmPerGbMonth = 0.05;

struct ModelPrice {
  std::string_view match;  // substring of the model id
  std::string_view name;
  double input_per_million;
  double output_per_million;
};
inline constexpr std::array<ModelPrice, 3> kModels{{
    {"claude-opus-4-5", "Claude Opus 4.5", 5.0, 25.0},
    {"claude-sonnet-4-5", "Claude Sonnet 4.5", 3.0, 15.0},
    {"claude-haiku-4-5", "Claude Haiku 4.5", 1.0, 5.0},
}};

}  // namespace oh::infra::prices
