#include "sandbox/api_messages.h"

#include <cmath>
#include <limits>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "common/strict_json.h"
#include "common/text.h"
#include "sandbox/start_validation.h"

namespace oh::control {
namespace {

namespace json = boost::json;

// The deepest body of the contract is two levels (an object holding the environment object or
// the command list); one level of slack, no more: deep nesting is only ever an attack.
constexpr std::size_t kMaxBodyDepth = 3;
// Far above what the app server sends (its spec's command has 3 words, its environment ~20
// variables plus the operator's LLM_* ones), far below what would cost us anything.
constexpr std::size_t kMaxCommandWords = 256;
constexpr std::size_t kMaxEnvironmentVariables = 1024;
constexpr std::size_t kMaxImageChars = 512;
constexpr std::size_t kMaxPathChars = 4096;
// An id longer than this is not looked at further (a real one has at most 50 characters).
constexpr std::size_t kMaxIdChars = 256;
// A field name the caller sent is echoed in the error, cut to this many bytes.
constexpr std::size_t kMaxNameInMessage = 64;

// The caller's field name, cut without splitting a UTF-8 sequence (the reply stays valid JSON text).
std::string quotedName(json::string_view name) {
  return "'" + std::string(common::truncateUtf8(std::string_view(name.data(), name.size()), kMaxNameInMessage)) + "'";
}

ApiError badRequest(std::string message) { return ApiError{400, std::move(message)}; }

common::Fail<ApiError> refuse(std::string message) { return common::fail(badRequest(std::move(message))); }

// A body is a JSON object, strictly parsed (common/strict_json.h).
ApiResult<json::object> parseObject(std::string_view body) {
  if (body.empty()) {
    return refuse("the body must be a JSON object");
  }
  auto parsed = common::parseStrictJson(body, kMaxBodyDepth);
  if (!parsed) {
    return refuse(parsed.error().reason);
  }
  if (!parsed->is_object()) {
    return refuse("the body must be a JSON object");
  }
  return std::move(parsed->as_object());
}

// Text without NUL: what reaches the container's argv or environment must be a C string.
bool isCString(json::string_view text) { return text.find('\0') == json::string_view::npos; }

ApiResult<std::string> stringField(const json::value& value, std::string_view name, std::size_t max_chars) {
  if (!value.is_string()) {
    return refuse(std::string(name) + ": must be a string");
  }
  const json::string& text = value.get_string();
  if (!isCString(text) || text.size() > max_chars) {
    return refuse(std::string(name) + ": must be at most " + std::to_string(max_chars) + " characters, without NUL");
  }
  return std::string(text);
}

ApiResult<std::optional<std::uint32_t>> idField(const json::value& value, std::string_view name) {
  if (value.is_null()) {
    return std::optional<std::uint32_t>{};
  }
  const bool in_range = (value.is_int64() && value.get_int64() >= 0 &&
                         value.get_int64() <= std::numeric_limits<std::uint32_t>::max()) ||
                        (value.is_uint64() && value.get_uint64() <= std::numeric_limits<std::uint32_t>::max());
  if (!in_range) {
    return refuse(std::string(name) + ": must be an integer from 0 to 4294967295");
  }
  return std::optional<std::uint32_t>(static_cast<std::uint32_t>(value.to_number<std::uint64_t>()));
}

ApiResult<double> resourceFactorField(const json::value& value) {
  if (!value.is_number()) {
    return refuse("resource_factor: must be a number");
  }
  const double factor = value.to_number<double>();
  if (!std::isfinite(factor) || factor <= 0) {
    return refuse("resource_factor: must be a positive number");
  }
  return factor;
}

ApiResult<std::vector<std::string>> commandField(const json::value& value) {
  std::vector<std::string> command;
  if (value.is_null()) {
    return command;  // the image's own entrypoint (SandboxSpecInfo.command is optional)
  }
  if (!value.is_array() || value.get_array().size() > kMaxCommandWords) {
    return refuse("command: must be null or a list of at most " + std::to_string(kMaxCommandWords) + " strings");
  }
  for (const json::value& word : value.get_array()) {
    auto text = stringField(word, "command", kMaxPathChars);
    if (!text) {
      return common::fail(text.error());
    }
    command.push_back(std::move(text).value());
  }
  return command;
}

bool isEnvironmentName(std::string_view name) {
  return !name.empty() && name.find('=') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

ApiResult<std::vector<std::pair<std::string, std::string>>> environmentField(const json::value& value) {
  std::vector<std::pair<std::string, std::string>> environment;
  if (!value.is_object() || value.get_object().size() > kMaxEnvironmentVariables) {
    return refuse("environment: must be an object of at most " + std::to_string(kMaxEnvironmentVariables) +
                  " string values");
  }
  for (const auto& [name, variable] : value.get_object()) {
    if (!isEnvironmentName(std::string_view(name.data(), name.size()))) {
      return refuse("environment: a variable name must be non-empty, without '=' or NUL");
    }
    if (!variable.is_string() || !isCString(variable.get_string())) {
      return refuse("environment." + std::string(name) + ": must be a string without NUL");
    }
    environment.emplace_back(std::string(name), std::string(variable.get_string()));
  }
  return environment;
}

// One field of /start into `request`; an unknown name is refused.
std::optional<ApiError> readStartField(std::string_view name, const json::value& value, StartRequest& request) {
  auto take = [](auto result, auto& into) -> std::optional<ApiError> {
    if (!result) {
      return result.error();
    }
    into = std::move(result).value();
    return std::nullopt;
  };
  SandboxSpec& spec = request.spec;
  if (name == "image") return take(stringField(value, name, kMaxImageChars), spec.image);
  if (name == "command") return take(commandField(value), spec.command);
  if (name == "working_dir") return take(stringField(value, name, kMaxPathChars), spec.working_dir);
  if (name == "environment") return take(environmentField(value), spec.environment);
  if (name == "session_id") return take(stringField(value, name, kMaxIdChars), request.session_id);
  if (name == "resource_factor") return take(resourceFactorField(value), spec.resource_factor);
  if (name == "run_as_user") return take(idField(value, name), spec.run_as_user);
  if (name == "run_as_group") return take(idField(value, name), spec.run_as_group);
  if (name == "fs_group") return take(idField(value, name), spec.fs_group);
  if (name == "runtime_class") {
    if (value.is_null()) return std::nullopt;
    return take(stringField(value, name, kMaxImageChars), request.runtime_class);
  }
  return badRequest("unknown field " + quotedName(json::string_view(name.data(), name.size())) +
                    ": /start takes image, command, working_dir, environment, session_id, resource_factor, "
                    "run_as_user, run_as_group, fs_group and runtime_class only");
}

json::value sandboxJson(const SandboxView& view) {
  json::object runtime;
  runtime["session_id"] = view.session_id;
  runtime["runtime_id"] = view.runtime_id;
  runtime["status"] = view.status;
  if (view.url.empty()) {
    runtime["url"] = nullptr;
  } else {
    runtime["url"] = view.url;
  }
  runtime["session_api_key"] = view.session_api_key;
  return runtime;
}

json::array sandboxArray(const std::vector<SandboxView>& views) {
  json::array runtimes;
  runtimes.reserve(views.size());
  for (const SandboxView& view : views) {
    runtimes.push_back(sandboxJson(view));
  }
  return runtimes;
}

}  // namespace

ApiResult<StartRequest> parseStartRequest(std::string_view body) {
  auto object = parseObject(body);
  if (!object) {
    return common::fail(object.error());
  }
  StartRequest request;
  for (const auto& [name, value] : *object) {
    if (auto error = readStartField(std::string_view(name.data(), name.size()), value, request)) {
      return common::fail(std::move(*error));
    }
  }
  if (request.spec.image.empty()) {
    return refuse("image: required (a non-empty string)");
  }
  if (!isSandboxId(request.session_id)) {
    return refuse("session_id: required, 1 to 64 letters or digits");
  }
  return request;
}

ApiResult<std::string> parseRuntimeIdBody(std::string_view body) {
  auto object = parseObject(body);
  if (!object) {
    return common::fail(object.error());
  }
  std::optional<std::string> runtime_id;
  for (const auto& [name, value] : *object) {
    if (name != "runtime_id") {
      return refuse("unknown field " + quotedName(name) + ": the body is {\"runtime_id\": \"...\"}");
    }
    auto text = stringField(value, "runtime_id", kMaxIdChars);
    if (!text) {
      return common::fail(text.error());
    }
    runtime_id = std::move(text).value();
  }
  if (!runtime_id) {
    return refuse("runtime_id: required");
  }
  return std::move(*runtime_id);
}

std::string renderSandbox(const SandboxView& view) { return json::serialize(sandboxJson(view)); }

std::string renderSandboxArray(const std::vector<SandboxView>& views) { return json::serialize(sandboxArray(views)); }

std::string renderSandboxList(const std::vector<SandboxView>& views) {
  return json::serialize(json::object{{"runtimes", sandboxArray(views)}});
}

std::string renderError(std::string_view message) {
  return json::serialize(json::object{{"error", json::string_view(message.data(), message.size())}});
}

std::string renderListError(std::string_view message) {
  return json::serialize(
      json::object{{"error", json::string_view(message.data(), message.size())}, {"runtimes", json::array{}}});
}

}  // namespace oh::control
