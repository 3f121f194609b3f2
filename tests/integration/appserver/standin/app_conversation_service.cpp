#include "app_conversation_service.h"

#include <map>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "identifiers.h"

namespace oh::appserver_standin {

namespace json = boost::json;
using common::failure;

namespace {

constexpr auto kSandboxStartupTimeout = std::chrono::seconds(120);   // LS sandbox_startup_timeout default
constexpr auto kSandboxStartupPoll = std::chrono::seconds(2);        // LS sandbox_startup_poll_frequency

constexpr const char* kConversationColumns =
    "SELECT conversation_id, title, sandbox_id, llm_model, agent_kind, selected_repository, selected_branch, "
    "git_provider, \"trigger\", parent_conversation_id, created_at, last_updated_at FROM conversation_metadata";

std::optional<std::string> stringField(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

json::value nullable(const SqlValue& value) {
  if (!value) return nullptr;
  return json::value(*value);
}

std::string taskUuid(const SqlValue& stored) {
  if (!stored) return {};
  const auto hex = parseUuidHex(*stored);
  return hex ? dashedUuid(*hex) : *stored;
}

}  // namespace

AppConversationService::AppConversationService(Database& database, RemoteSandboxService& sandboxes,
                                               SettingsStore& settings, const AppConfig& config)
    : database_(database), sandboxes_(sandboxes), settings_(settings), config_(config) {}

common::Result<bool> AppConversationService::saveTask(const json::object& task) {
  const auto text = [&](std::string_view name) -> SqlValue {
    const auto* value = task.if_contains(name);
    if (value == nullptr || value->is_null()) return std::nullopt;
    if (value->is_string()) return std::string(value->as_string());
    return json::serialize(*value);
  };
  const auto uuid = [&](std::string_view name) -> SqlValue {
    const auto value = text(name);
    if (!value) return std::nullopt;
    return parseUuidHex(*value);
  };
  // save_app_conversation_start_task (sql_app_conversation_start_task_service.py): a merge by id.
  auto saved = database_.run(
      "INSERT INTO app_conversation_start_task (id, created_by_user_id, status, detail, app_conversation_id, "
      "sandbox_id, agent_server_url, request, created_at, updated_at) VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, $9) "
      "ON CONFLICT (id) DO UPDATE SET status = excluded.status, detail = excluded.detail, "
      "app_conversation_id = excluded.app_conversation_id, sandbox_id = excluded.sandbox_id, "
      "agent_server_url = excluded.agent_server_url, updated_at = excluded.updated_at",
      {uuid("id"), text("status"), text("detail"), uuid("app_conversation_id"), text("sandbox_id"),
       text("agent_server_url"), text("request"), text("created_at"), text("updated_at")});
  if (!saved) return failure(saved.error().reason);
  return true;
}

common::Result<json::value> AppConversationService::start(const json::object& request) {
  const std::string now = nowTimestamp();
  json::object task{{"id", dashedUuid(newUuidHex())},
                    {"created_by_user_id", nullptr},
                    {"status", "WORKING"},
                    {"detail", nullptr},
                    {"app_conversation_id", nullptr},
                    {"sandbox_id", nullptr},
                    {"agent_server_url", nullptr},
                    {"request", request},
                    {"created_at", now},
                    {"updated_at", now}};
  auto saved = saveTask(task);
  if (!saved) return failure(saved.error().reason);
  const std::lock_guard lock(threads_mutex_);
  threads_.emplace_back([this, task] { runStart(task); });
  return json::value(task);
}

void AppConversationService::joinStarts() {
  std::vector<std::thread> threads;
  {
    const std::lock_guard lock(threads_mutex_);
    threads.swap(threads_);
  }
  for (auto& thread : threads) thread.join();
}

json::object AppConversationService::startConversationRequest(const std::string& conversation_hex,
                                                              const json::object& request) {
  // _build_start_conversation_request_for_user (LS): the agent with the user's LLM settings, the
  // workspace at the spec's working dir (NO_GROUPING: no per-conversation subdirectory,
  // LS:315-318), the initial message. Tools, skills, hooks, MCP and secrets are left out.
  json::object llm{{"usage_id", "agent"}};
  auto settings = settings_.load();
  const json::object stored = settings && settings.value() ? *settings.value() : json::object{};
  std::optional<std::string> model = stringField(request, "llm_model");
  if (!model) model = stringField(stored, "llm_model");
  if (!model) {
    const auto found = config_.agent_server_env.find("LLM_MODEL");
    if (found != config_.agent_server_env.end()) model = found->second;
  }
  llm["model"] = model.value_or("claude-sonnet-4-20250514");
  if (const auto key = stringField(stored, "llm_api_key")) llm["api_key"] = *key;
  if (const auto base = stringField(stored, "llm_base_url")) llm["base_url"] = *base;
  json::object body{{"conversation_id", dashedUuid(conversation_hex)},
                    {"agent", json::object{{"kind", "Agent"}, {"llm", std::move(llm)}}},
                    {"workspace", json::object{{"kind", "LocalWorkspace"}, {"working_dir", "/workspace/project"}}},
                    {"confirmation_policy", json::object{{"kind", "NeverConfirm"}}},
                    {"initial_message", nullptr}};
  if (const auto* message = request.if_contains("initial_message")) body["initial_message"] = *message;
  return body;
}

void AppConversationService::runStart(json::object task) {
  const auto step = [&](const char* status) {
    task["status"] = status;
    task["updated_at"] = nowTimestamp();
    if (auto saved = saveTask(task); !saved) std::fprintf(stderr, "saving start task: %s\n", saved.error().reason.c_str());
  };
  const json::object request = task["request"].as_object();
  const auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "Error starting conversation: %s\n", why.c_str());
    task["detail"] = why;
    step("ERROR");
  };

