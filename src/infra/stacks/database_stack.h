#pragma once
// OpenHands-Database (main region): Aurora PostgreSQL Serverless v2 behind an RDS Proxy that
// requires TLS; the admin credentials live only in Secrets Manager.

#include <string>

#include <boost/json/value.hpp>

#include "stacks/network_stack.h"
#include "stacks/security_stack.h"
#include "stacks/stack_spec.h"

namespace oh::infra::stacks {

struct DatabaseStackProps {
  std::string region;
  std::string vpc_cidr;  // the proxy reaches Secrets Manager through the VPC endpoint
  NetworkRefs network;
  SecurityRefs security;
  // Aurora PostgreSQL 15 at 15.8 or newer (the reference README runs 15.8). @default "15.10"
  std::string engine_version = "15.10";
  double min_capacity_acu = 0.5;  // @default 0.5
  double max_capacity_acu = 4;    // @default 4
  int backup_retention_days = 35;  // @default 35
};

struct DatabaseRefs {
  boost::json::value proxy_endpoint;
  boost::json::value admin_secret_arn;
  boost::json::value app_secret_arn;  // openhands/app-db: {"username":"openhands_app","password":...}
};

struct DatabaseStack {
  StackSpec spec;
  DatabaseRefs refs;
};

DatabaseStack buildDatabaseStack(const DatabaseStackProps& props);

}  // namespace oh::infra::stacks
