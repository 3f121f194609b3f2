#pragma once
// The live map from conversation to sandbox container (issue 5, DESIGN.md section 4): one
// GET /containers/json, then GET /events over the Docker Engine API's Unix socket (Docker or
// Podman), re-listing each container an event names; reconnect with backoff and a full re-list.
// Runs on its own thread; requests read the latest immutable ContainerIndex through an atomic
// shared pointer (no lock, no Docker call on the request path).
//
// Usage (the gateway's composition):
//   auto directory = ContainerDirectory::start(settings.runtime);   // once, at start
//   ... routeRuntime(address, identity, request, *directory, settings.runtime) per request
//   ... gate.notReadyReason() -> directory->notReadyReason()        // for /_gateway/ready
//   directory->stop();                                               // on shutdown (or destructor)

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "config/settings.h"
#include "runtime/container_index.h"

namespace oh::gateway {

struct ContainerDirectoryOptions {
  std::chrono::milliseconds initial_backoff{100};  // first retry after a failed connect or a dropped stream
  std::chrono::milliseconds max_backoff{2000};     // doubling stops here
  std::chrono::seconds request_timeout{10};        // one list request, connect to answer
  std::size_t max_list_bytes = 32 * 1024 * 1024;   // a container list answer (1,000 containers ~ 2 MB)
  std::size_t max_event_bytes = 64 * 1024;         // one event object
  std::size_t relist_all_threshold = 16;           // more pending containers than this: one full list
};

class ContainerDirectory {
public:
  // Starts following the Docker API at settings.docker_socket on a new thread. Never throws for
  // an unreachable socket: notReadyReason() says so until the first list succeeds.
  static std::shared_ptr<ContainerDirectory> start(const RuntimeSettings& settings,
                                                   ContainerDirectoryOptions options = {});

  // A directory that never talks to Docker: a fixed index and readiness (unit tests, benchmarks).
  static std::shared_ptr<ContainerDirectory> fixed(ContainerIndexPtr index,
                                                   std::optional<std::string> not_ready = std::nullopt);

  ~ContainerDirectory();
  ContainerDirectory(const ContainerDirectory&) = delete;
  ContainerDirectory& operator=(const ContainerDirectory&) = delete;

  // The current index; never null. Safe from any thread, lock-free for readers in practice.
  ContainerIndexPtr index() const { return index_.load(std::memory_order_acquire); }

  // "docker API unreachable: ..." while the socket cannot be listed; nullopt when current.
  std::optional<std::string> notReadyReason() const;

  // Stops the thread and closes the sockets; idempotent. The last index stays readable.
  void stop();

  // Incremented at every published index (tests wait on it instead of sleeping blindly).
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  struct Impl;  // the Docker API follower (Beast, in container_directory.cpp)

private:
  ContainerDirectory();
  void publish(ContainerIndexPtr index);
  void setNotReady(std::optional<std::string> reason);

  std::atomic<std::shared_ptr<const ContainerIndex>> index_;
  std::atomic<bool> ready_{false};
  std::atomic<std::shared_ptr<const std::string>> not_ready_;
  std::atomic<std::uint64_t> generation_{0};
  std::unique_ptr<Impl> impl_;
};

using ContainerDirectoryPtr = std::shared_ptr<ContainerDirectory>;

}  // namespace oh::gateway
