#include "backend/docker_requests.h"

#include <cmath>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "common/digest.h"
#include "common/text.h"

namespace oh::control {
namespace {

namespace json = boost::json;

constexpr std::string_view kWorkspaceMountPoint = "/workspace";

json::object labelsObject(const std::map<std::string, std::string>& labels) {
  json::object out;
  for (const auto& [key, value] : labels) {
    out[key] = value;
  }
  return out;
}

json::object hostConfig(const WorkloadSpec& spec) {
  json::object host;
  host["NetworkMode"] = spec.network;
  host["Binds"] = json::array{json::string(spec.workspace + ":" + std::string(kWorkspaceMountPoint) + ":rw")};
  const WorkloadLimits& limits = spec.limits;
  if (limits.cpus > 0) {
    host["NanoCpus"] = static_cast<std::int64_t>(std::llround(limits.cpus * 1e9));
  }
  if (limits.memory_bytes > 0) {
    // Swap equal to memory: no swap on top of the limit (Docker's default doubles it).
    host["Memory"] = limits.memory_bytes;
    host["MemorySwap"] = limits.memory_bytes;
  }
  if (limits.pids > 0) {
    host["PidsLimit"] = limits.pids;
  }
  if (limits.disk_bytes > 0) {
    host["StorageOpt"] = json::object{{"size", std::to_string(limits.disk_bytes)}};
  }
  json::array groups;
  for (std::uint32_t group : spec.supplementary_groups) {
    groups.emplace_back(std::to_string(group));
  }
  host["GroupAdd"] = std::move(groups);
  // Docker's default capability set minus what only attacks neighbours: NET_RAW (ARP and IP
  // spoofing on the owner's network), MKNOD and AUDIT_WRITE. The rest stays, and so does
  // setuid: OpenHands' agent-server image gives its user passwordless sudo (software-agent-sdk
  // v1.20.1 openhands-agent-server/.../docker/Dockerfile:100-102) and agents use it to install
  // packages, as they do under stock OpenHands, which drops nothing (1.7.0
  // docker_sandbox_service.py:463-486). So no no-new-privileges: root inside the sandbox is
  // expected, and the boundary is the container (namespaces, seccomp, no devices, one bind).
  host["SecurityOpt"] = json::array{};
  host["CapDrop"] = json::array{"NET_RAW", "MKNOD", "AUDIT_WRITE"};
  host["CapAdd"] = json::array{};
  host["Privileged"] = false;
  host["Devices"] = json::array{};
  host["PortBindings"] = json::object{};
  host["PublishAllPorts"] = false;
  host["ReadonlyRootfs"] = false;
  host["AutoRemove"] = false;
  host["RestartPolicy"] = json::object{{"Name", "no"}};
  return host;
}

}  // namespace

std::string containerCreateBody(const WorkloadSpec& spec) {
  json::object body;
  body["Image"] = spec.image;
  if (!spec.command.empty()) {
    json::array entrypoint;
    for (const std::string& argument : spec.command) {
      entrypoint.emplace_back(argument);
    }
    body["Entrypoint"] = std::move(entrypoint);
    body["Cmd"] = json::array{};
  }
  if (!spec.working_dir.empty()) {
    body["WorkingDir"] = spec.working_dir;
  }
  json::array environment;
  for (const auto& [name, value] : spec.environment) {
    environment.emplace_back(name + "=" + value);
  }
  body["Env"] = std::move(environment);
  body["Labels"] = labelsObject(spec.labels);
  if (!spec.user.empty()) {
    body["User"] = spec.user;
  }
  body["ExposedPorts"] = json::object{};
  body["HostConfig"] = hostConfig(spec);
  return json::serialize(body);
}

std::string networkCreateBody(std::string_view name, const std::map<std::string, std::string>& labels) {
  json::object body;
  body["Name"] = name;
  body["Driver"] = "bridge";
  body["Internal"] = false;
  body["CheckDuplicate"] = true;
  body["Labels"] = labelsObject(labels);
  body["Options"] = json::object{{"com.docker.network.bridge.name", sandboxBridgeName(name)}};
  return json::serialize(body);
}

std::string sandboxBridgeName(std::string_view network_name) {
  return std::string(kSandboxBridgePrefix) + common::hexEncode(common::sha256(network_name)).substr(0, 12);
}

ImageReference splitImageReference(std::string_view image) {
  std::string_view repository = image;
  std::string_view tag;
  if (const std::size_t at = image.find('@'); at != std::string_view::npos) {
    repository = image.substr(0, at);
    tag = image.substr(at + 1);  // a digest pins the content; a tag before it adds nothing
  }
  // A ':' after the last '/' starts the tag; one before it is a registry's port.
  const std::size_t slash = repository.rfind('/');
  const std::size_t colon = repository.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    if (tag.empty()) {
      tag = repository.substr(colon + 1);
    }
    repository = repository.substr(0, colon);
  }
  return {std::string(repository), tag.empty() ? std::string("latest") : std::string(tag)};
}

std::string imagePullTarget(std::string_view image) {
  const ImageReference reference = splitImageReference(image);
  return "/images/create?fromImage=" + common::percentEncode(reference.repository) +
         "&tag=" + common::percentEncode(reference.tag);
}

std::string containerCreateTarget(std::string_view name) {
  return "/containers/create?name=" + common::percentEncode(name);
}

std::string containerTarget(std::string_view name, std::string_view suffix) {
  std::string target = "/containers/";
  target.append(name).append(suffix);
  return target;
}

std::string labelListTarget(std::string_view label_key, std::string_view label_value) {
  json::object filters;
  filters["label"] = json::array{json::string(std::string(label_key) + "=" + std::string(label_value))};
  return "/containers/json?all=true&filters=" + common::percentEncode(json::serialize(filters));
}

std::string networkListTarget(std::string_view name) {
  json::object filters;
  filters["name"] = json::array{json::string(name)};
  return "/networks?filters=" + common::percentEncode(json::serialize(filters));
}

}  // namespace oh::control
