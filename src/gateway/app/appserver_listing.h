#pragma once
// The admin listener's GET /appservers (issue 14 item 5): every user the pool or the sandbox
// service knows, with their app server (phase, detail, last activity, address, open
// WebSockets, memory limit) and their sandboxes (state, address), as JSON for operators:
//
//   {"users":[{"user_key":"4c6b…","server":{"phase":"ready",…},"sandboxes":[{"id":"Sb1",…}]}]}
//
// The backend reports no memory use: "memory_limit_bytes" is the configured limit.

#include <string>
#include <vector>

#include "appserver/app_server_pool.h"
#include "sandbox/sandbox_routes.h"

namespace oh::gateway {

std::string renderAppServerListing(const std::vector<control::AppServerListing>& servers,
                                   const control::SandboxRoutes& sandboxes);

}  // namespace oh::gateway
