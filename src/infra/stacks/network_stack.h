#pragma once
// OpenHands-Network (main region): the existing VPC, its subnets as typed parameters, and the
// VPC endpoints the instance uses instead of the internet for AWS APIs.

#include <cstddef>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "stacks/stack_spec.h"

namespace oh::infra::stacks {

struct NetworkStackProps {
  std::string region;
  std::string vpc_id;    // vpc-0123456789abcdef0
  std::string vpc_cidr;  // 10.0.0.0/16; the endpoint security group admits 443 from it
  // Written into the template as given. When one is empty, a template parameter without a
  // default takes its place: synth and ls still work, and `cdk deploy` asks for the value.
  std::vector<std::string> private_subnet_ids;
  std::vector<std::string> public_subnet_ids;
  std::vector<std::string> private_route_table_ids;
  // The account already routes S3 through a gateway endpoint of its own. @default false
  bool skip_s3_endpoint = false;
};

// What the other main-region stacks receive (Fn::ImportValue expressions).
struct NetworkRefs {
  boost::json::value vpc_id;
  boost::json::value private_subnet_ids;  // a list (Fn::Split of the exported, joined list)
  boost::json::value public_subnet_ids;   // a list
  // How many private subnets there are: one EFS mount target each. The context's count, else 2
  // (the reference README requires at least two private subnets in different AZs).
  std::size_t private_subnet_count = 2;
};

struct NetworkStack {
  StackSpec spec;
  NetworkRefs refs;
};

// The interface endpoints, in template order.
const std::vector<const char*>& interfaceEndpointServices();

NetworkStack buildNetworkStack(const NetworkStackProps& props);

}  // namespace oh::infra::stacks
