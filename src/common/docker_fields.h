#pragma once
// Fields the Docker Engine API (and Podman's compatible API) reports the same way in a container
// list entry and in a container inspect answer, read by both the data plane's container
// directory and the control plane's Docker backend.

#include <functional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace oh::common {

// A plausible IPv4 or IPv6 address text (hex digits, '.', ':'; at most 45 characters).
bool plausibleIp(std::string_view ip);

// The container's IP on the first network in NetworkSettings.Networks whose name `wanted`
// accepts and whose IPAddress is plausible; "" when none.
std::string containerNetworkIp(const boost::json::object& container,
                               const std::function<bool(std::string_view network)>& wanted);

}  // namespace oh::common
