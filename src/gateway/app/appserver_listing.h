#pragma once
// The admin listener's GET /appservers (issue 14 item 5): every user the pool or the sandbox
// service knows, with their app server (phase, detail, last activity, address, open
// WebSockets, memory) and their sandboxes (state, address), as JSON for operators:
//
//   {"users":[{"user_key":"4c6b…","server":{"phase":"ready",…},"sandboxes":[{"id":"Sb1",…}]}]}
//
// "memory_bytes" is what a ready server used at the pool's last housekeeping (null when not
// reported), "memory_limit_bytes" the configured limit. Sandboxes: state and address only.

#include <string>
#include <vector>

#include "appserver/app_server_pool.h"
#include "sandbox/sandbox_routes.h"

namespace oh::gateway {

std::string renderAppServerListing(const std::vector<control::AppServerListing>& servers,
                                   const control::SandboxRoutes& sandboxes);

}  // namespace oh::gateway
