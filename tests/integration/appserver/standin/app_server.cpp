#include "app_server.h"

#include <algorithm>
#include <charconv>
#include <variant>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "identifiers.h"

namespace oh::appserver_standin {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxJsonDepth = 32;

Response ok(const json::value& body) { return jsonResponse(200, json::serialize(body)); }
Response notFound() { return detailResponse(404, "Not Found"); }
Response methodNotAllowed() { return detailResponse(405, "Method Not Allowed"); }
Response serverError(const std::string& why) {
  std::fprintf(stderr, "internal error: %s\n", why.c_str());
  return jsonResponse(500, "Internal Server Error");
}

// FastAPI's RequestValidationError body (422).
Response validationError(std::string_view type, json::array loc, std::string_view message) {
  json::object error{{"type", type}, {"loc", std::move(loc)}, {"msg", message}, {"input", nullptr}};
  return jsonResponse(422, json::serialize(json::object{{"detail", json::array{std::move(error)}}}));
}

// The request body as a JSON value of the expected kind, or FastAPI's 422.
std::variant<json::value, Response> jsonBody(const Request& request, bool want_object) {
  if (request.body.empty()) return validationError("missing", json::array{"body"}, "Field required");
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec, json::storage_ptr(), options);
  if (ec) return validationError("json_invalid", json::array{"body", 0}, "JSON decode error");
  if (want_object && !body.is_object()) return validationError("dict_type", json::array{"body"}, "Input should be a valid dictionary");
  if (!want_object && !body.is_array()) return validationError("list_type", json::array{"body"}, "Input should be a valid list");
  return body;
}

// list[UUID] query validation as FastAPI does it (422 naming the index), or the hex forms.
std::variant<std::vector<std::string>, Response> uuidQuery(const Request& request, std::string_view name) {
  std::vector<std::string> out;
  const auto values = request.queryValues(name);
  if (values.empty()) return validationError("missing", json::array{"query", name}, "Field required");
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto hex = parseUuidHex(values[i]);
    if (!hex) return validationError("uuid_parsing", json::array{"query", name, i}, "Input should be a valid UUID");
    out.push_back(*hex);
  }
  return out;
}

// An int query parameter with FastAPI's bounds (gt=0, le=100), default 100.
std::variant<int, Response> limitQuery(const Request& request) {
  const auto text = request.queryValue("limit");
  if (!text) return 100;
  int value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || error != std::errc() || end != text->data() + text->size()) {
    return validationError("int_parsing", json::array{"query", "limit"}, "Input should be a valid integer");
  }
  if (value <= 0) return validationError("greater_than", json::array{"query", "limit"}, "Input should be greater than 0");
  if (value > 100) return validationError("less_than_equal", json::array{"query", "limit"}, "Input should be less than or equal to 100");
  return value;
}

// Pydantic's bool parsing of a query value.
std::optional<bool> boolQuery(const std::optional<std::string>& text) {
  if (!text) return false;
  static const char* kTrue[] = {"1", "true", "True", "TRUE", "yes", "on", "t", "y"};
  static const char* kFalse[] = {"0", "false", "False", "FALSE", "no", "off", "f", "n"};
  for (const char* word : kTrue) {
    if (*text == word) return true;
  }
  for (const char* word : kFalse) {
    if (*text == word) return false;
  }
  return std::nullopt;
}

}  // namespace

AppServer::AppServer(const AppConfig& config, Database& database, ProxySettings proxy)
    : config_(config), database_(database), sandboxes_(config, database, std::move(proxy)),
      settings_(config.persistence_dir), conversations_(database, sandboxes_, settings_, config) {}

bool AppServer::originAllowed(const std::string& origin) const {
  // LocalhostCORSMiddleware.is_allowed_origin (middleware.py:34-53): with no configured origins
  // every origin is allowed; otherwise the list decides.
  if (config_.permitted_cors_origins.empty()) return true;
  return std::find(config_.permitted_cors_origins.begin(), config_.permitted_cors_origins.end(), origin) !=
         config_.permitted_cors_origins.end();
}

