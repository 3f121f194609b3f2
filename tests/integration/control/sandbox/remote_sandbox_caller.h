#pragma once
// The calls OpenHands 1.7.0's RemoteSandboxService makes to the remote sandbox API
// (openhands/app_server/sandbox/remote_sandbox_service.py at ramijawadii/OpenHands
// 39699665740748133b14428fee2bbae558fc1f6e), byte for byte as its httpx 0.28.1 client sends them
// (poetry.lock:3503-3504): the URL is api_url + path (:126), X-API-Key on every call (:128),
// JSON bodies compact (httpx 0.28's json_dumps separators), a 15 s timeout
// (services/httpx_client_injector.py:18,27). One connection per call.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace oh::testing {

struct SandboxApiReply {
  int status = 0;                 // 0: no answer within the timeout
  std::string body;
  boost::json::value json;        // null unless the body is JSON
  std::optional<std::string> retry_after;
};

// POST /start's body (:482-492) for the default spec of remote_sandbox_spec_service.py:21-37
// (environment from sandbox_spec_service.py:74-133 without LLM_* variables, plus the worker
// ports of :284-285; no web_url, so no webhook variables).
boost::json::object openHandsStartBody(const std::string& sandbox_id, const std::string& image);

class RemoteSandboxCaller {
public:
  RemoteSandboxCaller(std::uint16_t port, std::string api_key) : port_(port), api_key_(std::move(api_key)) {}

  SandboxApiReply start(const boost::json::object& body) const;       // POST /start (:499-503)
  SandboxApiReply get(const std::string& id) const;                   // GET /sessions/{id} (:225-232)
  SandboxApiReply batch(const std::vector<std::string>& ids) const;   // GET /sessions/batch?ids= (:248-255)
  SandboxApiReply list() const;                                       // GET /list (:634-637)
  SandboxApiReply resume(const std::string& runtime_id) const;        // POST /resume (:539-543)
  SandboxApiReply pause(const std::string& runtime_id) const;         // POST /pause (:581-585)
  SandboxApiReply stop(const std::string& runtime_id) const;          // POST /stop (:609-613)

  // Any request with this caller's headers (hostile ones included); body sent as given.
  SandboxApiReply send(const std::string& method, const std::string& target, const std::optional<std::string>& body,
                       bool with_key = true) const;

private:
  std::uint16_t port_;
  std::string api_key_;
};

}  // namespace oh::testing
