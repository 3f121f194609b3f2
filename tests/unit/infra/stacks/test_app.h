#pragma once
// Named contexts and a fixed gateway image for the stack tests, so templates never depend on
// the work tree's files (the real buildApp hashes the Docker build context).

#include <stdexcept>
#include <string>
#include <vector>

#include "context/app_context.h"
#include "stacks/app.h"

namespace oh::infra::testing {

// The reference README's example deployment, main region us-west-2, with the VPC's shape given.
inline AppContext exampleContext() {
  AppContext c;
  c.vpc_id = "vpc-0123456789abcdef0";
  c.hosted_zone_id = "Z0123456789ABCDEFGHIJ";
  c.domain_name = "example.com";
  c.region = "us-west-2";
  c.vpc_cidr = "10.20.0.0/16";
  c.availability_zones = {"us-west-2a", "us-west-2b"};
  c.private_subnet_ids = {"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"};
  c.public_subnet_ids = {"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"};
  c.private_route_table_ids = {"rtb-0ccccccccccccccc1", "rtb-0ccccccccccccccc2"};
  return c;
}

// Only the three required keys: what `cdk ls` sees on a first run.
inline AppContext minimalContext() {
  AppContext c;
  c.vpc_id = "vpc-0123456789abcdef0";
  c.hosted_zone_id = "Z0123456789ABCDEFGHIJ";
  c.domain_name = "example.com";
  return c;
}

inline DockerImageAsset fixedGatewayImage() {
  DockerImageAsset asset;
  asset.source_hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  asset.directory = "/project";
  asset.dockerfile = "deploy/gateway.Dockerfile";
  return asset;
}

inline std::vector<StackSpec> testApp(const AppContext& context = exampleContext()) {
  return buildApp(context, fixedGatewayImage());
}

inline const StackSpec& stackNamed(const std::vector<StackSpec>& app, const std::string& name) {
  for (const auto& stack : app) {
    if (stack.name == name) {
      return stack;
    }
  }
  throw std::out_of_range("no stack " + name);
}

}  // namespace oh::infra::testing
