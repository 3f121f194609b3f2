#pragma once
// The remote sandbox service of OpenHands 1.7.0 (openhands/app_server/sandbox/
// remote_sandbox_service.py, "RSS"): the v1_remote_sandbox records and the calls to the sandbox
// API, made as RSS makes them (X-API-Key, api_url + path, the same bodies and the same handling
// of each answer). The user id is None, as in OSS (user_auth/default_user_auth.py:32-34), so
// records carry no owner and no query filters by owner (RSS:211-216).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "app_config.h"
#include "common/result.h"
#include "database.h"
#include "http_client.h"

namespace oh::appserver_standin {

struct ExposedUrl {
  std::string name;  // AGENT_SERVER, VSCODE, WORKER_1, WORKER_2 (sandbox/sandbox_models.py:27-30)
  std::string url;
  int port = 0;
};

struct SandboxInfo {
  std::string id;
  std::string sandbox_spec_id;
  std::string status;  // STARTING RUNNING PAUSED ERROR MISSING (sandbox_models.py:9-14)
  std::optional<std::string> session_api_key;
  std::optional<std::vector<ExposedUrl>> exposed_urls;
  std::string created_at;

  std::optional<std::string> agentServerUrl() const;
};

boost::json::value toJson(const SandboxInfo& sandbox);

// RSS:697-711.
std::string buildServiceUrl(const std::string& url, const std::string& service_name, const std::string& runtime_id);
// RSS:58-64, 191-209: a runtime's status string to SandboxStatus.
std::string sandboxStatusOf(const boost::json::value* runtime);

class RemoteSandboxService {
public:
  RemoteSandboxService(const AppConfig& config, Database& database, ProxySettings proxy);

  // RSS:441-522 (with pause_old_sandboxes first, RSS:447).
  common::Result<SandboxInfo> startSandbox(const std::optional<std::string>& sandbox_id);
  // RSS:336-350: nullopt when there is no record; any error of the API means no runtime (MISSING).
  common::Result<std::optional<SandboxInfo>> getSandbox(const std::string& sandbox_id);
  // RSS:663-686.
  common::Result<std::vector<std::optional<SandboxInfo>>> batchGetSandboxes(const std::vector<std::string>& ids);
  // RSS:289-334 (offset paging, newest first).
  common::Result<std::pair<std::vector<SandboxInfo>, std::optional<std::string>>> searchSandboxes(
      const std::optional<std::string>& page_id, int limit);
  // RSS:524-563 and 565-593: false when the sandbox does not exist (404 to the browser).
  common::Result<bool> resumeSandbox(const std::string& sandbox_id);
  common::Result<bool> pauseSandbox(const std::string& sandbox_id);
  // RSS:408-439, with the legacy /list scan (RSS:352-406) when no stored hash matches.
  common::Result<std::optional<SandboxInfo>> getSandboxBySessionApiKey(const std::string& session_api_key);
  // sandbox_service.py:78-150: polls every poll_interval until RUNNING and {url}/alive answers.
  common::Result<SandboxInfo> waitForSandboxRunning(const std::string& sandbox_id, std::chrono::seconds timeout,
                                                    std::chrono::seconds poll_interval);

  // The JSON body of POST /start for a sandbox id (RSS:268-287, 482-496), for tests.
  boost::json::object startRequestBody(const std::string& sandbox_id) const;

  const ProxySettings& proxy() const { return proxy_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

private:
  HttpReply callApi(const std::string& method, const std::string& path, const std::optional<std::string>& body = {});
  common::Result<boost::json::value> getRuntime(const std::string& sandbox_id);
  common::Result<bool> pauseOldSandboxes(int max_num_sandboxes);
  common::Result<SandboxInfo> toSandboxInfo(const SqlRow& stored, const boost::json::value* runtime) const;

  const AppConfig& config_;
  Database& database_;
  ProxySettings proxy_;
  std::chrono::milliseconds timeout_;
};

// SHA-256 hex of a session API key (RSS:71-73).
std::string hashSessionApiKey(const std::string& session_api_key);
// base62 of 16 random bytes, as base62.encodebytes(os.urandom(16)) (RSS:462-464).
std::string randomSandboxId();

}  // namespace oh::appserver_standin
