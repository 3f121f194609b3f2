#include "common/docker_fields.h"

#include <boost/json/value.hpp>

#include "common/json_fields.h"

namespace oh::common {

bool plausibleIp(std::string_view ip) {
  if (ip.empty() || ip.size() > 45) {
    return false;
  }
  for (char c : ip) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
                    c == ':';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string containerNetworkIp(const boost::json::object& container,
                               const std::function<bool(std::string_view network)>& wanted) {
  const boost::json::object* settings = objectAt(container, "NetworkSettings");
  const boost::json::object* networks = settings == nullptr ? nullptr : objectAt(*settings, "Networks");
  if (networks == nullptr) {
    return {};
  }
  for (const auto& [name, value] : *networks) {
    const boost::json::object* net = value.if_object();
    if (net == nullptr || !wanted(std::string_view(name))) {
      continue;
    }
    const auto ip = stringAt(*net, "IPAddress");
    if (ip && plausibleIp(*ip)) {
      return std::string(*ip);
    }
  }
  return {};
}

}  // namespace oh::common
