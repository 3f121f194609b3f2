#pragma once
// A canned Docker Engine API on a Unix socket for the Docker backend's unit tests: records each
// request (method, target, body) and answers it with whatever raw HTTP the test's responder
// returns, including hostile answers, no answer (the connection closed) and a hang. Serves one
// connection at a time (the backend's calls are sequential). POSIX sockets and a thread only.

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace oh::control::testing {

struct CannedRequest {
  std::string method;
  std::string target;
  std::string body;
};

class CannedDocker {
public:
  // What to send back for a request: raw bytes (status line, headers, body), kClose to close
  // without a byte, or kHang to say nothing until the client gives up.
  using Responder = std::function<std::string(const CannedRequest&)>;
  static inline const std::string kClose = "<close>";
  static inline const std::string kHang = "<hang>";

  // Listens at {a new temporary directory}/docker.sock.
  explicit CannedDocker(Responder responder);
  ~CannedDocker();
  CannedDocker(const CannedDocker&) = delete;
  CannedDocker& operator=(const CannedDocker&) = delete;

  const std::string& socketPath() const { return path_; }
  std::vector<CannedRequest> requests() const;

  // Raw answers: a JSON body with Content-Length, or the same body in chunks of `chunk` bytes.
  static std::string json(int status, const std::string& body);
  static std::string chunkedJson(int status, const std::string& body, std::size_t chunk);

private:
  void serve();

  Responder responder_;
  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<CannedRequest> requests_;
  std::thread thread_;
};

}  // namespace oh::control::testing
