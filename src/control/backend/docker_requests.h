#pragma once
// What the Docker backend sends: the Engine API's request bodies and targets for a workload, as
// plain text (no sockets, no Beast), so each field is unit-tested. Inputs have passed
// workload_spec_rules.h; names go into paths unencoded because that grammar has no character a
// path would need escaped.

#include <map>
#include <string>
#include <string_view>

#include "backend/workload_backend.h"

namespace oh::control {

// POST /containers/create?name={spec.name}: the spec, plus what no spec can change. The command
// replaces the image's entrypoint (Entrypoint = command, Cmd = []: Docker and Podman both then
// ignore the image's CMD). HostConfig pins the isolation: the one bind (workspace at /workspace),
// the owner's network, limits with swap equal to memory, NET_RAW, MKNOD and AUDIT_WRITE dropped
// (sudo keeps working, as the agent-server image expects), not privileged, no devices, no
// published ports, no restart policy (the control plane owns restarts), no auto-removal.
std::string containerCreateBody(const WorkloadSpec& spec);

// POST /networks/create: a bridge network with our labels, not internal (agents reach the
// internet), refusing a duplicate name, whose bridge interface is sandboxBridgeName(name).
std::string networkCreateBody(std::string_view name, const std::map<std::string, std::string>& labels);

// The host firewall (deploy/instance/oh-firewall.sh) tells sandbox networks apart from every other
// interface by this prefix of their bridge's name (docs/instance.md, "Sandbox isolation").
inline constexpr std::string_view kSandboxBridgePrefix = "ohu";

// "ohu" + 12 hex digits of SHA-256(network name): 15 characters, the most a Linux interface name
// holds, the same on every engine and restart, and 48 bits apart between two users' networks.
// Set through "com.docker.network.bridge.name", which Docker and Podman's compat API both honour.
std::string sandboxBridgeName(std::string_view network_name);

// The repository and tag (or digest) of an image reference, as POST /images/create wants them:
// "reg:5000/a/b:1" -> {"reg:5000/a/b", "1"}; "a@sha256:…" -> {"a", "sha256:…"}; "a" -> {"a", "latest"}
// (an empty tag would pull every tag of the repository).
struct ImageReference {
  std::string repository;
  std::string tag;
};
ImageReference splitImageReference(std::string_view image);

// Targets (without the API version prefix).
std::string imagePullTarget(std::string_view image);
std::string containerCreateTarget(std::string_view name);
std::string containerTarget(std::string_view name, std::string_view suffix = {});  // "/containers/{name}{suffix}"
std::string labelListTarget(std::string_view label_key, std::string_view label_value);

// GET /networks filtered by name (a substring on Docker, a pattern on Podman: the answer is
// searched for the exact name). Not GET /networks/{name}: Podman's walks every container on the
// host to list the members, which no caller here needs.
std::string networkListTarget(std::string_view name);

}  // namespace oh::control
