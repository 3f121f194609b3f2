#include "auth/challenge.h"

#include <boost/json.hpp>

#include "common/text.h"

namespace oh::gateway::auth {
namespace {

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

Challenge decideChallenge(const ChallengeRequest& r) {
  const bool api_path = startsWith(r.path, "/api/") || r.path == "/api" || startsWith(r.path, "/socket.io") ||
                        startsWith(r.path, "/_callback") || startsWith(r.path, "/_logout") ||
                        startsWith(r.path, "/_gateway/");
  if (api_path || !r.upgrade.empty() || !r.x_requested_with.empty()) {
    return Challenge::unauthorized_json;
  }
  if (!(r.method == "GET" || r.method == "HEAD")) {
    return Challenge::unauthorized_json;
  }
  if (!r.sec_fetch_mode.empty()) {
    // Fetch Metadata (https://www.w3.org/TR/fetch-metadata/): only a navigation is a page load.
    return common::equalsIgnoreCase(r.sec_fetch_mode, "navigate") ? Challenge::redirect_to_sign_in : Challenge::unauthorized_json;
  }
  return common::containsIgnoreCase(r.accept, "text/html") ? Challenge::redirect_to_sign_in : Challenge::unauthorized_json;
}

std::string unauthorizedJsonBody(std::string_view sign_in_url) {
  boost::json::object o;
  o["error"] = "unauthenticated";
  o["sign_in"] = sign_in_url;
  return boost::json::serialize(o);
}

}  // namespace oh::gateway::auth
