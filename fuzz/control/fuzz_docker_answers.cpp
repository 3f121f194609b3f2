// Untrusted bytes from the Docker socket, read the ways the Docker backend reads them: as an
// inspect answer, a container list, an error body and a pull progress stream (in two pieces);
// and as the workspace, network and image of a spec the refusal rules check. Nothing may
// crash; what is accepted has a bounded shape.

#include <cstdint>
#include <string_view>

#include "backend/docker_answers.h"
#include "backend/workload_spec_rules.h"

namespace {

void checkObservation(const oh::control::WorkloadObservation& o) {
  if (o.name.empty() || o.name.size() > 256 || o.backend_id.empty() || o.backend_id.size() > 128 ||
      o.address.size() > 45 || o.labels.size() > 256) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto inspected = oh::control::parseContainerInspect(input, "oh-user-"); inspected.ok()) {
    checkObservation(*inspected);
  }
  if (const auto listed = oh::control::parseContainerList(input, "oh-user-"); listed.ok()) {
    for (const auto& o : *listed) {
      checkObservation(o);
    }
  }
  if (oh::control::dockerMessage(input).size() > 303) {
    __builtin_trap();
  }
  oh::control::PullProgress progress;
  progress.feed(input.substr(0, size / 2));
  progress.feed(input.substr(size / 2));
  if (const auto error = progress.finish(); error && error->size() > 303) {
    __builtin_trap();
  }
  // The rules never touch the file system outside what the path names; a root that does not
  // exist keeps the fuzzer's paths hypothetical.
  static const oh::control::WorkloadRules rules{"/nonexistent-oh-fuzz/ws", "oh-user-", "/nonexistent-oh-fuzz/d.sock"};
  oh::control::WorkloadSpec spec;
  spec.name = "oh-sandbox-f";
  spec.image = std::string(input.substr(0, size / 3));
  spec.network = std::string(input.substr(size / 3, size / 3));
  spec.workspace = std::string(input.substr(2 * (size / 3)));
  (void)oh::control::refusalOf(spec, rules);
  return 0;
}