  // _wait_for_sandbox_start (LS:755-827).
  std::optional<std::string> conversation_hex;
  if (const auto given = stringField(request, "conversation_id")) conversation_hex = parseUuidHex(*given);
  SandboxInfo sandbox;
  if (const auto requested = stringField(request, "sandbox_id"); requested && !requested->empty()) {
    auto found = sandboxes_.getSandbox(*requested);
    if (!found) return fail(found.error().reason);
    if (!found.value()) return fail("Sandbox not found: " + *requested);
    sandbox = *found.value();
  } else {
    auto started = sandboxes_.startSandbox(conversation_hex);
    if (!started) return fail(started.error().reason);
    sandbox = started.value();
  }
  task["sandbox_id"] = sandbox.id;
  step("WAITING_FOR_SANDBOX");
  if (sandbox.status == "PAUSED") {
    auto resumed = sandboxes_.resumeSandbox(sandbox.id);
    if (!resumed) return fail(resumed.error().reason);
  }
  if (sandbox.status == "ERROR") return fail("Sandbox status: SandboxStatus.ERROR");
  if (sandbox.status != "STARTING" && sandbox.status != "RUNNING" && sandbox.status != "PAUSED") {
    return fail("Sandbox not startable: " + sandbox.id);
  }
  auto running = sandboxes_.waitForSandboxRunning(sandbox.id, kSandboxStartupTimeout, kSandboxStartupPoll);
  if (!running) return fail(running.error().reason);

  // LS:298-303: the sandbox read again, its agent server URL.
  auto current = sandboxes_.getSandbox(sandbox.id);
  if (!current || !current.value() || !current.value()->agentServerUrl()) return fail("sandbox has no agent server URL");
  sandbox = *current.value();
  const std::string agent_server_url = *sandbox.agentServerUrl();
  const std::string conversation = conversation_hex.value_or(newUuidHex());

  task["agent_server_url"] = agent_server_url;
  step("STARTING_CONVERSATION");
  HttpCall call;
  call.method = "POST";
  call.url = agent_server_url + "/api/conversations";
  call.json_body = json::serialize(startConversationRequest(conversation, request));
  if (sandbox.session_api_key) call.headers.emplace_back("X-Session-API-Key", *sandbox.session_api_key);
  call.timeout = kSandboxStartupTimeout;
  const HttpReply reply = sendHttp(call, sandboxes_.proxy());
  if (!reply.ok()) {
    return fail("POST /api/conversations: " + (reply.status ? "HTTP " + std::to_string(reply.status) : reply.error));
  }
  boost::system::error_code ec;
  const auto info = json::parse(reply.body, ec);
  const auto id = !ec && info.is_object() ? stringField(info.as_object(), "id") : std::nullopt;
  const auto id_hex = id ? parseUuidHex(*id) : std::nullopt;
  if (!id_hex) return fail("the agent server's ConversationInfo has no valid id");
  std::optional<std::string> model;
  if (const auto* agent = info.as_object().if_contains("agent"); agent && agent->is_object()) {
    if (const auto* llm = agent->as_object().if_contains("llm"); llm && llm->is_object()) {
      model = stringField(llm->as_object(), "model");
    }
  }
  if (!model) model = stringField(startConversationRequest(conversation, request)["agent"].as_object()["llm"].as_object(), "model");

  // LS:385-402: the conversation's record, with its sandbox.
  const std::string now = nowTimestamp();
  auto stored = database_.run(
      "INSERT INTO conversation_metadata (conversation_id, user_id, title, sandbox_id, llm_model, agent_kind, "
      "selected_repository, selected_branch, git_provider, \"trigger\", pr_number, parent_conversation_id, tags, "
      "conversation_version, created_at, last_updated_at) VALUES ($1, NULL, $2, $3, $4, 'openhands', $5, $6, $7, $8, "
      "'[]', $9, '{}', 'V1', $10, $10)",
      {dashedUuid(*id_hex), "Conversation " + id_hex->substr(0, 5), sandbox.id, model,
       stringField(request, "selected_repository"), stringField(request, "selected_branch"),
       stringField(request, "git_provider"), stringField(request, "trigger"),
       stringField(request, "parent_conversation_id"), now});
  if (!stored) return fail(stored.error().reason);
  task["app_conversation_id"] = dashedUuid(*id_hex);
  step("READY");
}

