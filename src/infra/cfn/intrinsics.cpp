#include "cfn/intrinsics.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

namespace oh::infra::cfn {
namespace json = boost::json;

namespace {

json::value single(std::string_view function, json::value argument) {
  json::object out;
  out[function] = std::move(argument);
  return out;
}

json::value str(std::string_view text) { return json::string(text); }

}  // namespace

json::value ref(std::string_view logical_id_or_parameter) {
  return single("Ref", str(logical_id_or_parameter));
}

json::value getAtt(std::string_view logical_id, std::string_view attribute) {
  return single("Fn::GetAtt", json::array{str(logical_id), str(attribute)});
}

json::value sub(std::string_view text) { return single("Fn::Sub", str(text)); }

json::value sub(std::string_view text, json::object variables) {
  return single("Fn::Sub", json::array{str(text), std::move(variables)});
}

json::value join(std::string_view delimiter, json::array parts) {
  return single("Fn::Join", json::array{str(delimiter), std::move(parts)});
}

json::value joinList(std::string_view delimiter, json::value list) {
  return single("Fn::Join", json::array{str(delimiter), std::move(list)});
}

json::value select(unsigned index, json::value list) {
  // CloudFormation accepts the index as a number or a string; the CDK writes a number.
  return single("Fn::Select", json::array{index, std::move(list)});
}

json::value split(std::string_view delimiter, json::value text) {
  return single("Fn::Split", json::array{str(delimiter), std::move(text)});
}

json::value getAZs(std::string_view region) { return single("Fn::GetAZs", str(region)); }

json::value importValue(json::value export_name) {
  return single("Fn::ImportValue", std::move(export_name));
}

json::value ifThen(std::string_view condition, json::value when_true, json::value when_false) {
  return single("Fn::If", json::array{str(condition), std::move(when_true), std::move(when_false)});
}

json::value equals(json::value a, json::value b) {
  return single("Fn::Equals", json::array{std::move(a), std::move(b)});
}

json::value notOf(json::value condition) {
  return single("Fn::Not", json::array{std::move(condition)});
}

json::value noValue() { return ref("AWS::NoValue"); }

json::value accountId() { return ref("AWS::AccountId"); }
json::value region() { return ref("AWS::Region"); }
json::value partition() { return ref("AWS::Partition"); }
json::value stackName() { return ref("AWS::StackName"); }
json::value urlSuffix() { return ref("AWS::URLSuffix"); }

std::string secretsManagerReference(std::string_view secret_id, std::string_view json_key) {
  std::string out = "{{resolve:secretsmanager:";
  out.append(secret_id);
  out.append(":SecretString");
  if (!json_key.empty()) {
    out.push_back(':');
    out.append(json_key);
  }
  out.append("}}");
  return out;
}

std::string ssmReference(std::string_view parameter_name) {
  std::string out = "{{resolve:ssm:";
  out.append(parameter_name);
  out.append("}}");
  return out;
}

}  // namespace oh::infra::cfn
