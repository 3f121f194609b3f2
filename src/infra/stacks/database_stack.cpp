#include "stacks/database_stack.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "cfn/intrinsics.h"
#include "stacks/names.h"
#include "stacks/stack_common.h"

namespace oh::infra::stacks {
namespace json = boost::json;

namespace {

// Sunday 04:30-05:30 UTC: after the backup window (03:00-04:00), the quietest hour.
constexpr const char* kMaintenanceWindow = "sun:04:30-sun:05:30";

json::object tcp(int port, const char* description) {
  return json::object{{"IpProtocol", "tcp"}, {"FromPort", port}, {"ToPort", port}, {"Description", description}};
}

void addNetworking(cfn::Template& t, const DatabaseStackProps& props) {
  t.addResource("DbSubnetGroup", "AWS::RDS::DBSubnetGroup",
                {{"DBSubnetGroupDescription", "OpenHands database: private subnets"},
                 {"SubnetIds", props.network.private_subnet_ids}});
  // One group for the proxy and the cluster: the instances reach the proxy, the proxy reaches
  // the cluster (itself) and Secrets Manager through the VPC endpoint.
  auto egress_to_endpoints = tcp(443, "Secrets Manager endpoint, for the proxy");
  egress_to_endpoints["CidrIp"] = props.vpc_cidr;
  t.addResource("DbSecurityGroup", "AWS::EC2::SecurityGroup",
                {{"GroupDescription", "OpenHands database and proxy: PostgreSQL from the instances only"},
                 {"VpcId", props.network.vpc_id},
                 {"SecurityGroupEgress", json::array{std::move(egress_to_endpoints)}},
                 {"Tags", tagList({{"Name", "openhands-database"}})}});
  auto from_instances = tcp(5432, "PostgreSQL from the instances");
  from_instances["GroupId"] = cfn::getAtt("DbSecurityGroup", "GroupId");
  from_instances["SourceSecurityGroupId"] = props.security.instance_security_group_id;
  t.addResource("DbIngressFromInstances", "AWS::EC2::SecurityGroupIngress", std::move(from_instances));
  auto from_proxy = tcp(5432, "PostgreSQL from the proxy");
  from_proxy["GroupId"] = cfn::getAtt("DbSecurityGroup", "GroupId");
  from_proxy["SourceSecurityGroupId"] = cfn::getAtt("DbSecurityGroup", "GroupId");
  t.addResource("DbIngressFromProxy", "AWS::EC2::SecurityGroupIngress", std::move(from_proxy));
  auto to_cluster = tcp(5432, "PostgreSQL from the proxy to the cluster");
  to_cluster["GroupId"] = cfn::getAtt("DbSecurityGroup", "GroupId");
  to_cluster["DestinationSecurityGroupId"] = cfn::getAtt("DbSecurityGroup", "GroupId");
  t.addResource("DbEgressToCluster", "AWS::EC2::SecurityGroupEgress", std::move(to_cluster));
  // The instances' own egress to the database, next to the group it points at.
  auto instance_out = tcp(5432, "PostgreSQL to the database proxy");
  instance_out["GroupId"] = props.security.instance_security_group_id;
  instance_out["DestinationSecurityGroupId"] = cfn::getAtt("DbSecurityGroup", "GroupId");
  t.addResource("InstanceEgressToDatabase", "AWS::EC2::SecurityGroupEgress", std::move(instance_out));
}

// The family follows the engine's major version ("15.10" -> aurora-postgresql15).
std::string parameterGroupFamily(const std::string& engine_version) {
  return "aurora-postgresql" + engine_version.substr(0, engine_version.find('.'));
}

void addCluster(cfn::Template& t, const DatabaseStackProps& props) {
  // Who changed the schema and who connected, in the exported postgresql log: DDL statements
  // only (data statements would log the application's queries and their values), connections
  // and disconnections.
  t.addResource("DbClusterParameterGroup", "AWS::RDS::DBClusterParameterGroup",
                {{"Description", "OpenHands Aurora: DDL and connection logging"},
                 {"Family", parameterGroupFamily(props.engine_version)},
                 {"Parameters", json::object{{"log_statement", "ddl"},
                                             {"log_connections", "1"},
                                             {"log_disconnections", "1"}}}});
  // The admin secret outlives the stack like the final snapshot does: restoring the snapshot
  // needs the admin password it was taken with.
  keepOnDelete(t.addResource("DbAdminSecret", "AWS::SecretsManager::Secret",
                {{"Name", names::kDbAdminSecret},
                 {"Description", "OpenHands Aurora admin credentials"},
                 {"GenerateSecretString", json::object{{"SecretStringTemplate", R"({"username":"openhands_admin"})"},
                                                       {"GenerateStringKey", "password"},
                                                       {"PasswordLength", 32},
                                                       {"ExcludeCharacters", " %+~`#$&*()|[]{}:;<>?!'/@\"\\"}}}}),
               cfn::DeletionPolicy::Retain);

  // The credentials are dynamic references to the secret, resolved by CloudFormation.
  auto& cluster = t.addResource(
      "DbCluster", "AWS::RDS::DBCluster",
      {{"Engine", "aurora-postgresql"},
       {"EngineVersion", props.engine_version},
       {"DatabaseName", "openhands"},
       {"Port", 5432},
       {"MasterUsername", cfn::sub("{{resolve:secretsmanager:${DbAdminSecret}:SecretString:username}}")},
       {"MasterUserPassword", cfn::sub("{{resolve:secretsmanager:${DbAdminSecret}:SecretString:password}}")},
       {"ServerlessV2ScalingConfiguration",
        json::object{{"MinCapacity", props.min_capacity_acu}, {"MaxCapacity", props.max_capacity_acu}}},
       {"StorageEncrypted", true},
       {"BackupRetentionPeriod", props.backup_retention_days},
       {"PreferredBackupWindow", "03:00-04:00"},
       // After the backup window, early Sunday UTC.
       {"PreferredMaintenanceWindow", std::string(kMaintenanceWindow)},
       {"DBClusterParameterGroupName", cfn::ref("DbClusterParameterGroup")},
       {"EnableCloudwatchLogsExports", json::array{"postgresql"}},
       {"CopyTagsToSnapshot", true},
       {"DBSubnetGroupName", cfn::ref("DbSubnetGroup")},
       {"VpcSecurityGroupIds", json::array{cfn::getAtt("DbSecurityGroup", "GroupId")}}});
  // Deleting the stack leaves a final snapshot, as the reference design's SNAPSHOT policy does.
  keepOnDelete(cluster, cfn::DeletionPolicy::Snapshot);

  auto& writer = t.addResource("DbWriter", "AWS::RDS::DBInstance",
                               {{"DBClusterIdentifier", cfn::ref("DbCluster")},
                                {"DBInstanceClass", "db.serverless"},
                                {"Engine", "aurora-postgresql"},
                                {"PubliclyAccessible", false},
                                {"AutoMinorVersionUpgrade", true},
                                {"PreferredMaintenanceWindow", std::string(kMaintenanceWindow)}});
  // A cluster member holds no data of its own (the cluster's storage and its final snapshot
  // do): deleting or replacing it loses nothing.
  keepOnDelete(writer, cfn::DeletionPolicy::Delete);

  // The application role's credentials. The instance creates the role and sets its password
  // from this secret (db-bootstrap.sh); the proxy signs in with the same secret on its behalf.
  // It may go with the stack: the instance sets the role's password from a new one, signed in as
  // the admin.
  keepOnDelete(t.addResource("AppDbSecret", "AWS::SecretsManager::Secret",
                {{"Name", names::kAppDbSecret},
                 {"Description", "OpenHands application database role (through RDS Proxy)"},
                 {"GenerateSecretString",
                  json::object{{"SecretStringTemplate", std::string(R"({"username":")") + names::kAppDbRole + "\"}"},
                               {"GenerateStringKey", "password"},
                               {"PasswordLength", 32},
                               {"ExcludeCharacters", " %+~`#$&*()|[]{}:;<>?!'/@\"\\"}}}}),
               cfn::DeletionPolicy::Delete);

  t.addResource("DbAdminSecretAttachment", "AWS::SecretsManager::SecretTargetAttachment",
                {{"SecretId", cfn::ref("DbAdminSecret")},
                 {"TargetId", cfn::ref("DbCluster")},
                 {"TargetType", "AWS::RDS::DBCluster"}});
}

void addProxy(cfn::Template& t, const DatabaseStackProps& props) {
  t.addResource(
      "DbProxyRole", "AWS::IAM::Role",
      {{"Description", "RDS Proxy reads the admin and application secrets"},
       {"AssumeRolePolicyDocument",
        policyDocument(json::array{json::object{{"Effect", "Allow"},
                                                {"Principal", json::object{{"Service", "rds.amazonaws.com"}}},
                                                {"Action", "sts:AssumeRole"}}})},
       {"Policies",
        json::array{json::object{
            {"PolicyName", "read-database-secrets"},
            {"PolicyDocument", policyDocument(json::array{json::object{
                                   {"Effect", "Allow"},
                                   {"Action", json::array{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}},
                                   {"Resource", json::array{cfn::ref("DbAdminSecret"), cfn::ref("AppDbSecret")}}}})}}}}});
  t.addResource("DbProxy", "AWS::RDS::DBProxy",
                {{"DBProxyName", "openhands-proxy"},
                 {"EngineFamily", "POSTGRESQL"},
                 {"RequireTLS", true},
                 {"IdleClientTimeout", 1800},
                 // One entry per database user the proxy admits: the admin (the instance's
                 // bootstrap) and the application role (OpenHands).
                 {"Auth", json::array{json::object{{"AuthScheme", "SECRETS"},
                                                   {"SecretArn", cfn::ref("DbAdminSecret")},
                                                   {"IAMAuth", "DISABLED"}},
                                      json::object{{"AuthScheme", "SECRETS"},
                                                   {"SecretArn", cfn::ref("AppDbSecret")},
                                                   {"IAMAuth", "DISABLED"}}}},
                 {"RoleArn", cfn::getAtt("DbProxyRole", "Arn")},
                 {"VpcSubnetIds", props.network.private_subnet_ids},
                 {"VpcSecurityGroupIds", json::array{cfn::getAtt("DbSecurityGroup", "GroupId")}}});
  t.addResource("DbProxyTargetGroup", "AWS::RDS::DBProxyTargetGroup",
                {{"DBProxyName", cfn::ref("DbProxy")},
                 {"TargetGroupName", "default"},
                 {"DBClusterIdentifiers", json::array{cfn::ref("DbCluster")}},
                 {"ConnectionPoolConfigurationInfo", json::object{{"MaxConnectionsPercent", 90}}}})
      .depends_on = {"DbWriter"};
}

}  // namespace

DatabaseStack buildDatabaseStack(const DatabaseStackProps& props) {
  DatabaseStack out{newStack(names::kDatabaseStack, props.region,
                             "OpenHands database: Aurora PostgreSQL Serverless v2 behind RDS Proxy",
                             {names::kNetworkStack, names::kSecurityStack}),
                    {}};
  auto& spec = out.spec;
  addNetworking(spec.template_, props);
  addCluster(spec.template_, props);
  addProxy(spec.template_, props);

  out.refs.proxy_endpoint = exportValue(spec, "DbProxyEndpoint", cfn::getAtt("DbProxy", "Endpoint"), "RDS Proxy endpoint");
  out.refs.admin_secret_arn = exportValue(spec, "DbAdminSecretArn", cfn::ref("DbAdminSecret"), "Database admin secret");
  out.refs.app_secret_arn = exportValue(spec, "AppDbSecretArn", cfn::ref("AppDbSecret"), "Application database role secret");
  exportValue(spec, "DbSecurityGroupId", cfn::getAtt("DbSecurityGroup", "GroupId"), "Database security group");
  return out;
}

}  // namespace oh::infra::stacks