common::Result<json::array> AppConversationService::batchGetStartTasks(const std::vector<std::string>& uuid_hexes) {
  json::array out;
  for (const std::string& hex : uuid_hexes) {
    auto rows = database_.run(
        "SELECT id, status, detail, app_conversation_id, sandbox_id, agent_server_url, request, created_at, updated_at "
        "FROM app_conversation_start_task WHERE id = $1",
        {hex});
    if (!rows) return failure(rows.error().reason);
    if (rows->empty()) {
      out.push_back(nullptr);
      continue;
    }
    const SqlRow& row = rows->front();
    boost::system::error_code ec;
    json::value request = row[6] ? json::parse(*row[6], ec) : json::value();
    if (ec) request = nullptr;
    out.push_back(json::object{{"id", taskUuid(row[0])},
                               {"created_by_user_id", nullptr},
                               {"status", nullable(row[1])},
                               {"detail", nullable(row[2])},
                               {"app_conversation_id", row[3] ? json::value(taskUuid(row[3])) : json::value()},
                               {"sandbox_id", nullable(row[4])},
                               {"agent_server_url", nullable(row[5])},
                               {"request", std::move(request)},
                               {"created_at", isoTimestamp(row[7])},
                               {"updated_at", isoTimestamp(row[8])}});
  }
  return out;
}

common::Result<std::vector<json::value>> AppConversationService::build(const std::vector<std::optional<SqlRow>>& rows) {
  // _build_app_conversations (LS:443-533): the sandboxes in one batch, then each running
  // sandbox's agent server asked for its conversations' execution status.
  std::vector<std::string> sandbox_ids;
  std::set<std::string> seen;
  for (const auto& row : rows) {
    if (row && (*row)[2] && seen.insert(*(*row)[2]).second) sandbox_ids.push_back(*(*row)[2]);
  }
  auto sandboxes = sandboxes_.batchGetSandboxes(sandbox_ids);
  if (!sandboxes) return failure(sandboxes.error().reason);
  std::map<std::string, SandboxInfo> by_id;
  for (auto& sandbox : sandboxes.value()) {
    if (sandbox) by_id.emplace(sandbox->id, *sandbox);
  }
  std::map<std::string, std::string> execution_status;  // conversation hex → status
  for (const auto& [id, sandbox] : by_id) {
    const auto url = sandbox.agentServerUrl();
    if (sandbox.status != "RUNNING" || !url) continue;
    std::string query;
    for (const auto& row : rows) {
      if (row && (*row)[2] == id && (*row)[0]) {
        const auto hex = parseUuidHex(*(*row)[0]);
        if (hex) query += (query.empty() ? "?ids=" : "&ids=") + *hex;
      }
    }
    HttpCall call;
    call.url = *url + "/api/conversations" + query;
    if (sandbox.session_api_key) call.headers.emplace_back("X-Session-API-Key", *sandbox.session_api_key);
    call.timeout = sandboxes_.timeout();
    const HttpReply reply = sendHttp(call, sandboxes_.proxy());
    boost::system::error_code ec;
    const auto infos = reply.ok() ? json::parse(reply.body, ec) : json::value();
    if (ec || !infos.is_array()) {
      std::fprintf(stderr, "Error getting OpenHands conversation status from sandbox %s\n", id.c_str());
      continue;
    }
    for (const auto& info : infos.as_array()) {
      if (!info.is_object()) continue;
      const auto conversation = stringField(info.as_object(), "id");
      const auto status = stringField(info.as_object(), "execution_status");
      if (conversation && status) {
        if (const auto hex = parseUuidHex(*conversation)) execution_status[*hex] = *status;
      }
    }
  }
  std::vector<json::value> out;
  for (const auto& row : rows) {
    if (!row) {
      out.emplace_back(nullptr);
      continue;
    }
    const auto hex = parseUuidHex((*row)[0].value_or("")).value_or("");
    const auto sandbox = (*row)[2] ? by_id.find(*(*row)[2]) : by_id.end();
    json::object conversation{{"id", dashedUuid(hex)},
                              {"created_by_user_id", nullptr},
                              {"sandbox_id", nullable((*row)[2])},
                              {"selected_repository", nullable((*row)[5])},
                              {"selected_branch", nullable((*row)[6])},
                              {"git_provider", nullable((*row)[7])},
                              {"title", nullable((*row)[1])},
                              {"trigger", nullable((*row)[8])},
                              {"pr_number", json::array{}},
                              {"llm_model", nullable((*row)[3])},
                              {"agent_kind", (*row)[4].value_or("openhands")},
                              {"metrics", nullptr},
                              {"parent_conversation_id", nullable((*row)[9])},
                              {"sub_conversation_ids", json::array{}},
                              {"public", nullptr},
                              {"tags", json::object{}},
                              {"created_at", isoTimestamp((*row)[10])},
                              {"updated_at", isoTimestamp((*row)[11])},
                              {"sandbox_status", sandbox == by_id.end() ? "MISSING" : sandbox->second.status},
                              {"execution_status", nullptr},
                              {"conversation_url", nullptr},
                              {"session_api_key", nullptr}};
    if (const auto status = execution_status.find(hex); status != execution_status.end()) {
      conversation["execution_status"] = status->second;
    }
    // _build_conversation (LS:574-610).
    if (sandbox != by_id.end() && sandbox->second.exposed_urls) {
      if (const auto url = sandbox->second.agentServerUrl()) conversation["conversation_url"] = *url + "/api/conversations/" + hex;
      if (sandbox->second.session_api_key) conversation["session_api_key"] = *sandbox->second.session_api_key;
    }
    out.emplace_back(std::move(conversation));
  }
  return out;
}

