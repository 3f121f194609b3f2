#include "standin_image.h"

#include <cstdio>
#include <cstdlib>

#include <boost/json/parse.hpp>

namespace oh::testing {
namespace {

namespace json = boost::json;

std::string commandOutput(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    ::pclose(pipe);
  }
  return out;
}

// Config.Labels[label] of an image's inspect body, or "".
std::string imageLabel(const std::string& inspect_body, const std::string& label) {
  boost::system::error_code ec;
  const json::value inspected = json::parse(inspect_body, ec);
  if (ec || !inspected.is_object()) return {};
  const json::value* config = inspected.as_object().if_contains("Config");
  const json::value* labels = config && config->is_object() ? config->as_object().if_contains("Labels") : nullptr;
  const json::value* value = labels && labels->is_object() ? labels->as_object().if_contains(label) : nullptr;
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

}  // namespace

const std::string& standinImage() {
  static const std::string image = OH_APPSERVER_STANDIN_IMAGE;
  return image;
}

std::string standinBinary() { return OH_APPSERVER_STANDIN_BINARY; }

std::optional<std::string> ensureStandinImage(const PodmanService& podman) {
  const std::string sha = commandOutput("sha256sum " + standinBinary()).substr(0, 64);
  if (sha.size() != 64) return "cannot hash " + standinBinary();
  const auto inspected = podman.api("GET", "/images/" + standinImage() + "/json");
  if (inspected.status == 200 && imageLabel(inspected.body, "org.openhands.standin.binary-sha256") == sha) {
    return std::nullopt;
  }
  const std::string command =
      std::string(OH_APPSERVER_STANDIN_SCRIPT) + " " + standinBinary() + " " + standinImage() + " >/dev/null";
  if (std::system(command.c_str()) != 0) return "building " + standinImage() + " failed";
  return std::nullopt;
}

}  // namespace oh::testing
