#pragma once
// What a request without a valid session gets: a page navigation is redirected to sign-in; an
// API call, XHR/fetch, WebSocket upgrade or non-GET gets 401 with a small JSON body, so
// scripts see an error instead of following a redirect into an HTML login page (and the
// gateway's own endpoints can never loop into a redirect).

#include <string>
#include <string_view>

namespace oh::gateway::auth {

struct ChallengeRequest {
  std::string_view method;
  std::string_view path;              // request target path, without the query
  std::string_view accept;            // Accept header ("" if absent)
  std::string_view sec_fetch_mode;    // Sec-Fetch-Mode ("" if absent)
  std::string_view upgrade;           // Upgrade ("" if absent)
  std::string_view x_requested_with;  // X-Requested-With ("" if absent)
};

enum class Challenge { redirect_to_sign_in, unauthorized_json };

Challenge decideChallenge(const ChallengeRequest& request);

// The 401 body: {"error":"unauthenticated","sign_in":"<sign_in_url>"}.
std::string unauthorizedJsonBody(std::string_view sign_in_url);

}  // namespace oh::gateway::auth
