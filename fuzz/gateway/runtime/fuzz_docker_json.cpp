// Untrusted bytes from the Docker socket: parsed as a container list, as one event, and as an
// event stream fed in two pieces. Nothing may crash; whatever is indexed has a bounded shape.

#include <cstdint>
#include <string_view>

#include "runtime/container_index.h"
#include "runtime/docker_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const oh::gateway::RuntimeSettings settings;
  const auto list = oh::gateway::parseContainerList(input, settings);
  if (list.ok()) {
    const oh::gateway::ContainerIndex index(list.containers);
    for (const auto& record : list.containers) {
      if (!record->conversation_id.empty()) {
        (void)index.find(record->conversation_id);
      }
      if (record->id.empty() || record->id.size() > 128 || record->ip.size() > 45) {
        __builtin_trap();
      }
    }
  }
  (void)oh::gateway::parseDockerEvent(input);
  oh::gateway::EventStreamDecoder decoder(4096);
  const std::size_t half = size / 2;
  std::size_t events = 0;
  const auto count = [&events](const oh::gateway::DockerEvent& event) {
    events += event.affectsIndex() ? 1 : 0;
  };
  if (!decoder.feed(input.substr(0, half), count)) {
    (void)decoder.feed(input.substr(half), count);
  }
  return 0;
}
