#include "stacks/app.h"

#include <algorithm>

#include "assembly/docker_asset.h"
#include "common/openhands_release.h"
#include "stacks/auth_stack.h"
#include "stacks/compute_stack.h"
#include "stacks/database_stack.h"
#include "stacks/edge_stack.h"
#include "stacks/monitoring_stack.h"
#include "stacks/names.h"
#include "stacks/network_stack.h"
#include "stacks/security_stack.h"

namespace oh::infra {

std::vector<StackSpec> buildApp(const AppContext& context) {
  return buildApp(context, gatewayImageAsset(context.project_root));
}

std::vector<StackSpec> buildApp(const AppContext& context, const DockerImageAsset& gateway_image) {
  using namespace stacks;
  std::vector<StackSpec> app;

  AuthStackProps auth;
  auth.main_region = context.region;
  // The main host always, then the extra domains (the reference README's "extra OAuth callback
  // domains"): the gateway signs people in on the main host whatever the list says.
  auth.callback_domains = {context.mainHost()};
  for (const auto& domain : context.auth_callback_domains) {
    if (std::find(auth.callback_domains.begin(), auth.callback_domains.end(), domain) == auth.callback_domains.end()) {
      auth.callback_domains.push_back(domain);
    }
  }
  auth.domain_prefix_suffix = context.auth_domain_prefix_suffix;
  auth.site_name = context.site_name;
  app.push_back(buildAuthStack(auth));

  NetworkStackProps network_props;
  network_props.region = context.region;
  network_props.vpc_id = context.vpc_id;
  network_props.vpc_cidr = context.vpc_cidr;
  network_props.private_subnet_ids = context.private_subnet_ids;
  network_props.public_subnet_ids = context.public_subnet_ids;
  network_props.private_route_table_ids = context.private_route_table_ids;
  network_props.skip_s3_endpoint = context.skip_s3_endpoint;
  NetworkStack network = buildNetworkStack(network_props);
  app.push_back(network.spec);

  MonitoringStackProps monitoring_props;
  monitoring_props.region = context.region;
  MonitoringStack monitoring = buildMonitoringStack(monitoring_props);
  app.push_back(monitoring.spec);

  SecurityStackProps security_props;
  security_props.region = context.region;
  security_props.vpc_cidr = context.vpc_cidr;
  security_props.network = network.refs;
  security_props.monitoring = monitoring.refs;
  security_props.gateway_port = names::kGatewayPort;
  security_props.bedrock_model = context.bedrock_model;
  SecurityStack security = buildSecurityStack(security_props);
  app.push_back(security.spec);

  DatabaseStackProps database_props;
  database_props.region = context.region;
  database_props.vpc_cidr = context.vpc_cidr;
  database_props.network = network.refs;
  database_props.security = security.refs;
  DatabaseStack database = buildDatabaseStack(database_props);
  app.push_back(database.spec);

  ComputeStackProps compute;
  compute.region = context.region;
  compute.main_host = context.mainHost();
  compute.origin_host = context.originHost();
  compute.hosted_zone_id = context.hosted_zone_id;
  compute.callback_hosts = auth.callback_domains;
  compute.extra_hosted_zones = context.auth_callback_hosted_zones;
  compute.vpc_cidr = context.vpc_cidr;
  compute.sandbox_url_pattern = context.sandboxUrlPattern();
  compute.instance_type = context.instance_type;
  compute.bedrock_model = context.bedrock_model;
  compute.openhands_version = context.openhands_version;
  // Not derived from the version: the release's own constant (deploy/openhands-release.env).
  compute.runtime_image = std::string(openhands_release::kAgentServerImage);
  compute.gateway_port = names::kGatewayPort;
  compute.network = network.refs;
  compute.monitoring = monitoring.refs;
  compute.security = security.refs;
  compute.database = database.refs;
  compute.gateway_image = gateway_image;
  app.push_back(buildComputeStack(compute));

  EdgeStackProps edge;
  edge.stack_name = context.edgeStackName();
  edge.main_host = context.mainHost();
  edge.runtime_wildcard = context.runtimeWildcard();
  edge.hosted_zone_id = context.hosted_zone_id;
  app.push_back(buildEdgeStack(edge));
  return app;
}

}  // namespace oh::infra
