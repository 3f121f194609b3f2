#pragma once
// Reading the Docker Engine API's JSON (Docker and Podman's compat API): the container list and
// the /events stream. Everything here is untrusted input from a socket: malformed, hostile or
// oversized JSON gives an error value, never an exception or a crash (fuzz_docker_json).

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/stream_parser.hpp>

#include "config/settings.h"
#include "runtime/container_index.h"

namespace oh::gateway {

struct ContainerListResult {
  std::vector<ContainerRecordPtr> containers;  // only those with a conversation key (label or name)
  std::size_t listed = 0;                      // entries in the answer, indexed or not
  std::string error;                           // non-empty: the answer was unusable
  bool ok() const { return error.empty(); }
};

// GET /containers/json?all=true: an array of containers with Id, Names, Labels, State,
// NetworkSettings.Networks.*.IPAddress and Ports. Entries without a usable Id are skipped.
ContainerListResult parseContainerList(std::string_view json, const RuntimeSettings& settings);

// One object of the /events stream, reduced to what the index needs.
struct DockerEvent {
  std::string type;          // "container", "network"
  std::string action;        // "start", "die", "connect", ... ("exec_start: sh" cut at ':')
  std::string container_id;  // Actor.ID for containers, Actor.Attributes.container for networks

  // Whether this event can change what the index holds (so the container is listed again).
  bool affectsIndex() const;
};

std::optional<DockerEvent> parseDockerEvent(std::string_view json);

// Splits the /events body (JSON objects back to back, usually one per line, arriving in any
// pieces) into events. Bounded: an object over max_object_bytes ends the stream with an error.
class EventStreamDecoder {
public:
  explicit EventStreamDecoder(std::size_t max_object_bytes = 64 * 1024);

  // Feeds the next bytes; calls on_event for each complete object that is a usable event.
  // Returns an error description once the stream is unusable (then the caller reconnects).
  std::optional<std::string> feed(std::string_view bytes, const std::function<void(const DockerEvent&)>& on_event);

private:
  std::size_t max_object_bytes_;
  std::size_t current_bytes_ = 0;
  boost::json::stream_parser parser_;
};

}  // namespace oh::gateway
