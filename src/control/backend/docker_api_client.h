#pragma once
// Blocking HTTP/1.1 to the Docker Engine API (Docker, or Podman's compatible API) over its Unix
// socket: one request per connection (Connection: close), so a call never inherits a stuck
// connection, and one deadline per call from connect to the last byte. Beast stays in
// docker_api_client.cpp; callers see status and body only.
//
//   DockerApiClient docker("/var/run/docker.sock", 8 << 20);
//   auto answer = docker.call("GET", "/containers/abc/json", {}, std::chrono::seconds(30));
//   if (answer && answer->status == 200) parse(answer->body);

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "backend/workload_backend.h"

namespace oh::control {

struct DockerAnswer {
  unsigned status = 0;
  std::string body;  // decoded (chunked answers are joined); empty when streamed to a sink
};

class DockerApiClient {
public:
  // Targets are the Engine API's paths without a version ("/containers/json"); the client adds
  // kApiVersion, which Docker (API 1.24 and later) and Podman 4 both serve.
  static constexpr std::string_view kApiVersion = "/v1.41";

  DockerApiClient(std::string socket_path, std::size_t max_response_bytes);

  // Sends the request (a JSON body when non-empty) and reads the whole answer, whatever its
  // status. Failures: unavailable when the socket cannot be reached, the call outlives the
  // timeout or the connection drops; other when the answer is not HTTP or exceeds the limit.
  BackendResult<DockerAnswer> call(std::string_view method, std::string_view target, std::string_view json_body,
                                   std::chrono::milliseconds timeout) const;

  // The same, but the body goes to `sink` piece by piece as it arrives (an image pull streams
  // progress for minutes) and is not kept; no size limit beyond the timeout.
  using BodySink = std::function<void(std::string_view piece)>;
  BackendResult<DockerAnswer> stream(std::string_view method, std::string_view target, std::string_view json_body,
                                     std::chrono::milliseconds timeout, const BodySink& sink) const;

  const std::string& socketPath() const { return socket_path_; }

private:
  std::string socket_path_;
  std::size_t max_response_bytes_;
};

}  // namespace oh::control
