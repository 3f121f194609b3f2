// Each security rule: at least one non-compliant case, a compliant case, and a resource it does
// not apply to (cdk-nag's "Noncompliance n" / "Compliance" layout).
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "stacks/rules/rule.h"

namespace oh::infra::rules {
namespace {

cfn::Resource resource(const char* type, const char* properties = "{}") {
  cfn::Resource r;
  r.type = type;
  r.properties = boost::json::parse(properties).as_object();
  return r;
}

constexpr auto NC = Compliance::NonCompliant;
constexpr auto C = Compliance::Compliant;
constexpr auto NA = Compliance::NotApplicable;

TEST(S3BucketEncryptedTest, Cases) {
  EXPECT_EQ(s3BucketEncrypted(resource("AWS::S3::Bucket")), NC);
  EXPECT_EQ(s3BucketEncrypted(resource("AWS::S3::Bucket", R"({"BucketEncryption":{"ServerSideEncryptionConfiguration":[]}})")), NC);
  EXPECT_EQ(s3BucketEncrypted(resource("AWS::S3::Bucket",
                                       R"({"BucketEncryption":{"ServerSideEncryptionConfiguration":[{"BucketKeyEnabled":true}]}})")),
            NC);
  EXPECT_EQ(s3BucketEncrypted(resource("AWS::S3::Bucket", R"({"BucketEncryption":{"ServerSideEncryptionConfiguration":
      [{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}})")),
            C);
  EXPECT_EQ(s3BucketEncrypted(resource("AWS::S3::Bucket", R"({"BucketEncryption":{"ServerSideEncryptionConfiguration":
      [{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"}}]}})")),
            C);
  EXPECT_EQ(s3BucketEncrypted(resource("AWS::SNS::Topic")), NA);
}

TEST(S3BucketPublicAccessBlockedTest, Cases) {
  EXPECT_EQ(s3BucketPublicAccessBlocked(resource("AWS::S3::Bucket")), NC);
  EXPECT_EQ(s3BucketPublicAccessBlocked(resource("AWS::S3::Bucket", R"({"PublicAccessBlockConfiguration":
      {"BlockPublicAcls":true,"BlockPublicPolicy":false,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}})")),
            NC);
  EXPECT_EQ(s3BucketPublicAccessBlocked(resource("AWS::S3::Bucket", R"({"PublicAccessBlockConfiguration":
      {"BlockPublicAcls":true,"BlockPublicPolicy":"true","IgnorePublicAcls":true,"RestrictPublicBuckets":true}})")),
            C);
  EXPECT_EQ(s3BucketPublicAccessBlocked(resource("AWS::EFS::FileSystem")), NA);
}

TEST(EbsEncryptedTest, Cases) {
  EXPECT_EQ(ebsEncrypted(resource("AWS::EC2::Volume", R"({"Size":10})")), NC);
  EXPECT_EQ(ebsEncrypted(resource("AWS::EC2::Volume", R"({"Encrypted":true})")), C);
  EXPECT_EQ(ebsEncrypted(resource("AWS::EC2::LaunchTemplate", R"({"LaunchTemplateData":{}})")), NC);
  EXPECT_EQ(ebsEncrypted(resource("AWS::EC2::LaunchTemplate", R"({"LaunchTemplateData":{"BlockDeviceMappings":
      [{"DeviceName":"/dev/xvda","Ebs":{"Encrypted":true}},{"DeviceName":"/dev/xvdb","Ebs":{"VolumeSize":5}}]}})")),
            NC);
  EXPECT_EQ(ebsEncrypted(resource("AWS::EC2::LaunchTemplate", R"({"LaunchTemplateData":{"BlockDeviceMappings":
      [{"DeviceName":"/dev/xvda","Ebs":{"Encrypted":true,"VolumeType":"gp3"}}]}})")),
            C);
  EXPECT_EQ(ebsEncrypted(resource("AWS::EC2::Instance", R"({"ImageId":"ami-1"})")), NC);
  EXPECT_EQ(ebsEncrypted(resource("AWS::EC2::Instance", R"({"LaunchTemplate":{"LaunchTemplateId":"lt-1"}})")), NA);
  EXPECT_EQ(ebsEncrypted(resource("AWS::S3::Bucket")), NA);
}

TEST(EfsEncryptedTest, Cases) {
  EXPECT_EQ(efsEncrypted(resource("AWS::EFS::FileSystem")), NC);
  EXPECT_EQ(efsEncrypted(resource("AWS::EFS::FileSystem", R"({"Encrypted":false})")), NC);
  EXPECT_EQ(efsEncrypted(resource("AWS::EFS::FileSystem", R"({"Encrypted":true})")), C);
  EXPECT_EQ(efsEncrypted(resource("AWS::EFS::MountTarget")), NA);
}

TEST(RdsStorageEncryptedTest, Cases) {
  EXPECT_EQ(rdsStorageEncrypted(resource("AWS::RDS::DBCluster", R"({"Engine":"aurora-postgresql"})")), NC);
  EXPECT_EQ(rdsStorageEncrypted(resource("AWS::RDS::DBCluster", R"({"StorageEncrypted":true})")), C);
  EXPECT_EQ(rdsStorageEncrypted(resource("AWS::RDS::DBInstance", R"({"Engine":"postgres"})")), NC);
  EXPECT_EQ(rdsStorageEncrypted(resource("AWS::RDS::DBInstance", R"({"StorageEncrypted":"true"})")), C);
  EXPECT_EQ(rdsStorageEncrypted(resource("AWS::RDS::DBInstance", R"({"DBClusterIdentifier":{"Ref":"C"}})")), NA);
  EXPECT_EQ(rdsStorageEncrypted(resource("AWS::RDS::DBProxy")), NA);
}

TEST(NoOpenIngressTest, Cases) {
  EXPECT_EQ(noOpenIngress(resource("AWS::EC2::SecurityGroup", R"({"SecurityGroupIngress":
      [{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"CidrIp":"0.0.0.0/0"}]})")),
            NC);
  EXPECT_EQ(noOpenIngress(resource("AWS::EC2::SecurityGroup", R"({"SecurityGroupIngress":
      [{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"CidrIpv6":"::/0"}]})")),
            NC);
  EXPECT_EQ(noOpenIngress(resource("AWS::EC2::SecurityGroupIngress", R"({"CidrIp":"0.0.0.0/0","IpProtocol":"-1"})")), NC);
  EXPECT_EQ(noOpenIngress(resource("AWS::EC2::SecurityGroup", R"({"SecurityGroupIngress":
      [{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"SourcePrefixListId":"pl-3b927c52"}],
      "SecurityGroupEgress":[{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"CidrIp":"0.0.0.0/0"}]})")),
            C);
  EXPECT_EQ(noOpenIngress(resource("AWS::EC2::SecurityGroupIngress", R"({"CidrIp":"10.0.0.0/16","IpProtocol":"tcp"})")), C);
  EXPECT_EQ(noOpenIngress(resource("AWS::EC2::SecurityGroupEgress", R"({"CidrIp":"0.0.0.0/0"})")), NA);
}

TEST(IamNoWildcardAdminTest, Cases) {
  EXPECT_EQ(iamNoWildcardAdmin(resource("AWS::IAM::Role", R"({"Policies":[{"PolicyName":"p","PolicyDocument":
      {"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}}]})")),
            NC);
  EXPECT_EQ(iamNoWildcardAdmin(resource("AWS::IAM::Policy", R"({"PolicyDocument":
      {"Statement":{"Effect":"Allow","Action":["s3:GetObject","*"],"Resource":["arn:aws:s3:::b","*"]}}})")),
            NC);
  EXPECT_EQ(iamNoWildcardAdmin(resource("AWS::IAM::Role", R"({"Policies":[{"PolicyName":"p","PolicyDocument":
      {"Statement":[{"Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"},
                    {"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b"}]}}]})")),
            C);
  // A Deny of everything is a guard, not a grant.
  EXPECT_EQ(iamNoWildcardAdmin(resource("AWS::EFS::FileSystem", R"({"FileSystemPolicy":
      {"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Resource":"*"}]}})")),
            C);
  EXPECT_EQ(iamNoWildcardAdmin(resource("AWS::SNS::Topic")), NA);
}

