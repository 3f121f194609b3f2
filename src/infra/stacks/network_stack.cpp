#include "stacks/network_stack.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "cfn/intrinsics.h"
#include "stacks/names.h"
#include "stacks/stack_common.h"

namespace oh::infra::stacks {
namespace json = boost::json;

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ",") + item;
  }
  return out;
}

// A list parameter whose default comes from the context when the context has it. Without a
// default, deploying asks for the value instead of guessing one.
void listParameter(cfn::Template& t, const std::string& id, const char* type, const std::vector<std::string>& values,
                   std::string description) {
  cfn::Parameter parameter{type, std::nullopt, std::move(description), {}, false};
  if (!values.empty()) {
    parameter.default_value = json::value(joined(values));
  }
  t.addParameter(id, std::move(parameter));
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

  listParameter(t, "PrivateSubnetIds", "List<AWS::EC2::Subnet::Id>", props.private_subnet_ids,
                "Private subnets of the VPC (at least two, in different AZs): context privateSubnetIds");
  listParameter(t, "PublicSubnetIds", "List<AWS::EC2::Subnet::Id>", props.public_subnet_ids,
                "Public subnets of the VPC for the internet-facing ALB: context publicSubnetIds");
  if (!props.skip_s3_endpoint) {
    listParameter(t, "PrivateRouteTableIds", "CommaDelimitedList", props.private_route_table_ids,
                  "Route tables of the private subnets, for the S3 gateway endpoint: context privateRouteTableIds");
  }

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
                   {"SubnetIds", cfn::ref("PrivateSubnetIds")},
                   {"SecurityGroupIds", json::array{cfn::ref("EndpointSecurityGroup")}}});
  }
  if (!props.skip_s3_endpoint) {
    t.addResource("S3GatewayEndpoint", "AWS::EC2::VPCEndpoint",
                  {{"ServiceName", cfn::sub("com.amazonaws.${AWS::Region}.s3")},
                   {"VpcEndpointType", "Gateway"},
                   {"VpcId", props.vpc_id},
                   {"RouteTableIds", cfn::ref("PrivateRouteTableIds")}});
  }

  out.refs.vpc_id = exportValue(spec, "VpcId", json::value(props.vpc_id), "The VPC");
  out.refs.private_subnet_ids =
      cfn::split(",", exportValue(spec, "PrivateSubnetIds", cfn::joinList(",", cfn::ref("PrivateSubnetIds")),
                                  "Private subnets, comma-separated"));
  out.refs.public_subnet_ids =
      cfn::split(",", exportValue(spec, "PublicSubnetIds", cfn::joinList(",", cfn::ref("PublicSubnetIds")),
                                  "Public subnets, comma-separated"));
  exportValue(spec, "EndpointSecurityGroupId", cfn::ref("EndpointSecurityGroup"), "Security group of the VPC endpoints");
  out.refs.private_subnet_count = props.private_subnet_ids.empty() ? 2 : props.private_subnet_ids.size();
  return out;
}

}  // namespace oh::infra::stacks
