#include "stacks/network_stack.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "cfn/intrinsics.h"
#include "stacks/names.h"
#include "stacks/stack_common.h"

namespace oh::infra::stacks {
namespace json = boost::json;

namespace {

// The VPC's lists as the context gives them; when the context lacks one, a template parameter
// without a default takes its place, so `cdk synth`/`ls` work and `cdk deploy` asks for the
// value instead of guessing one. (Literals rather than parameter defaults: a list parameter's
// default is not split by moto, and a literal keeps the template self-describing.)
json::value listOrParameter(cfn::Template& t, const std::string& id, const char* type,
                            const std::vector<std::string>& values, std::string description) {
  if (!values.empty()) {
    json::array list;
    for (const auto& value : values) {
      list.emplace_back(json::string(value));
    }
    return list;
  }
  t.addParameter(id, cfn::Parameter{type, std::nullopt, std::move(description), {}, false});
  return cfn::ref(id);
}

// "bedrock-runtime" -> "BedrockRuntimeEndpoint"
std::string endpointLogicalId(const std::string& service) {
  std::string id;
  bool upper = true;
  for (const char c : service) {
    if (c == '-' || c == '.') {
      upper = true;
      continue;
    }
    id.push_back(upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    upper = false;
  }
  return id + "Endpoint";
}

}  // namespace

const std::vector<const char*>& interfaceEndpointServices() {
  static const std::vector<const char*> services = {
      "bedrock-runtime", "secretsmanager", "ecr.api", "ecr.dkr", "logs", "ssm", "ssmmessages", "ec2messages"};
  return services;
}

NetworkStack buildNetworkStack(const NetworkStackProps& props) {
  NetworkStack out{newStack(names::kNetworkStack, props.region,
                            "OpenHands network: the existing VPC and its VPC endpoints", {}),
                   {}};
  auto& spec = out.spec;
  auto& t = spec.template_;

  const json::value private_subnets =
      listOrParameter(t, "PrivateSubnetIds", "List<AWS::EC2::Subnet::Id>", props.private_subnet_ids,
                      "Private subnets of the VPC (at least two, in different AZs); or context privateSubnetIds");
  const json::value public_subnets =
      listOrParameter(t, "PublicSubnetIds", "List<AWS::EC2::Subnet::Id>", props.public_subnet_ids,
                      "Public subnets of the VPC for the internet-facing ALB; or context publicSubnetIds");

  t.addResource("EndpointSecurityGroup", "AWS::EC2::SecurityGroup",
                {{"GroupDescription", "OpenHands VPC interface endpoints: HTTPS from the VPC"},
                 {"VpcId", props.vpc_id},
                 {"SecurityGroupIngress",
                  json::array{json::object{{"IpProtocol", "tcp"},
                                           {"FromPort", 443},
                                           {"ToPort", 443},
                                           {"CidrIp", props.vpc_cidr},
                                           {"Description", "HTTPS from the VPC"}}}},
                 // Endpoints only answer; they never open connections.
                 {"SecurityGroupEgress",
                  json::array{json::object{{"IpProtocol", "icmp"},
                                           {"FromPort", 252},
                                           {"ToPort", 86},
                                           {"CidrIp", "255.255.255.255/32"},
                                           {"Description", "Disallow all traffic"}}}},
                 {"Tags", tagList({{"Name", "openhands-endpoints"}})}});

  for (const std::string service : interfaceEndpointServices()) {
    t.addResource(endpointLogicalId(service), "AWS::EC2::VPCEndpoint",
                  {{"ServiceName", cfn::sub("com.amazonaws.${AWS::Region}." + service)},
                   {"VpcEndpointType", "Interface"},
                   {"VpcId", props.vpc_id},
                   {"PrivateDnsEnabled", true},
                   {"SubnetIds", private_subnets},
                   {"SecurityGroupIds", json::array{cfn::ref("EndpointSecurityGroup")}}});
  }
  if (!props.skip_s3_endpoint) {
    const json::value route_tables =
        listOrParameter(t, "PrivateRouteTableIds", "CommaDelimitedList", props.private_route_table_ids,
                        "Route tables of the private subnets, for the S3 gateway endpoint; or context privateRouteTableIds");
    t.addResource("S3GatewayEndpoint", "AWS::EC2::VPCEndpoint",
                  {{"ServiceName", cfn::sub("com.amazonaws.${AWS::Region}.s3")},
                   {"VpcEndpointType", "Gateway"},
                   {"VpcId", props.vpc_id},
                   {"RouteTableIds", route_tables}});
  }

  out.refs.vpc_id = exportValue(spec, "VpcId", json::value(props.vpc_id), "The VPC");
  out.refs.private_subnet_ids =
      cfn::split(",", exportValue(spec, "PrivateSubnetIds", cfn::joinList(",", private_subnets),
                                  "Private subnets, comma-separated"));
  out.refs.public_subnet_ids =
      cfn::split(",", exportValue(spec, "PublicSubnetIds", cfn::joinList(",", public_subnets),
                                  "Public subnets, comma-separated"));
  exportValue(spec, "EndpointSecurityGroupId", cfn::ref("EndpointSecurityGroup"), "Security group of the VPC endpoints");
  out.refs.private_subnet_count = props.private_subnet_ids.empty() ? 2 : props.private_subnet_ids.size();
  return out;
}

}  // namespace oh::infra::stacks