void AppServer::applyMiddlewares(const Request& request, Response& response) const {
  // CacheControlMiddleware (middleware.py:56-72).
  if (request.path.rfind("/assets", 0) == 0) {
    response.headers.emplace_back("cache-control", "public, max-age=2592000, immutable");
  } else {
    response.headers.emplace_back("cache-control", "no-cache, no-store, must-revalidate, max-age=0");
    response.headers.emplace_back("pragma", "no-cache");
    response.headers.emplace_back("expires", "0");
  }
  // CORSMiddleware with allow_credentials (middleware.py:25-32).
  if (const auto origin = request.header("origin"); origin && originAllowed(*origin)) {
    response.headers.emplace_back("access-control-allow-origin", *origin);
    response.headers.emplace_back("access-control-allow-credentials", "true");
    response.headers.emplace_back("vary", "Origin");
  }
}

Response AppServer::handle(const Request& request) {
  Response response;
  const auto origin = request.header("origin");
  if (request.method == "OPTIONS" && origin && request.header("access-control-request-method")) {
    // A CORS preflight is answered by the middleware itself.
    if (!originAllowed(*origin)) {
      response = Response{400, "text/plain; charset=utf-8", "Disallowed CORS origin", {}};
    } else {
      response = Response{200, "text/plain; charset=utf-8", "OK", {}};
      response.headers.emplace_back("access-control-allow-methods", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
      response.headers.emplace_back("access-control-allow-headers",
                                    request.header("access-control-request-headers").value_or("*"));
      response.headers.emplace_back("access-control-max-age", "600");
    }
  } else {
    response = route(request);
  }
  applyMiddlewares(request, response);
  return response;
}

Response AppServer::route(const Request& request) {
  const std::string& path = request.path;
  // status/status_router.py:8-52.
  if (path == "/alive" || path == "/health" || path == "/ready") {
    if (request.method != "GET") return methodNotAllowed();
    return path == "/alive" ? ok(json::object{{"status", "ok"}}) : ok(json::value("OK"));
  }
  if (path == "/" || path == "/index.html") {
    if (request.method != "GET") return methodNotAllowed();
    return homePage();
  }
  constexpr std::string_view kApi = "/api/v1/";
  if (path.rfind(kApi, 0) != 0) return notFound();
  const std::string_view rest = std::string_view(path).substr(kApi.size());
  const auto under = [&](std::string_view prefix) {
    return rest == prefix || (rest.rfind(prefix, 0) == 0 && rest[prefix.size()] == '/');
  };
  if (under("webhooks")) return webhooks(request, rest.substr(8));
  // get_dependencies (utils/dependencies.py:9-32): with SESSION_API_KEY set, the UI's routers
  // need a matching X-Session-API-Key.
  if (config_.session_api_key && (under("app-conversations") || under("sandboxes") || under("settings")) &&
      request.header("x-session-api-key") != config_.session_api_key) {
    return detailResponse(401, "Unauthorized");
  }
  if (under("app-conversations")) return appConversations(request, rest.substr(17));
  if (under("sandboxes")) return sandboxes(request, rest.substr(9));
  if (under("settings")) return settings(request, rest.substr(8));
  return notFound();
}

Response AppServer::appConversations(const Request& request, std::string_view rest) {
  if (rest.empty()) {
    if (request.method == "GET") {
      const auto ids = request.queryValues("ids");
      if (ids.size() >= 100) return detailResponse(400, "Too many ids requested. Maximum is 99.");
      json::array invalid;
      std::vector<std::string> hexes;
      for (const auto& id : ids) {
        if (const auto hex = parseUuidHex(id)) {
          hexes.push_back(*hex);
        } else {
          invalid.push_back(json::value(id));
        }
      }
      if (ids.empty()) return validationError("missing", json::array{"query", "ids"}, "Field required");
      if (!invalid.empty()) return detailResponse(400, "Invalid UUID format for ids: " + json::serialize(invalid));
      auto found = conversations_.batchGet(hexes);
      return found ? ok(found.value()) : serverError(found.error().reason);
    }
    if (request.method == "POST") {
      auto body = jsonBody(request, true);
      if (auto* refusal = std::get_if<Response>(&body)) return *refusal;
      const json::object& start = std::get<json::value>(body).as_object();
      for (const char* name : {"sandbox_id", "title", "llm_model", "selected_repository", "selected_branch"}) {
        const auto* value = start.if_contains(name);
        if (value && !value->is_null() && !value->is_string()) {
          return validationError("string_type", json::array{"body", name}, "Input should be a valid string");
        }
      }
      for (const char* name : {"conversation_id", "parent_conversation_id"}) {
        const auto* value = start.if_contains(name);
        if (value && !value->is_null() && (!value->is_string() || !parseUuidHex(value->as_string()))) {
          return validationError("uuid_parsing", json::array{"body", name}, "Input should be a valid UUID");
        }
      }
      auto task = conversations_.start(start);
      return task ? ok(task.value()) : serverError(task.error().reason);
    }
    return methodNotAllowed();
  }
  if (rest == "/search") {
    if (request.method != "GET") return methodNotAllowed();
    auto limit = limitQuery(request);
    if (auto* refusal = std::get_if<Response>(&limit)) return *refusal;
    const auto include = boolQuery(request.queryValue("include_sub_conversations"));
    if (!include) {
      return validationError("bool_parsing", json::array{"query", "include_sub_conversations"},
                             "Input should be a valid boolean");
    }
    auto page = conversations_.search(request.queryValue("sandbox_id__eq"), *include, request.queryValue("page_id"),
                                      std::get<int>(limit));
    return page ? ok(page.value()) : serverError(page.error().reason);
  }
  if (rest == "/start-tasks") {
    if (request.method != "GET") return methodNotAllowed();
    auto ids = uuidQuery(request, "ids");
    if (auto* refusal = std::get_if<Response>(&ids)) return *refusal;
    const auto& hexes = std::get<std::vector<std::string>>(ids);
    if (hexes.size() > 100) {
      return detailResponse(400, "Cannot request more than 100 start tasks at once, got " + std::to_string(hexes.size()));
    }
    auto tasks = conversations_.batchGetStartTasks(hexes);
    return tasks ? ok(tasks.value()) : serverError(tasks.error().reason);
  }
  return notFound();
}

Response AppServer::sandboxes(const Request& request, std::string_view rest) {
  if (rest.empty()) {
    if (request.method != "GET") return methodNotAllowed();
    const auto ids = request.queryValues("id");
    if (ids.empty()) return validationError("missing", json::array{"query", "id"}, "Field required");
    if (ids.size() > 100) {
      return detailResponse(400, "Cannot request more than 100 sandboxes at once, got " + std::to_string(ids.size()));
    }
    auto found = sandboxes_.batchGetSandboxes(ids);
    if (!found) return serverError(found.error().reason);
    json::array out;
    for (const auto& sandbox : found.value()) out.push_back(sandbox ? toJson(*sandbox) : json::value());
    return ok(out);
  }
  if (rest == "/search") {
    if (request.method != "GET") return methodNotAllowed();
    auto limit = limitQuery(request);
    if (auto* refusal = std::get_if<Response>(&limit)) return *refusal;
    auto page = sandboxes_.searchSandboxes(request.queryValue("page_id"), std::get<int>(limit));
    if (!page) return serverError(page.error().reason);
    json::array items;
    for (const auto& sandbox : page->first) items.push_back(toJson(sandbox));
    return ok(json::object{{"items", std::move(items)},
                           {"next_page_id", page->second ? json::value(*page->second) : json::value()}});
  }
  // POST /{sandbox_id}/pause and /resume (sandbox/sandbox_router.py:85-107).
  const auto slash = rest.find('/', 1);
  if (rest.size() > 1 && slash != std::string_view::npos) {
    const std::string sandbox_id(rest.substr(1, slash - 1));
    const std::string_view action = rest.substr(slash);
    if (action != "/pause" && action != "/resume") return notFound();
    if (request.method != "POST") return methodNotAllowed();
    if (sandbox_id.empty()) return notFound();
    auto done = action == "/pause" ? sandboxes_.pauseSandbox(sandbox_id) : sandboxes_.resumeSandbox(sandbox_id);
    if (!done) return serverError(done.error().reason);
    if (!done.value()) return notFound();
    return ok(json::object{{"success", true}});
  }
  return notFound();
}

Response AppServer::settings(const Request& request, std::string_view rest) {
  if (!rest.empty()) return notFound();
  if (request.method == "GET") {
    auto stored = settings_.load();
    if (!stored) return serverError(stored.error().reason);
    if (!stored.value()) return jsonResponse(404, R"({"error":"Settings not found"})");
    json::object out = *stored.value();
    out["v1_enabled"] = true;  // FileSettingsStore.load (file_settings_store.py:33-35)
    return ok(out);
  }
  if (request.method == "POST") {
    auto body = jsonBody(request, true);
    if (auto* refusal = std::get_if<Response>(&body)) return *refusal;
    const json::object& payload = std::get<json::value>(body).as_object();
    json::array legacy;
    for (const char* key : {"agent_settings", "conversation_settings"}) {
      if (payload.contains(key)) legacy.push_back(json::value(key));
    }
    if (!legacy.empty()) {
      return jsonResponse(422, json::serialize(json::object{
                                   {"error", "Use *_diff nested settings payloads instead of legacy keys"},
                                   {"keys", std::move(legacy)}}));
    }
    auto merged = settings_.merge(payload);
    if (!merged) {
      std::fprintf(stderr, "Something went wrong storing settings: %s\n", merged.error().reason.c_str());
      return jsonResponse(500, R"({"error":"Something went wrong storing settings"})");
    }
    return ok(json::object{{"message", "Settings stored"}});
  }
  return methodNotAllowed();
}

Response AppServer::webhooks(const Request& request, std::string_view rest) {
  const bool conversations = rest == "/conversations";
  const bool events = rest.rfind("/events/", 0) == 0 && rest.size() > 8;
  if (!conversations && !events) return notFound();
  if (request.method != "POST") return methodNotAllowed();
  std::optional<std::string> event_conversation;
  if (events) {
    event_conversation = parseUuidHex(rest.substr(8));
    if (!event_conversation) {
      return validationError("uuid_parsing", json::array{"path", "conversation_id"}, "Input should be a valid UUID");
    }
  }
  // valid_sandbox (webhook_router.py:229-272): the key's SHA-256 against the stored hashes.
  const auto key = request.header("x-session-api-key");
  if (!key || key->empty()) return detailResponse(401, "X-Session-API-Key header is required");
  auto sandbox = sandboxes_.getSandboxBySessionApiKey(*key);
  if (!sandbox) return serverError(sandbox.error().reason);
  if (!sandbox.value()) return detailResponse(401, "Invalid session API key");

  auto body = jsonBody(request, conversations);
  if (auto* refusal = std::get_if<Response>(&body)) return *refusal;
  if (events) {
    // valid_conversation (webhook_router.py:275-295): a known conversation must be this sandbox's owner's;
    // with no user ids (OSS) every owner is None. The events are accepted, not stored (docs/instance.md).
    auto known = conversations_.sandboxOf(*event_conversation);
    if (!known) return serverError(known.error().reason);
    return ok(json::object{{"success", true}});
  }
  // on_conversation_update (webhook_router.py:298-386).
  const json::object& info = std::get<json::value>(body).as_object();
  const auto* id = info.if_contains("id");
  const auto hex = id && id->is_string() ? parseUuidHex(id->as_string()) : std::nullopt;
  if (!hex) return validationError("uuid_parsing", json::array{"body", "id"}, "Input should be a valid UUID");
  if (const auto* status = info.if_contains("execution_status"); status && status->is_string() && status->as_string() == "deleting") {
    return ok(json::object{{"success", true}});
  }
  std::optional<std::string> model;
  if (const auto* agent = info.if_contains("agent"); agent && agent->is_object()) {
    if (const auto* llm = agent->as_object().if_contains("llm"); llm && llm->is_object()) {
      if (const auto* name = llm->as_object().if_contains("model"); name && name->is_string()) model = std::string(name->as_string());
    }
  }
  auto saved = conversations_.recordFromWebhook(*hex, *sandbox.value(), model);
  return saved ? ok(json::object{{"success", true}}) : serverError(saved.error().reason);
}

Response AppServer::homePage() {
  auto page = conversations_.search(std::nullopt, false, std::nullopt, 100);
  if (!page) return serverError(page.error().reason);
  Response response;
  response.content_type = "text/html; charset=utf-8";
  response.body = homePageHtml(page.value()["items"].as_array());
  return response;
}

}  // namespace oh::appserver_standin
