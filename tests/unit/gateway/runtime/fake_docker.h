#pragma once
// A canned Docker Engine API on a Unix socket for ContainerDirectory's unit tests: answers
// GET /containers/json with whatever the test set (well-formed or hostile) and keeps GET /events
// connections open so the test can push event objects or drop the stream. POSIX sockets and
// threads only; the real Docker/Podman runs in tests/integration/runtime.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace oh::gateway::testing {

class FakeDocker {
public:
  explicit FakeDocker(std::string socket_path);
  ~FakeDocker();

  // The body of 200 answers to /containers/json (any query).
  void setList(std::string body);
  // A complete raw answer (status line, headers, body) instead, for hostile cases.
  void setRawListAnswer(std::string raw);
  // Writes one chunk to every open /events connection.
  void pushEvent(const std::string& json);
  // Closes every open /events connection.
  void dropEvents();
  // When false, /events requests get no answer head (like Podman before its first event).
  void setEventsHeadEarly(bool early) { events_head_early_ = early; }

  int listRequests() const { return list_requests_.load(); }
  int eventConnections() const { return event_connections_.load(); }

private:
  void acceptLoop();
  void serve(int fd);

  std::string path_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> events_head_early_{true};
  std::atomic<int> list_requests_{0};
  std::atomic<int> event_connections_{0};
  std::mutex mutex_;
  std::string list_answer_;
  std::vector<int> event_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace oh::gateway::testing
