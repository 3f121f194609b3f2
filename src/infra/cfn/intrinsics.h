#pragma once
// CloudFormation intrinsic functions as JSON values, so stacks read like the templates they
// produce: props["VpcId"] = cfn::ref("Vpc"); cfn::getAtt("Alb", "DNSName"); cfn::sub("arn:${AWS::Partition}:...").

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace oh::infra::cfn {

boost::json::value ref(std::string_view logical_id_or_parameter);
boost::json::value getAtt(std::string_view logical_id, std::string_view attribute);
boost::json::value sub(std::string_view text);
boost::json::value sub(std::string_view text, boost::json::object variables);
boost::json::value join(std::string_view delimiter, boost::json::array parts);
// Fn::Join over a value that is itself a list, e.g. {"Ref": "SomeListParameter"}.
boost::json::value joinList(std::string_view delimiter, boost::json::value list);
boost::json::value select(unsigned index, boost::json::value list);
boost::json::value split(std::string_view delimiter, boost::json::value text);
boost::json::value getAZs(std::string_view region = "");
boost::json::value importValue(boost::json::value export_name);
boost::json::value ifThen(std::string_view condition, boost::json::value when_true, boost::json::value when_false);
boost::json::value equals(boost::json::value a, boost::json::value b);
boost::json::value notOf(boost::json::value condition);
boost::json::value noValue();  // {"Ref": "AWS::NoValue"}

// Pseudo parameters.
boost::json::value accountId();   // {"Ref": "AWS::AccountId"}
boost::json::value region();      // {"Ref": "AWS::Region"}
boost::json::value partition();   // {"Ref": "AWS::Partition"}
boost::json::value stackName();   // {"Ref": "AWS::StackName"}
boost::json::value urlSuffix();   // {"Ref": "AWS::URLSuffix"}

// Dynamic references, resolved by CloudFormation at deploy time, so no secret value is ever in
// a template: "{{resolve:secretsmanager:NAME:SecretString:KEY}}" and "{{resolve:ssm:NAME}}".
std::string secretsManagerReference(std::string_view secret_id, std::string_view json_key = "");
std::string ssmReference(std::string_view parameter_name);

}  // namespace oh::infra::cfn
