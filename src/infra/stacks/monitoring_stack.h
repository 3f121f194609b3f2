#pragma once
// OpenHands-Monitoring (main region): the application log group, the alert topic, the S3 data
// bucket, a dashboard and the AWS Backup plan that protects everything tagged backup=true.

#include <string>

#include <boost/json/value.hpp>

#include "stacks/stack_spec.h"

namespace oh::infra::stacks {

struct MonitoringStackProps {
  std::string region;
  // Days the application logs are kept. @default 30
  int log_retention_days = 30;
  // Days AWS Backup keeps each daily recovery point. @default 14
  int backup_retention_days = 14;
  // Days the ALB's access logs are kept. @default 90
  int alb_log_retention_days = 90;
};

struct MonitoringRefs {
  boost::json::value log_group_name;
  boost::json::value log_group_arn;
  boost::json::value alert_topic_arn;
  boost::json::value data_bucket_name;
  boost::json::value data_bucket_arn;
  boost::json::value alb_log_bucket_name;
};

struct MonitoringStack {
  StackSpec spec;
  MonitoringRefs refs;
};

MonitoringStack buildMonitoringStack(const MonitoringStackProps& props);

}  // namespace oh::infra::stacks
