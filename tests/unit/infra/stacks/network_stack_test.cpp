// OpenHands-Network: the VPC's endpoints, the S3 gateway endpoint switch, and the parameters
// that carry the VPC's subnets.
#include <gtest/gtest.h>

#include "stacks/network_stack.h"
#include "template_assert.h"
#include "test_app.h"

namespace oh::infra {
namespace {
using testing::TemplateAssert;

TemplateAssert networkOf(const AppContext& context) {
  return TemplateAssert::of(testing::stackNamed(testing::testApp(context), "OpenHands-Network").template_);
}

TEST(NetworkStackTest, EightInterfaceEndpointsWithPrivateDns) {
  const auto t = networkOf(testing::exampleContext());
  for (const char* service :
       {"bedrock-runtime", "secretsmanager", "ecr.api", "ecr.dkr", "logs", "ssm", "ssmmessages", "ec2messages"}) {
    EXPECT_TRUE(t.hasResourceProperties("AWS::EC2::VPCEndpoint",
                                        boost::json::object{{"ServiceName", boost::json::object{{"Fn::Sub", std::string("com.amazonaws.${AWS::Region}.") + service}}},
                                                            {"VpcEndpointType", "Interface"},
                                                            {"PrivateDnsEnabled", true},
                                                            {"VpcId", "vpc-0123456789abcdef0"},
                                                            {"SubnetIds", boost::json::array{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"}}}))
        << service;
  }
  EXPECT_TRUE(t.resourceCountIs("AWS::EC2::VPCEndpoint", 9));
}

TEST(NetworkStackTest, S3GatewayEndpointUnlessSkipped) {
  auto context = testing::exampleContext();
  EXPECT_TRUE(networkOf(context).hasResourceProperties("AWS::EC2::VPCEndpoint", R"({
    "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"}, "VpcEndpointType": "Gateway",
    "RouteTableIds": ["rtb-0ccccccccccccccc1", "rtb-0ccccccccccccccc2"]})"));
  context.skip_s3_endpoint = true;
  const auto skipped = networkOf(context);
  EXPECT_TRUE(skipped.resourceCountIs("AWS::EC2::VPCEndpoint", 8));
  EXPECT_FALSE(skipped.hasResourceProperties("AWS::EC2::VPCEndpoint", R"({"VpcEndpointType":"Gateway"})"));
  EXPECT_FALSE(skipped.hasParameter("PrivateRouteTableIds"));
}

TEST(NetworkStackTest, EndpointSecurityGroupAdmitsHttpsFromTheVpcOnly) {
  EXPECT_TRUE(networkOf(testing::exampleContext()).hasResourceProperties("AWS::EC2::SecurityGroup", R"({
    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.20.0.0/16"}]})"));
}

TEST(NetworkStackTest, ContextListsAreWrittenAsIsWithoutParameters) {
  const auto t = networkOf(testing::exampleContext());
  EXPECT_EQ(t.json().if_contains("Parameters"), nullptr);
}

TEST(NetworkStackTest, MissingListsBecomeParametersWithoutDefaults) {
  const auto t = networkOf(testing::minimalContext());
  EXPECT_TRUE(t.hasParameter("PrivateSubnetIds", R"({"Type":"List<AWS::EC2::Subnet::Id>","Default":{"$absent":true}})"));
  EXPECT_TRUE(t.hasParameter("PublicSubnetIds", R"({"Type":"List<AWS::EC2::Subnet::Id>","Default":{"$absent":true}})"));
  EXPECT_TRUE(t.hasParameter("PrivateRouteTableIds", R"({"Type":"CommaDelimitedList","Default":{"$absent":true}})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::EC2::VPCEndpoint", R"({"SubnetIds":{"Ref":"PrivateSubnetIds"}})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::EC2::VPCEndpoint", R"({"RouteTableIds":{"Ref":"PrivateRouteTableIds"}})"));
  EXPECT_TRUE(t.hasOutput("PrivateSubnetIds", R"({"Value":{"Fn::Join":[",",{"Ref":"PrivateSubnetIds"}]}})"));
}

TEST(NetworkStackTest, ExportsTheVpcAndSubnetsUnderStableNames) {
  const auto t = networkOf(testing::exampleContext());
  EXPECT_TRUE(t.hasOutput("VpcId", R"({"Value":"vpc-0123456789abcdef0","Export":{"Name":"OpenHands-Network-VpcId"}})"));
  EXPECT_TRUE(t.hasOutput("PrivateSubnetIds", R"({
    "Value": {"Fn::Join": [",", ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]]},
    "Export": {"Name": "OpenHands-Network-PrivateSubnetIds"}})"));
  EXPECT_TRUE(t.hasOutput("PublicSubnetIds", R"({"Export":{"Name":"OpenHands-Network-PublicSubnetIds"}})"));
}

TEST(NetworkStackTest, MountTargetCountFollowsTheSubnets) {
  stacks::NetworkStackProps props;
  props.region = "us-west-2";
  props.vpc_id = "vpc-1";
  props.vpc_cidr = "10.0.0.0/16";
  EXPECT_EQ(stacks::buildNetworkStack(props).refs.private_subnet_count, 2u);
  props.private_subnet_ids = {"subnet-1", "subnet-2", "subnet-3"};
  EXPECT_EQ(stacks::buildNetworkStack(props).refs.private_subnet_count, 3u);
}

}  // namespace
}  // namespace oh::infra
