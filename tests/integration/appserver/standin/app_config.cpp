#include "app_config.h"

#include <unistd.h>

#include <charconv>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace oh::appserver_standin {

namespace {

using common::failure;

// os.getenv(name): nullopt when unset (an empty value is returned as "").
std::optional<std::string> lookup(const Environment& environment, const std::string& name) {
  const auto found = environment.find(name);
  if (found == environment.end()) return std::nullopt;
  return found->second;
}

std::string valueOr(const Environment& environment, const std::string& name, std::string fallback) {
  auto value = lookup(environment, name);
  return value ? *value : std::move(fallback);
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// Python's int(): optional surrounding whitespace, an optional sign, decimal digits.
std::optional<long> pythonInt(std::string_view text) {
  const std::string trimmed = trim(text);
  std::string_view digits = trimmed;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  long value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

// An integer field of the OH_* form (pydantic validation: a non-integer refuses to start).
common::Result<int> intField(const Environment& environment, const std::string& name, int fallback) {
  const auto text = lookup(environment, name);
  if (!text) return fallback;
  const auto value = pythonInt(*text);
  if (!value || *value < -2147483647L || *value > 2147483647L) {
    return failure(name + " is not an integer");
  }
  return static_cast<int>(*value);
}

// env_parser.ListEnvParser (SDK env_parser.py:177-215): NAME as a JSON list, else NAME_0, NAME_1, ….
common::Result<std::optional<std::vector<std::string>>> stringList(const Environment& environment,
                                                                    const std::string& name) {
  std::vector<std::string> out;
  if (const auto whole = lookup(environment, name)) {
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(*whole, ec);
    if (ec || !parsed.is_array()) return failure(name + " is not a JSON list");
    for (std::size_t i = 0; i < parsed.as_array().size(); ++i) {
      const auto item = lookup(environment, name + "_" + std::to_string(i));
      const auto& element = parsed.as_array()[i];
      if (item) {
        out.push_back(*item);
      } else if (element.is_string()) {
        out.emplace_back(element.as_string());
      } else {
        return failure(name + " item " + std::to_string(i) + " is not a string");
      }
    }
    return std::optional<std::vector<std::string>>(std::move(out));
  }
  for (std::size_t i = 0;; ++i) {
    const auto item = lookup(environment, name + "_" + std::to_string(i));
    if (!item) break;
    out.push_back(*item);
  }
  if (out.empty()) return std::optional<std::vector<std::string>>();
  return std::optional<std::vector<std::string>>(std::move(out));
}

// Which sandbox service the real one would build (config.py:331-337 and 387-393); the stand-in
// implements the remote one only.
common::Result<AppConfig> selectSandboxService(const Environment& environment, AppConfig config) {
  const std::string runtime = valueOr(environment, "RUNTIME", "");
  if (const auto kind = lookup(environment, "OH_SANDBOX_KIND")) {
    if (*kind != "RemoteSandboxServiceInjector") {
      return failure("OH_SANDBOX_KIND=" + *kind + ": this stand-in implements only RemoteSandboxServiceInjector");
    }
    // Required pydantic fields api_url and api_key (RSS:874-875).
    const auto url = lookup(environment, "OH_SANDBOX_API_URL");
    const auto key = lookup(environment, "OH_SANDBOX_API_KEY");
    if (!url) return failure("OH_SANDBOX_API_URL is required with OH_SANDBOX_KIND=RemoteSandboxServiceInjector");
    if (!key) return failure("OH_SANDBOX_API_KEY is required with OH_SANDBOX_KIND=RemoteSandboxServiceInjector");
    config.sandbox_api_url = *url;
    config.sandbox_api_key = *key;
    auto factor = intField(environment, "OH_SANDBOX_RESOURCE_FACTOR", 1);
    if (!factor) return failure(factor.error().reason);
    auto limit = intField(environment, "OH_SANDBOX_MAX_NUM_SANDBOXES", 10);
    if (!limit) return failure(limit.error().reason);
    config.resource_factor = *factor;
    config.max_num_sandboxes = *limit;
    config.runtime_class_sysbox = valueOr(environment, "OH_SANDBOX_RUNTIME_CLASS", "gvisor") == "sysbox";
  } else if (runtime == "remote") {
    // os.environ[...]: a KeyError at start-up when either is missing (config.py:334-337).
    const auto key = lookup(environment, "SANDBOX_API_KEY");
    const auto url = lookup(environment, "SANDBOX_REMOTE_RUNTIME_API_URL");
    if (!key) return failure("RUNTIME=remote needs SANDBOX_API_KEY (config.py:335 reads os.environ['SANDBOX_API_KEY'])");
    if (!url) {
      return failure(
          "RUNTIME=remote needs SANDBOX_REMOTE_RUNTIME_API_URL (config.py:336 reads os.environ[...])");
    }
    config.sandbox_api_key = *key;
    config.sandbox_api_url = *url;
  } else {
    return failure("neither RUNTIME=remote nor OH_SANDBOX_KIND=RemoteSandboxServiceInjector: the real app server "
                   "would use Docker or processes (config.py:338-385), which this stand-in does not implement");
  }
  if (config.max_num_sandboxes <= 0) {
    return failure("OH_SANDBOX_MAX_NUM_SANDBOXES must be positive (pause_old_sandboxes raises, RSS:632-633)");
  }
  const std::string spec_kind = valueOr(environment, "OH_SANDBOX_SPEC_KIND", "");
  const bool remote_spec = spec_kind == "RemoteSandboxSpecServiceInjector" || (spec_kind.empty() && runtime == "remote");
  if (!remote_spec) {
    return failure("the sandbox spec service would not be RemoteSandboxSpecServiceInjector (config.py:387-393): set "
                   "RUNTIME=remote or OH_SANDBOX_SPEC_KIND=RemoteSandboxSpecServiceInjector");
  }
  return config;
}

}  // namespace

common::Result<AppConfig> parseAppConfig(const Environment& environment) {
  AppConfig config;
  auto selected = selectSandboxService(environment, std::move(config));
  if (!selected) return selected;
  config = std::move(selected.value());

  // get_default_persistence_dir (config.py:72-86): FILE_STORE_PATH only when OH_PERSISTENCE_DIR is unset.
  auto persistence = lookup(environment, "OH_PERSISTENCE_DIR");
  if (!persistence) persistence = lookup(environment, "FILE_STORE_PATH");
  if (persistence && !persistence->empty()) {
    config.persistence_dir = *persistence;
  } else {
    const auto home = lookup(environment, "HOME");
    if (!home || home->empty()) return failure("no OH_PERSISTENCE_DIR, FILE_STORE_PATH or HOME");
    config.persistence_dir = *home + "/.openhands";
  }

  // DbSessionInjector.fill_empty_fields (services/db_session_injector.py:49-68).
  if (const auto host = lookup(environment, "DB_HOST"); host && !host->empty()) {
    config.database.host = *host;
  }
  const auto port = pythonInt(valueOr(environment, "DB_PORT", "5432"));
  if (!port || *port <= 0 || *port > 65535) return failure("DB_PORT is not a port number");
  config.database.port = static_cast<std::uint16_t>(*port);
  config.database.name = valueOr(environment, "DB_NAME", "openhands");
  config.database.user = valueOr(environment, "DB_USER", "postgres");
  config.database.password = trim(valueOr(environment, "DB_PASS", "postgres"));

  if (const auto secret = lookup(environment, "JWT_SECRET"); secret && !secret->empty()) {
    config.jwt_secret = *secret;
  }
  if (const auto web_url = lookup(environment, "OH_WEB_URL")) {
    if (!web_url->empty()) config.web_url = *web_url;
  } else if (const auto web_host = lookup(environment, "WEB_HOST"); web_host && !web_host->empty()) {
    config.web_url = "https://" + *web_host;
  }

  auto origins = stringList(environment, "OH_PERMITTED_CORS_ORIGINS");
  if (!origins) return failure(origins.error().reason);
  if (origins.value()) {
    config.permitted_cors_origins = std::move(*origins.value());
  } else {
    const std::string legacy = valueOr(environment, "PERMITTED_CORS_ORIGINS", "");
    std::size_t at = 0;
    while (at <= legacy.size()) {
      const auto comma = legacy.find(',', at);
      const std::string origin = trim(std::string_view(legacy).substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      if (!origin.empty()) config.permitted_cors_origins.push_back(origin);
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }

  if (const auto key = lookup(environment, "SESSION_API_KEY"); key && !key->empty()) {
    config.session_api_key = *key;
  }
  auto timeout = intField(environment, "OH_HTTPX_TIMEOUT", 15);
  if (!timeout || *timeout <= 0) return failure("OH_HTTPX_TIMEOUT is not a positive integer");
  config.httpx_timeout_seconds = *timeout;
  if (const auto trusted = lookup(environment, "FORWARDED_ALLOW_IPS")) {
    config.forwarded_allow_ips.clear();
    std::size_t at = 0;
    while (at <= trusted->size()) {
      const auto comma = trusted->find(',', at);
      const std::string address = trim(std::string_view(*trusted).substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      if (!address.empty()) config.forwarded_allow_ips.push_back(address);
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }

  // get_agent_server_image (sandbox_spec_service.py:64-69).
  const std::string repository = valueOr(environment, "AGENT_SERVER_IMAGE_REPOSITORY", "");
  const std::string tag = valueOr(environment, "AGENT_SERVER_IMAGE_TAG", "");
  config.agent_server_image = !repository.empty() && !tag.empty()
                                  ? repository + ":" + tag
                                  : std::string("ghcr.io/openhands/agent-server:1.20.1-python");
  // get_agent_server_env (sandbox_spec_service.py:74-133).
  for (const auto& [name, value] : environment) {
    if (name.rfind("LLM_", 0) == 0 || name.rfind("LMNR_", 0) == 0) config.agent_server_env[name] = value;
  }
  if (const auto extra = lookup(environment, "OH_AGENT_SERVER_ENV"); extra && !extra->empty()) {
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(*extra, ec);
    if (ec || !parsed.is_object()) return failure("OH_AGENT_SERVER_ENV is not a JSON object");
    for (const auto& [name, value] : parsed.as_object()) {
      if (!value.is_string()) return failure("OH_AGENT_SERVER_ENV values must be strings");
      config.agent_server_env[std::string(name)] = std::string(value.as_string());
    }
  }
  return config;
}

bool applyCommandLine(AppConfig& config, int argc, const char* const* argv, std::string& error) {
  int first = 1;
  // The stock image's CMD (containers/app/Dockerfile:105) names uvicorn and the ASGI app first;
  // accepted so a caller that passes that command runs the stand-in unchanged.
  if (argc > 2 && std::string_view(argv[1]) == "uvicorn" && std::string_view(argv[2]).find(':') != std::string_view::npos) {
    first = 3;
  }
  for (int i = first; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if ((argument == "--host" || argument == "--port") && i + 1 >= argc) {
      error = std::string(argument) + " needs a value";
      return false;
    }
    if (argument == "--host") {
      config.listen_host = argv[++i];
    } else if (argument == "--port") {
      const auto port = pythonInt(argv[++i]);
      if (!port || *port < 0 || *port > 65535) {
        error = "--port is not a port number";
        return false;
      }
      config.listen_port = static_cast<std::uint16_t>(*port);
    } else {
      error = "unknown argument " + std::string(argument);
      return false;
    }
  }
  return true;
}

Environment processEnvironment() {
  Environment out;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text = *entry;
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    out.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return out;
}

}  // namespace oh::appserver_standin
