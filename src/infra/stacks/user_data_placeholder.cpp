// Stand-in for instance::renderUserData until src/infra/instance (its own issue) is built; the
// CMakeLists compiles this file only when that library does not exist. It keeps the contract:
// Fn::Base64 of Fn::Sub with every deploy-time value as a variable, and no secret values.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "instance/user_data.h"

namespace oh::infra::instance {

boost::json::value renderUserData(const UserDataInputs& inputs) {
  boost::json::object variables{{"LogGroup", inputs.log_group_name}, {"Region", inputs.region}};
  const std::string script =
      "#!/bin/bash\n"
      "set -euo pipefail\n"
      "# Placeholder bootstrap for " + inputs.main_host + "; the real one renders OpenHands and oh-gateway.\n"
      "echo \"openhands instance in ${Region}, logs to ${LogGroup}\"\n";
  return boost::json::object{
      {"Fn::Base64", boost::json::object{{"Fn::Sub", boost::json::array{boost::json::value(script), std::move(variables)}}}}};
}

}  // namespace oh::infra::instance