TEST(NoPlaintextSecretsTest, Cases) {
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::RDS::DBCluster", R"({"MasterUserPassword":"hunter2hunter2"})")), NC);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::SecretsManager::Secret", R"({"SecretString":"{\"password\":\"x\"}"})")), NC);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::SecretsManager::Secret", R"({"SecretString":{"Fn::Sub":"constant"}})")), NC);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::SecretsManager::Secret",
                                        R"({"SecretString":{"Fn::Join":["",["a","b"]]}})")),
            NC);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::CloudFront::Distribution", R"({"DistributionConfig":{"Origins":[
      {"OriginCustomHeaders":[{"HeaderName":"X-Origin-Verify","HeaderValue":"s3cr3t"}]}]}})")),
            NC);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::ElasticLoadBalancingV2::ListenerRule", R"({"Conditions":[
      {"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"X-Origin-Verify","Values":["s3cr3t"]}}]})")),
            NC);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::Example::Thing", R"({"Credentials":{"SecretAccessKey":"wJalr"}})")), NC);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::Example::Thing", R"({"ApiKey":"abc123"})")), NC);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::Example::Thing", R"({"AuthToken":"abc123"})")), NC);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::RDS::DBCluster",
      R"({"MasterUsername":"admin","MasterUserPassword":{"Fn::Sub":"{{resolve:secretsmanager:${S}:SecretString:password}}"}})")),
            C);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::SecretsManager::Secret", R"({"Name":"n","GenerateSecretString":
      {"SecretStringTemplate":"{\"username\":\"u\"}","GenerateStringKey":"password","PasswordLength":32}})")),
            C);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::CloudFront::Distribution", R"({"DistributionConfig":{"Origins":[
      {"OriginCustomHeaders":[{"HeaderName":"X-Origin-Verify","HeaderValue":"{{resolve:secretsmanager:o:SecretString}}"},
                              {"HeaderName":"X-Custom","HeaderValue":"plain"}]}]}})")),
            C);
  EXPECT_EQ(noPlaintextSecrets(resource("AWS::Cognito::UserPool", R"({"Policies":{"PasswordPolicy":{"MinimumLength":8}}})")), C);
}

