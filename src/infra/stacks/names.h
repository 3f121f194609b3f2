#pragma once
// Fixed names shared by the stacks, the instance bootstrap and the gateway. They are the only
// values that cross regions (with Secrets Manager replicas and Route 53 names), so they must
// never be derived from anything that differs between stacks.

namespace oh::infra::names {

inline constexpr const char* kProject = "OpenHands";

inline constexpr const char* kAuthStack = "OpenHands-Auth";
inline constexpr const char* kNetworkStack = "OpenHands-Network";
inline constexpr const char* kMonitoringStack = "OpenHands-Monitoring";
inline constexpr const char* kSecurityStack = "OpenHands-Security";
inline constexpr const char* kDatabaseStack = "OpenHands-Database";
inline constexpr const char* kComputeStack = "OpenHands-Compute";

// Auth and Edge live here (Cognito managed login branding, CloudFront certificates and WAF).
inline constexpr const char* kEdgeRegion = "us-east-1";

// Secrets Manager secret names. Auth's secret is replicated to the main region and Compute's
// origin secret to us-east-1, so each is readable by name in both regions without a lookup.
inline constexpr const char* kAuthSettingsSecret = "openhands/auth-settings";
inline constexpr const char* kOriginVerifySecret = "openhands/origin-verify";
// Where CloudFront finds the origin: {"originHost": "origin.{sub}.{domain}"} of the deployment's
// primary domain, so an Edge stack for another domain (deployed with that domain's context)
// still reaches the one shared ALB.
inline constexpr const char* kOriginHostSecret = "openhands/origin-host";
inline constexpr const char* kSessionKeySecret = "openhands/session-key";
inline constexpr const char* kDbAdminSecret = "openhands/db-admin";
// The application role (openhands_app) OpenHands signs in as: RDS Proxy admits only users whose
// secret is in its Auth list, and the instance sets the role's password from the same secret.
inline constexpr const char* kAppDbSecret = "openhands/app-db";
inline constexpr const char* kAppDbRole = "openhands_app";
inline constexpr const char* kSecretPrefix = "openhands/";

// SSM parameters the instance reads at boot (and Watchtower-style updates compare against).
inline constexpr const char* kOpenHandsVersionParameter = "/openhands/version/openhands";
inline constexpr const char* kRuntimeImageParameter = "/openhands/version/runtime-image";
// Every main host ({sub}.{domain} per domain, the primary first), comma-separated: the gateway's
// callback hosts and runtime suffixes, read at boot (fifty domains would not fit the user data).
inline constexpr const char* kMainHostsParameter = "/openhands/config/main-hosts";
inline constexpr const char* kParameterPrefix = "/openhands/";

inline constexpr const char* kLogGroup = "/openhands/application";
inline constexpr const char* kOriginHeader = "X-Origin-Verify";

// The gateway: its port on the instance and its readiness path for the ALB health check.
inline constexpr int kGatewayPort = 8080;
inline constexpr const char* kGatewayReadinessPath = "/_gateway/ready";

// Amazon Linux 2023 for arm64, resolved by CloudFormation from the public SSM parameter.
inline constexpr const char* kAl2023Arm64AmiParameter =
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";

}  // namespace oh::infra::names
