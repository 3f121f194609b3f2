#include "sandbox/sandbox_api.h"

#include <exception>
#include <unordered_set>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "sandbox/api_messages.h"
#include "sandbox/start_validation.h"

namespace oh::control {
namespace {

// How long a caller should wait after a 503 (store or Docker down) before trying again.
constexpr std::string_view kRetryAfterSeconds = "5";
// The app server asks for one page of its sandboxes at a time (100 at most); far more is abuse.
constexpr std::size_t kMaxBatchIds = 1000;

enum class Endpoint { start, get, batch, list, resume, pause, stop };

struct Route {
  Endpoint endpoint;
  std::string id;  // GET /sessions/{id}, decoded
};

ApiResponse reply(unsigned status, std::string body) {
  ApiResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

ApiResponse replyError(unsigned status, std::string_view message, Endpoint endpoint) {
  ApiResponse response = reply(status, endpoint == Endpoint::list ? renderListError(message) : renderError(message));
  if (status == 503) {
    response.headers.emplace_back("Retry-After", kRetryAfterSeconds);
  }
  return response;
}

ApiResponse replyError(const ApiError& error, Endpoint endpoint) { return replyError(error.status, error.message, endpoint); }

ApiResponse notFound(Endpoint endpoint) { return replyError(404, "no such sandbox", endpoint); }

// The endpoint a path names (decoded segments; "/sessions/a%2Fb" is the id "a/b", which is no
// sandbox id and so found nowhere), or nullopt.
std::optional<Route> routeOf(const boost::urls::url_view& url) {
  const auto segments = url.segments();
  if (!url.is_path_absolute()) {
    return std::nullopt;
  }
  std::vector<std::string> parts(segments.begin(), segments.end());
  if (parts.size() == 1) {
    static const std::pair<std::string_view, Endpoint> kSingle[] = {
        {"start", Endpoint::start}, {"list", Endpoint::list}, {"resume", Endpoint::resume},
        {"pause", Endpoint::pause}, {"stop", Endpoint::stop}};
    for (const auto& [name, endpoint] : kSingle) {
      if (parts[0] == name) {
        return Route{endpoint, {}};
      }
    }
    return std::nullopt;
  }
  if (parts.size() == 2 && parts[0] == "sessions") {
    if (parts[1] == "batch") {
      return Route{Endpoint::batch, {}};
    }
    return Route{Endpoint::get, std::move(parts[1])};
  }
  return std::nullopt;
}

std::string_view endpointName(const std::optional<Route>& route) {
  if (!route) {
    return "other";
  }
  switch (route->endpoint) {
    case Endpoint::start: return "start";
    case Endpoint::get: return "get";
    case Endpoint::batch: return "batch";
    case Endpoint::list: return "list";
    case Endpoint::resume: return "resume";
    case Endpoint::pause: return "pause";
    case Endpoint::stop: return "stop";
  }
  return "other";
}

bool isGet(Endpoint endpoint) {
  return endpoint == Endpoint::get || endpoint == Endpoint::batch || endpoint == Endpoint::list;
}

// GET /sessions/batch?ids=a&ids=b (remote_sandbox_service.py:248-255): the ids, decoded, each
// once, in order. Any other parameter is refused; an id that cannot exist is left out, as the
// app server skips what the reply lacks (:261-264).
ApiResult<std::vector<std::string>> batchIds(const boost::urls::url_view& url) {
  std::vector<std::string> ids;
  std::unordered_set<std::string> seen;
  for (const auto& param : url.params()) {
    if (param.key != "ids") {
      return common::fail(ApiError{400, "unknown query parameter: /sessions/batch takes ids only"});
    }
    if (seen.size() >= kMaxBatchIds) {
      return common::fail(ApiError{400, "ids: at most " + std::to_string(kMaxBatchIds) + " per request"});
    }
    if (isSandboxId(param.value) && seen.insert(param.value).second) {
      ids.push_back(param.value);
    }
  }
  return ids;
}

template <class T>
ApiResponse replyWith(const ApiResult<T>& result, Endpoint endpoint, std::string (*render)(const T&)) {
  if (!result) {
    return replyError(result.error(), endpoint);
  }
  return reply(200, render(*result));
}

ApiResponse dispatch(const Route& route, const boost::urls::url_view& url, std::string_view body,
                     std::string_view owner, SandboxService& service) {
  if (route.endpoint != Endpoint::batch && url.has_query() && !url.encoded_query().empty()) {
    return replyError(400, "this endpoint takes no query parameters", route.endpoint);
  }
  switch (route.endpoint) {
    case Endpoint::start: {
      auto request = parseStartRequest(body);
      if (!request) {
        return replyError(request.error(), route.endpoint);
      }
      return replyWith(service.startSandbox(owner, std::move(request).value()), route.endpoint, &renderSandbox);
    }
    case Endpoint::get:
      if (!isSandboxId(route.id)) {
        return notFound(route.endpoint);
      }
      return replyWith(service.get(owner, route.id), route.endpoint, &renderSandbox);
    case Endpoint::batch: {
      auto ids = batchIds(url);
      if (!ids) {
        return replyError(ids.error(), route.endpoint);
      }
      if (ids->empty()) {
        return reply(200, renderSandboxArray({}));
      }
      return replyWith(service.batch(owner, *ids), route.endpoint, &renderSandboxArray);
    }
    case Endpoint::list:
      return replyWith(service.list(owner), route.endpoint, &renderSandboxList);
    case Endpoint::resume:
    case Endpoint::pause:
    case Endpoint::stop: {
      auto runtime_id = parseRuntimeIdBody(body);
      if (!runtime_id) {
        return replyError(runtime_id.error(), route.endpoint);
      }
      if (!isSandboxId(*runtime_id)) {
        return notFound(route.endpoint);
      }
      if (route.endpoint == Endpoint::resume) {
        return replyWith(service.resume(owner, *runtime_id), route.endpoint, &renderSandbox);
      }
      if (route.endpoint == Endpoint::pause) {
        return replyWith(service.pause(owner, *runtime_id), route.endpoint, &renderSandbox);
      }
      auto removed = service.remove(owner, *runtime_id);
      if (!removed) {
        return replyError(removed.error(), route.endpoint);
      }
      if (!*removed) {
        return notFound(route.endpoint);
      }
      return reply(200, renderSandbox(SandboxView{*runtime_id, *runtime_id, "stopped", "", ""}));
    }
  }
  return replyError(500, "internal error", route.endpoint);
}

ApiResponse answer(const ApiRequest& request, const SandboxApiKeys& keys, SandboxService& service,
                   const std::optional<boost::urls::url_view>& url, const std::optional<Route>& route) {
  const Endpoint shape = route ? route->endpoint : Endpoint::start;  // of error bodies only
  // Size first: nothing of an oversized body is looked at (the listener stops reading at the
  // limit too; this answers a caller that hands over more).
  if (request.body.size() > kMaxApiBodyBytes) {
    return replyError(413, "the body is larger than " + std::to_string(kMaxApiBodyBytes) + " bytes", shape);
  }
  // The key before anything else: a caller without one learns nothing more.
  auto owner = keys.ownerOf(request.api_key);
  if (!owner) {
    return replyError(401, request.api_key.empty() ? "X-API-Key is required" : "X-API-Key is not valid", shape);
  }
  ApiResponse response;
  if (!url) {
    response = replyError(400, "malformed request target", shape);
  } else if (!route) {
    response = replyError(404, "no such endpoint", shape);
  } else if ((request.method != "GET" && request.method != "POST") || (request.method == "GET") != isGet(shape)) {
    response = replyError(405, "method not allowed", shape);
    response.headers.emplace_back("Allow", isGet(shape) ? "GET" : "POST");
  } else {
    // The service reports failures as values; anything thrown (allocation, a bug) is this
    // request's 500, never the listener's end.
    try {
      response = dispatch(*route, *url, request.body, *owner, service);
    } catch (const std::exception&) {
      response = replyError(500, "internal error", shape);
    }
  }
  response.owner = std::move(*owner);
  return response;
}

}  // namespace

ApiResponse handleSandboxApi(const ApiRequest& request, const SandboxApiKeys& keys, SandboxService& service) {
  // The route is worked out first to shape the errors (/list answers {"runtimes": []} too) and
  // to name the endpoint in metrics.
  std::optional<boost::urls::url_view> url;
  if (auto parsed = boost::urls::parse_origin_form(request.target)) {
    url = *parsed;
  }
  const std::optional<Route> route = url ? routeOf(*url) : std::nullopt;
  ApiResponse response = answer(request, keys, service, url, route);
  response.endpoint = endpointName(route);
  return response;
}

}  // namespace oh::control