TEST(ImdsV2RequiredTest, Cases) {
  EXPECT_EQ(imdsV2Required(resource("AWS::EC2::LaunchTemplate", R"({"LaunchTemplateData":{}})")), NC);
  EXPECT_EQ(imdsV2Required(resource("AWS::EC2::LaunchTemplate",
                                    R"({"LaunchTemplateData":{"MetadataOptions":{"HttpTokens":"optional"}}})")),
            NC);
  EXPECT_EQ(imdsV2Required(resource("AWS::EC2::Instance", R"({"ImageId":"ami-1"})")), NC);
  EXPECT_EQ(imdsV2Required(resource("AWS::EC2::LaunchTemplate",
                                    R"({"LaunchTemplateData":{"MetadataOptions":{"HttpTokens":"required"}}})")),
            C);
  EXPECT_EQ(imdsV2Required(resource("AWS::AutoScaling::AutoScalingGroup")), NA);
}

TEST(NoLambdaTest, Cases) {
  EXPECT_EQ(noLambda(resource("AWS::Lambda::Function")), NC);
  EXPECT_EQ(noLambda(resource("AWS::Lambda::Permission")), NC);
  EXPECT_EQ(noLambda(resource("AWS::Serverless::Function")), NC);
  EXPECT_EQ(noLambda(resource("AWS::CloudFront::Distribution")), NA);
}

TEST(NoCustomResourceTest, Cases) {
  EXPECT_EQ(noCustomResource(resource("Custom::CrossRegionExportReader")), NC);
  EXPECT_EQ(noCustomResource(resource("AWS::CloudFormation::CustomResource")), NC);
  EXPECT_EQ(noCustomResource(resource("AWS::CloudFormation::WaitConditionHandle")), NA);
}

TEST(AllRulesTest, EveryRuleIsListedOnceWithAnExplanation) {
  std::set<std::string> ids;
  for (const auto& rule : allRules()) {
    EXPECT_TRUE(ids.insert(rule.id).second) << rule.id;
    EXPECT_NE(std::string(rule.explanation), "");
    EXPECT_NE(rule.check, nullptr);
  }
  EXPECT_EQ(ids.size(), 11u);
}

}  // namespace
}  // namespace oh::infra::rules
