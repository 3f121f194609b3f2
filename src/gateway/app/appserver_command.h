#pragma once
// Operators' commands on users' app servers (issue 14 item 5), run against the container engine
// of the configuration (runtime.docker_socket), with or without a gateway running:
//
//   oh-gateway appserver list --config FILE           every app-server container: user key, state, address, version
//   oh-gateway appserver stop USER --config FILE      stop it; container and data kept
//   oh-gateway appserver remove USER --config FILE    remove the container; data kept
//   oh-gateway user delete-data USER --config FILE --yes
//                                                     container, persistence directory and database;
//                                                     with [sandbox]: the user's sandboxes (containers,
//                                                     records), their workspaces and the user's network
//
// USER is a sign-in subject (Cognito sub, OIDC subject, local account name), or with --user-key
// the 32-digit user key `list` prints. A running gateway notices a stopped or removed server at
// its next housekeeping and starts a fresh one at the user's next visit (after delete-data: an
// empty one). The admin listener's GET /appservers shows the pool's own view (phases, activity).
// Exit 0; 1 when the engine or the database refuses; 2 for a bad configuration or argument.

#include <ostream>
#include <string>

namespace oh::gateway {

struct AppServerCommand {
  std::string action;       // "list", "stop", "remove", "delete-data"
  std::string user;         // subject, or user key with user_is_key
  bool user_is_key = false;
  bool confirmed = false;   // --yes (delete-data)
  std::string config_path;
};

int runAppServerCommand(const AppServerCommand& command, std::ostream& out, std::ostream& err);

}  // namespace oh::gateway
