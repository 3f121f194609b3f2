#pragma once
// The deploy/instance/ files the gateway image carries to the instance's /opt/openhands/
// (deploy/gateway.Dockerfile; oh-prepare.service copies them out at boot) rather than the user
// data: oh-infra does not embed them, so tests read them from the source tree (OH_PROJECT_DIR, set
// by the tests' CMakeLists).

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace oh::infra::instance::testing {

// What the image installs, and where on the host: (file in deploy/instance/, path under
// /opt/openhands/). The Dockerfile's COPY lines must agree (GatewayImageCarriesTheHostFiles).
inline constexpr std::pair<std::string_view, std::string_view> kGatewayImageFiles[] = {
    {"boot-services.sh", "bin/boot-services.sh"},
    {"db-bootstrap.sh", "bin/db-bootstrap.sh"},
    {"oh-firewall.sh", "bin/oh-firewall.sh"},
    {"gateway.toml.in", "gateway.toml.in"},
};

// A file of the project (e.g. "deploy/gateway.Dockerfile"), verbatim; throws when it cannot be read.
inline std::string projectFile(std::string_view relative) {
  const std::string path = std::string(OH_PROJECT_DIR) + "/" + std::string(relative);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// deploy/instance/<name>, verbatim.
inline std::string gatewayImageFile(std::string_view name) {
  return projectFile("deploy/instance/" + std::string(name));
}

}  // namespace oh::infra::instance::testing
