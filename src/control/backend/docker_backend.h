#pragma once
// The Docker Engine API backend (Docker, or Podman's Docker-compatible API) over a Unix socket.
//
//   auto backend = makeDockerBackend({.socket = "/var/run/docker.sock",
//                                     .workspace_root = "/srv/oh/workspaces", .network_prefix = "oh-user-"});
//   backend->ensureNetwork("oh-user-3f2a…", {{"org.openhands.managed", "true"}});
//   backend->create(spec); backend->start(spec.name);
//
// Requests are the documented Engine API (v1.41 paths, which Podman serves too): POST
// /containers/create?name=, /containers/{name}/start|stop, DELETE /containers/{name}?force=true,
// GET /containers/{name}/json, GET /containers/json?all=true&filters=, POST /networks/create,
// GET /containers/{name}/stats?stream=false, GET /images/{name}/json, and POST /images/create?fromImage= when an image is missing.

#include <chrono>
#include <string>

#include "backend/workload_backend.h"

namespace oh::control {

struct DockerBackendOptions {
  std::string socket = "/var/run/docker.sock";
  // Defence in depth (the service checks first): a spec whose workspace is not a directory
  // strictly below workspace_root, or whose network is not named {network_prefix}..., is
  // refused before Docker sees it, so no caller can mount the host or join host/bridge/none.
  std::string workspace_root;
  std::string network_prefix = "oh-user-";
  std::chrono::seconds request_timeout{30};   // one API call, connect to last byte
  std::chrono::seconds pull_timeout{600};     // an image pull
  std::size_t max_response_bytes = 8 * 1024 * 1024;
};

WorkloadBackendPtr makeDockerBackend(DockerBackendOptions options);

}  // namespace oh::control