common::Result<json::array> AppConversationService::batchGet(const std::vector<std::string>& uuid_hexes) {
  std::vector<std::optional<SqlRow>> rows;
  for (const std::string& hex : uuid_hexes) {
    auto found = database_.run(std::string(kConversationColumns) + " WHERE conversation_id = $1", {dashedUuid(hex)});
    if (!found) return failure(found.error().reason);
    rows.push_back(found->empty() ? std::nullopt : std::optional<SqlRow>(found->front()));
  }
  auto built = build(rows);
  if (!built) return failure(built.error().reason);
  return json::array(built->begin(), built->end());
}

common::Result<json::object> AppConversationService::search(const std::optional<std::string>& sandbox_id,
                                                             bool include_sub_conversations,
                                                             const std::optional<std::string>& page_id, int limit) {
  const long offset = offsetOfPage(page_id);
  std::string sql = std::string(kConversationColumns) + " WHERE conversation_version = 'V1'";
  std::vector<SqlValue> params{std::to_string(limit + 1), std::to_string(offset)};
  if (sandbox_id) {
    sql += " AND sandbox_id = $3";
    params.push_back(*sandbox_id);
  }
  if (!include_sub_conversations) sql += " AND parent_conversation_id IS NULL";
  sql += " ORDER BY created_at DESC LIMIT $1 OFFSET $2";
  auto found = database_.run(sql, params);
  if (!found) return failure(found.error().reason);
  json::value next = nullptr;
  if (found->size() > static_cast<std::size_t>(limit)) {
    found->resize(static_cast<std::size_t>(limit));
    next = std::to_string(offset + limit);
  }
  std::vector<std::optional<SqlRow>> rows(found->begin(), found->end());
  auto built = build(rows);
  if (!built) return failure(built.error().reason);
  return json::object{{"items", json::array(built->begin(), built->end())}, {"next_page_id", next}};
}

common::Result<std::optional<std::string>> AppConversationService::sandboxOf(const std::string& uuid_hex) {
  auto found = database_.run("SELECT sandbox_id FROM conversation_metadata WHERE conversation_id = $1",
                             {dashedUuid(uuid_hex)});
  if (!found) return failure(found.error().reason);
  if (found->empty()) return std::optional<std::string>();
  return std::optional<std::string>(found->front().front().value_or(""));
}

common::Result<bool> AppConversationService::recordFromWebhook(const std::string& uuid_hex, const SandboxInfo& sandbox,
                                                               const std::optional<std::string>& llm_model) {
  // on_conversation_update (webhook_router.py:298-346): the existing title kept, else
  // "Conversation {hex}"; the sandbox and model from the report.
  const std::string now = nowTimestamp();
  auto saved = database_.run(
      "INSERT INTO conversation_metadata (conversation_id, user_id, title, sandbox_id, llm_model, agent_kind, pr_number, "
      "tags, conversation_version, created_at, last_updated_at) VALUES ($1, NULL, $2, $3, $4, 'openhands', '[]', '{}', "
      "'V1', $5, $5) ON CONFLICT (conversation_id) DO UPDATE SET sandbox_id = excluded.sandbox_id, "
      "llm_model = excluded.llm_model, last_updated_at = excluded.last_updated_at",
      {dashedUuid(uuid_hex), "Conversation " + uuid_hex, sandbox.id, llm_model, now});
  if (!saved) return failure(saved.error().reason);
  return true;
}

}  // namespace oh::appserver_standin
