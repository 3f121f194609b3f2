#include "remote_sandbox_service.h"

#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/digest.h"
#include "common/text.h"
#include "identifiers.h"

namespace oh::appserver_standin {

namespace json = boost::json;
using common::failure;

namespace {

// RSS:65-68.
constexpr int kAgentServerPort = 60000;
constexpr int kVscodePort = 60001;
constexpr int kWorker1Port = 12000;
constexpr int kWorker2Port = 12001;

constexpr const char* kStoredColumns = "SELECT id, sandbox_spec_id, created_at, session_api_key_hash FROM v1_remote_sandbox";

const json::value* field(const json::value& object, std::string_view name) {
  if (!object.is_object()) return nullptr;
  return object.as_object().if_contains(name);
}

std::optional<std::string> stringField(const json::value& object, std::string_view name) {
  const auto* value = field(object, name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

}  // namespace

std::optional<std::string> SandboxInfo::agentServerUrl() const {
  if (!exposed_urls) return std::nullopt;
  for (const ExposedUrl& exposed : *exposed_urls) {
    if (exposed.name == "AGENT_SERVER") return exposed.url;
  }
  return std::nullopt;
}

json::value toJson(const SandboxInfo& sandbox) {
  json::object out{{"id", sandbox.id},
                   {"created_by_user_id", nullptr},
                   {"sandbox_spec_id", sandbox.sandbox_spec_id},
                   {"status", sandbox.status},
                   {"session_api_key", nullptr},
                   {"exposed_urls", nullptr},
                   {"created_at", sandbox.created_at}};
  if (sandbox.session_api_key) out["session_api_key"] = *sandbox.session_api_key;
  if (sandbox.exposed_urls) {
    json::array urls;
    for (const ExposedUrl& exposed : *sandbox.exposed_urls) {
      urls.push_back(json::object{{"name", exposed.name}, {"url", exposed.url}, {"port", exposed.port}});
    }
    out["exposed_urls"] = std::move(urls);
  }
  return out;
}

std::string buildServiceUrl(const std::string& url, const std::string& service_name, const std::string& runtime_id) {
  const auto parsed = parseUrl(url);
  if (!parsed) return url;
  const auto scheme_end = url.find("://") + 3;
  const auto path_start = url.find('/', scheme_end);
  const std::string netloc = url.substr(scheme_end, path_start == std::string::npos ? std::string::npos : path_start - scheme_end);
  std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (const auto query = path.find_first_of("?#"); query != std::string::npos) path.resize(query);
  if (path.empty()) path = "/";
  if (path.rfind("/" + runtime_id, 0) == 0) {
    return parsed->scheme + "://" + netloc + "/" + runtime_id + "/" + service_name;
  }
  return parsed->scheme + "://" + service_name + "-" + netloc + path;
}

std::string sandboxStatusOf(const json::value* runtime) {
  if (runtime == nullptr || !runtime->is_object()) return "MISSING";
  const auto status = stringField(*runtime, "status");
  if (!status) return "MISSING";
  const std::string lowered = common::lowercaseAscii(*status);
  if (lowered == "running") return "RUNNING";
  if (lowered == "paused") return "PAUSED";
  if (lowered == "stopped") return "MISSING";
  if (lowered == "starting") return "STARTING";
  if (lowered == "error") return "ERROR";
  return "MISSING";
}

std::string hashSessionApiKey(const std::string& session_api_key) {
  return common::hexEncode(common::sha256(session_api_key));
}

std::string randomSandboxId() { return randomBase62(16); }

RemoteSandboxService::RemoteSandboxService(const AppConfig& config, Database& database, ProxySettings proxy)
    : config_(config), database_(database), proxy_(std::move(proxy)),
      timeout_(std::chrono::seconds(config.httpx_timeout_seconds)) {}

HttpReply RemoteSandboxService::callApi(const std::string& method, const std::string& path,
                                        const std::optional<std::string>& body) {
  HttpCall call;
  call.method = method;
  call.url = config_.sandbox_api_url + path;  // RSS:126
  call.headers = {{"X-API-Key", config_.sandbox_api_key}};
  call.json_body = body;
  call.timeout = timeout_;
  HttpReply reply = sendHttp(call, proxy_);
  if (reply.status == 0) std::fprintf(stderr, "sandbox api %s %s: %s\n", method.c_str(), path.c_str(), reply.error.c_str());
  return reply;
}

common::Result<json::value> RemoteSandboxService::getRuntime(const std::string& sandbox_id) {
  // RSS:225-232: raise_for_status, then the JSON.
  const HttpReply reply = callApi("GET", "/sessions/" + sandbox_id);
  if (!reply.ok()) return failure("GET /sessions/" + sandbox_id + ": " + (reply.status ? std::to_string(reply.status) : reply.error));
  boost::system::error_code ec;
  auto runtime = json::parse(reply.body, ec);
  if (ec) return failure("GET /sessions/" + sandbox_id + ": not JSON");
  return runtime;
}

common::Result<SandboxInfo> RemoteSandboxService::toSandboxInfo(const SqlRow& stored, const json::value* runtime) const {
  SandboxInfo info;
  info.id = stored.at(0).value_or("");
  info.sandbox_spec_id = stored.at(1).value_or("");
  info.created_at = isoTimestamp(stored.at(2));
  info.status = sandboxStatusOf(runtime);
  if (runtime == nullptr || !runtime->is_object()) return info;
  // runtime['session_api_key'] is indexed (RSS:144): a runtime without the field is an error.
  const auto* key = field(*runtime, "session_api_key");
  if (key == nullptr) return failure("runtime of " + info.id + " has no session_api_key");
  if (key->is_string()) info.session_api_key = std::string(key->as_string());
  if (info.status != "RUNNING") return info;
  std::vector<ExposedUrl> urls;
  if (const auto url = stringField(*runtime, "url"); url && !url->empty()) {
    const auto runtime_id = stringField(*runtime, "runtime_id");
    if (!runtime_id) return failure("running runtime of " + info.id + " has no runtime_id");
    urls.push_back({"AGENT_SERVER", *url, kAgentServerPort});
    urls.push_back({"VSCODE",
                    buildServiceUrl(*url, "vscode", *runtime_id) + "?tkn=" + info.session_api_key.value_or("None") +
                        "&folder=%2Fworkspace%2Fproject",
                    kVscodePort});
    urls.push_back({"WORKER_1", buildServiceUrl(*url, "work-1", *runtime_id), kWorker1Port});
    urls.push_back({"WORKER_2", buildServiceUrl(*url, "work-2", *runtime_id), kWorker2Port});
  }
  info.exposed_urls = std::move(urls);
  return info;
}

json::object RemoteSandboxService::startRequestBody(const std::string& sandbox_id) const {
  // The spec's initial_env (remote_sandbox_spec_service.py:21-37), the agent env last.
  json::object environment{{"OPENVSCODE_SERVER_ROOT", "/openhands/.openvscode-server"},
                           {"LOG_JSON", "true"},
                           {"OH_ENABLE_VNC", "0"},
                           {"OH_CONVERSATIONS_PATH", "/workspace/conversations"},
                           {"OH_BASH_EVENTS_DIR", "/workspace/bash_events"},
                           {"OH_VSCODE_PORT", "60001"}};
  for (const auto& [name, value] : config_.agent_server_env) environment[name] = value;
  // _init_environment (RSS:268-287).
  if (config_.web_url) {
    environment["OH_WEBHOOKS_0_BASE_URL"] = *config_.web_url + "/api/v1/webhooks";
    environment["OH_ALLOW_CORS_ORIGINS_0"] = *config_.web_url;
  }
  environment["WORKER_1"] = std::to_string(kWorker1Port);
  environment["WORKER_2"] = std::to_string(kWorker2Port);
  json::object body{{"image", config_.agent_server_image},
                    {"command", json::array{"/usr/local/bin/openhands-agent-server", "--port", "60000"}},
                    {"working_dir", "/workspace"},
                    {"environment", std::move(environment)},
                    {"session_id", sandbox_id},
                    {"resource_factor", config_.resource_factor},
                    {"run_as_user", 10001},
                    {"run_as_group", 10001},
                    {"fs_group", 10001}};
  if (config_.runtime_class_sysbox) body["runtime_class"] = "sysbox-runc";
  return body;
}

common::Result<bool> RemoteSandboxService::pauseOldSandboxes(int max_num_sandboxes) {
  // RSS:621-661. GET /list without a status check; content['runtimes'] must exist (a KeyError
  // otherwise aborts the start).
  const HttpReply reply = callApi("GET", "/list");
  if (reply.status == 0) return failure("GET /list: " + reply.error);
  boost::system::error_code ec;
  const auto content = json::parse(reply.body, ec);
  const auto* runtimes = ec ? nullptr : field(content, "runtimes");
  if (runtimes == nullptr || !runtimes->is_array()) return failure("GET /list: no runtimes list");
  std::size_t running = 0;
  for (const auto& runtime : runtimes->as_array()) {
    const auto id = stringField(runtime, "session_id");
    if (!id) continue;
    auto rows = database_.run("SELECT id FROM v1_remote_sandbox WHERE id = $1", {*id});
    if (rows && !rows->empty()) ++running;
  }
  if (running > static_cast<std::size_t>(max_num_sandboxes)) {
    // The real one then reads `.id` off SQLAlchemy Row tuples (RSS:643-661), an AttributeError
    // its per-sandbox `except Exception: pass` swallows: nothing is paused. So here.
    std::fprintf(stderr, "pause_old_sandboxes: %zu running > %d; none paused (as RSS:643-661 behaves)\n", running,
                 max_num_sandboxes);
  }
  return true;
}

common::Result<SandboxInfo> RemoteSandboxService::startSandbox(const std::optional<std::string>& requested_id) {
  auto paused = pauseOldSandboxes(config_.max_num_sandboxes - 1);
  if (!paused) return failure(paused.error().reason);
  const std::string sandbox_id = requested_id.value_or(randomSandboxId());
  const std::string created_at = nowTimestamp();
  const json::object body = startRequestBody(sandbox_id);
  const HttpReply reply = callApi("POST", "/start", json::serialize(body));
  if (!reply.ok()) {
    // httpx.HTTPError → SandboxError('Failed to start sandbox: …') (RSS:520-522); the record,
    // added to the session before, is rolled back with it.
    return failure("Failed to start sandbox: " + (reply.status ? "HTTP " + std::to_string(reply.status) : reply.error));
  }
  boost::system::error_code ec;
  const auto runtime = json::parse(reply.body, ec);
  if (ec || !runtime.is_object()) return failure("Failed to start sandbox: the reply is not a JSON object");
  SqlValue key_hash;
  if (const auto key = stringField(runtime, "session_api_key"); key && !key->empty()) key_hash = hashSessionApiKey(*key);
  auto stored = database_.run(
      "INSERT INTO v1_remote_sandbox (id, created_by_user_id, sandbox_spec_id, created_at, session_api_key_hash) "
      "VALUES ($1, NULL, $2, $3, $4)",
      {sandbox_id, config_.agent_server_image, created_at, key_hash});
  if (!stored) return failure(stored.error().reason);
  std::fprintf(stderr, "Started sandbox %s with runtime_id=%s\n", sandbox_id.c_str(),
               stringField(runtime, "runtime_id").value_or("unknown").c_str());
  return toSandboxInfo(SqlRow{sandbox_id, config_.agent_server_image, created_at, key_hash}, &runtime);
}

common::Result<std::optional<SandboxInfo>> RemoteSandboxService::getSandbox(const std::string& sandbox_id) {
  auto rows = database_.run(std::string(kStoredColumns) + " WHERE id = $1", {sandbox_id});
  if (!rows) return failure(rows.error().reason);
  if (rows->empty()) return std::optional<SandboxInfo>();
  auto runtime = getRuntime(sandbox_id);
  if (!runtime) std::fprintf(stderr, "Error getting runtime: %s\n", runtime.error().reason.c_str());
  auto info = toSandboxInfo(rows->front(), runtime ? &runtime.value() : nullptr);
  if (!info) return failure(info.error().reason);
  return std::optional<SandboxInfo>(std::move(info.value()));
}

common::Result<std::vector<std::optional<SandboxInfo>>> RemoteSandboxService::batchGetSandboxes(
    const std::vector<std::string>& ids) {
  std::vector<std::optional<SandboxInfo>> out;
  if (ids.empty()) return out;
  std::map<std::string, SqlRow> stored;
  for (const std::string& id : ids) {
    auto rows = database_.run(std::string(kStoredColumns) + " WHERE id = $1", {id});
    if (!rows) return failure(rows.error().reason);
    if (!rows->empty()) stored.emplace(id, rows->front());
  }
  // _get_runtimes_batch (RSS:234-266): one GET with ids=…; an HTTP error propagates.
  std::map<std::string, json::value> runtimes;
  if (!stored.empty()) {
    std::string query;
    for (const auto& [id, row] : stored) query += (query.empty() ? "?ids=" : "&ids=") + common::percentEncode(id);
    const HttpReply reply = callApi("GET", "/sessions/batch" + query);
    if (!reply.ok()) return failure("GET /sessions/batch: " + (reply.status ? std::to_string(reply.status) : reply.error));
    boost::system::error_code ec;
    const auto batch = json::parse(reply.body, ec);
    if (ec || !batch.is_array()) return failure("GET /sessions/batch: not a JSON list");
    for (const auto& runtime : batch.as_array()) {
      if (const auto id = stringField(runtime, "session_id")) runtimes[*id] = runtime;
    }
  }
  for (const std::string& id : ids) {
    const auto row = stored.find(id);
    if (row == stored.end()) {
      out.emplace_back(std::nullopt);
      continue;
    }
    const auto runtime = runtimes.find(id);
    auto info = toSandboxInfo(row->second, runtime == runtimes.end() ? nullptr : &runtime->second);
    if (!info) return failure(info.error().reason);
    out.emplace_back(std::move(info.value()));
  }
  return out;
}

common::Result<std::pair<std::vector<SandboxInfo>, std::optional<std::string>>> RemoteSandboxService::searchSandboxes(
    const std::optional<std::string>& page_id, int limit) {
  const long offset = offsetOfPage(page_id);
  auto rows = database_.run("SELECT id FROM v1_remote_sandbox ORDER BY created_at DESC LIMIT $1 OFFSET $2",
                            {std::to_string(limit + 1), std::to_string(offset)});
  if (!rows) return failure(rows.error().reason);
  std::optional<std::string> next;
  if (rows->size() > static_cast<std::size_t>(limit)) {
    rows->resize(static_cast<std::size_t>(limit));
    next = std::to_string(offset + limit);
  }
  std::vector<std::string> ids;
  for (const auto& row : *rows) ids.push_back(row.at(0).value_or(""));
  auto batch = batchGetSandboxes(ids);
  if (!batch) return failure(batch.error().reason);
  std::vector<SandboxInfo> items;
  for (auto& item : batch.value()) {
    if (item) items.push_back(std::move(*item));
  }
  return std::make_pair(std::move(items), next);
}

common::Result<bool> RemoteSandboxService::resumeSandbox(const std::string& sandbox_id) {
  auto paused = pauseOldSandboxes(config_.max_num_sandboxes - 1);
  if (!paused) return failure(paused.error().reason);
  auto rows = database_.run("SELECT id FROM v1_remote_sandbox WHERE id = $1", {sandbox_id});
  if (!rows) return failure(rows.error().reason);
  if (rows->empty()) return false;
  auto runtime = getRuntime(sandbox_id);
  if (!runtime) return false;  // an httpx.HTTPError: logged, False (RSS:560-563)
  const auto runtime_id = stringField(runtime.value(), "runtime_id");
  if (!runtime_id) return failure("runtime of " + sandbox_id + " has no runtime_id");
  const HttpReply reply = callApi("POST", "/resume", json::serialize(json::object{{"runtime_id", *runtime_id}}));
  if (reply.status == 404 || !reply.ok()) return false;
  boost::system::error_code ec;
  const auto answer = json::parse(reply.body, ec);
  if (ec) return failure("POST /resume: not JSON");
  if (const auto key = stringField(answer, "session_api_key"); key && !key->empty()) {
    auto updated = database_.run("UPDATE v1_remote_sandbox SET session_api_key_hash = $1 WHERE id = $2",
                                 {hashSessionApiKey(*key), sandbox_id});
    if (!updated) return failure(updated.error().reason);
  }
  return true;
}

common::Result<bool> RemoteSandboxService::pauseSandbox(const std::string& sandbox_id) {
  auto rows = database_.run("SELECT id FROM v1_remote_sandbox WHERE id = $1", {sandbox_id});
  if (!rows) return failure(rows.error().reason);
  if (rows->empty()) return false;
  // The key hash is cleared first (RSS:576-579).
  auto cleared = database_.run("UPDATE v1_remote_sandbox SET session_api_key_hash = NULL WHERE id = $1", {sandbox_id});
  if (!cleared) return failure(cleared.error().reason);
  auto runtime = getRuntime(sandbox_id);
  if (!runtime) return false;
  const auto runtime_id = stringField(runtime.value(), "runtime_id");
  if (!runtime_id) return failure("runtime of " + sandbox_id + " has no runtime_id");
  const HttpReply reply = callApi("POST", "/pause", json::serialize(json::object{{"runtime_id", *runtime_id}}));
  return reply.ok();
}

common::Result<std::optional<SandboxInfo>> RemoteSandboxService::getSandboxBySessionApiKey(
    const std::string& session_api_key) {
  auto rows = database_.run(std::string(kStoredColumns) + " WHERE session_api_key_hash = $1",
                            {hashSessionApiKey(session_api_key)});
  if (!rows) return failure(rows.error().reason);
  if (!rows->empty()) {
    auto runtime = getRuntime(rows->front().at(0).value_or(""));
    auto info = toSandboxInfo(rows->front(), runtime ? &runtime.value() : nullptr);
    if (!info) return failure(info.error().reason);
    return std::optional<SandboxInfo>(std::move(info.value()));
  }
  // The legacy scan (RSS:352-406): a running runtime of /list whose key matches, then every
  // stored sandbox's runtime; a match backfills the hash.
  const HttpReply reply = callApi("GET", "/list");
  boost::system::error_code ec;
  const auto content = reply.ok() ? json::parse(reply.body, ec) : json::value();
  std::vector<std::string> candidates;
  if (const auto* runtimes = field(content, "runtimes"); runtimes != nullptr && runtimes->is_array()) {
    for (const auto& runtime : runtimes->as_array()) {
      if (stringField(runtime, "session_api_key") == session_api_key) {
        if (const auto id = stringField(runtime, "session_id")) candidates.push_back(*id);
      }
    }
  }
  auto all = database_.run("SELECT id FROM v1_remote_sandbox");
  if (!all) return failure(all.error().reason);
  for (const auto& row : all.value()) candidates.push_back(row.at(0).value_or(""));
  for (const std::string& id : candidates) {
    auto stored = database_.run(std::string(kStoredColumns) + " WHERE id = $1", {id});
    if (!stored || stored->empty()) continue;
    auto runtime = getRuntime(id);
    if (!runtime || stringField(runtime.value(), "session_api_key") != session_api_key) continue;
    (void)database_.run("UPDATE v1_remote_sandbox SET session_api_key_hash = $1 WHERE id = $2",
                        {hashSessionApiKey(session_api_key), id});
    auto info = toSandboxInfo(stored->front(), &runtime.value());
    if (!info) return failure(info.error().reason);
    return std::optional<SandboxInfo>(std::move(info.value()));
  }
  return std::optional<SandboxInfo>();
}

common::Result<SandboxInfo> RemoteSandboxService::waitForSandboxRunning(const std::string& sandbox_id,
                                                                        std::chrono::seconds timeout,
                                                                        std::chrono::seconds poll_interval) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start <= timeout) {
    auto sandbox = getSandbox(sandbox_id);
    if (!sandbox) return failure(sandbox.error().reason);
    if (!sandbox.value()) return failure("Sandbox not found: " + sandbox_id);
    const SandboxInfo& info = *sandbox.value();
    if (info.status == "ERROR") return failure("Sandbox entered error state: " + sandbox_id);
    if (info.status == "RUNNING") {
      const auto url = info.agentServerUrl();
      if (!url) return info;
      // _check_agent_server_alive: GET {url}/alive with a 5 s timeout (sandbox_service.py:128-150).
      std::string alive = *url;
      while (!alive.empty() && alive.back() == '/') alive.pop_back();
      HttpCall call;
      call.url = alive + "/alive";
      call.timeout = std::chrono::seconds(5);
      const HttpReply reply = sendHttp(call, proxy_);
      if (reply.ok()) return info;
      std::fprintf(stderr, "Agent server health check failed for sandbox %s: %s\n", sandbox_id.c_str(),
                   reply.status ? std::to_string(reply.status).c_str() : reply.error.c_str());
    }
    std::this_thread::sleep_for(poll_interval);
  }
  return failure("Sandbox failed to start within " + std::to_string(timeout.count()) + "s: " + sandbox_id);
}

}  // namespace oh::appserver_standin
