#include "remote_sandbox_caller.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "support/raw_client.h"

namespace oh::testing {

namespace json = boost::json;

json::object openHandsStartBody(const std::string& sandbox_id, const std::string& image) {
  return json::object{
      {"image", image},
      {"command", json::array{"/usr/local/bin/openhands-agent-server", "--port", "60000"}},
      {"working_dir", "/workspace"},
      {"environment",
       json::object{{"OPENVSCODE_SERVER_ROOT", "/openhands/.openvscode-server"},
                    {"LOG_JSON", "true"},
                    {"OH_ENABLE_VNC", "0"},
                    {"OH_CONVERSATIONS_PATH", "/workspace/conversations"},
                    {"OH_BASH_EVENTS_DIR", "/workspace/bash_events"},
                    {"OH_VSCODE_PORT", "60001"},
                    {"WORKER_1", "12000"},
                    {"WORKER_2", "12001"}}},
      {"session_id", sandbox_id},
      {"resource_factor", 1},
      {"run_as_user", 10001},
      {"run_as_group", 10001},
      {"fs_group", 10001},
  };
}

SandboxApiReply RemoteSandboxCaller::send(const std::string& method, const std::string& target,
                                          const std::optional<std::string>& body, bool with_key) const {
  SandboxApiReply reply;
  RawClient client(port_, std::chrono::seconds(15));
  if (!client.connected()) {
    return reply;
  }
  // httpx 0.28.1's default headers, in its order, then the call's own.
  std::string head = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                     "\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n"
                     "User-Agent: python-httpx/0.28.1\r\n";
  if (with_key) {
    head += "X-API-Key: " + api_key_ + "\r\n";
  }
  if (body) {
    head += "Content-Length: " + std::to_string(body->size()) + "\r\nContent-Type: application/json\r\n";
  }
  head += "\r\n";
  if (!client.send(head + body.value_or(""))) {
    return reply;
  }
  ReadOptions options;
  options.timeout = std::chrono::seconds(15);
  auto response = client.readResponse(options);
  if (!response) {
    return reply;
  }
  reply.status = response->status;
  reply.body = response->body;
  reply.retry_after = response->header("Retry-After");
  boost::system::error_code ec;
  auto parsed = json::parse(reply.body, ec);
  if (!ec) {
    reply.json = std::move(parsed);
  }
  return reply;
}

SandboxApiReply RemoteSandboxCaller::start(const json::object& body) const {
  return send("POST", "/start", json::serialize(body));
}

SandboxApiReply RemoteSandboxCaller::get(const std::string& id) const { return send("GET", "/sessions/" + id, std::nullopt); }

SandboxApiReply RemoteSandboxCaller::batch(const std::vector<std::string>& ids) const {
  std::string target = "/sessions/batch";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    target += (i == 0 ? "?ids=" : "&ids=") + ids[i];  // base62 ids need no escaping
  }
  return send("GET", target, std::nullopt);
}

SandboxApiReply RemoteSandboxCaller::list() const { return send("GET", "/list", std::nullopt); }

SandboxApiReply RemoteSandboxCaller::resume(const std::string& runtime_id) const {
  return send("POST", "/resume", json::serialize(json::object{{"runtime_id", runtime_id}}));
}

SandboxApiReply RemoteSandboxCaller::pause(const std::string& runtime_id) const {
  return send("POST", "/pause", json::serialize(json::object{{"runtime_id", runtime_id}}));
}

SandboxApiReply RemoteSandboxCaller::stop(const std::string& runtime_id) const {
  return send("POST", "/stop", json::serialize(json::object{{"runtime_id", runtime_id}}));
}

}  // namespace oh::testing
