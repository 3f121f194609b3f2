// oh-gateway: the data plane in front of OpenHands (DESIGN.md section 4).
//   oh-gateway --config FILE          serve
//   oh-gateway check-config FILE      validate a configuration file
//   oh-gateway users add|remove|passwd|list ...   manage local accounts (auth/users_command.h)
//   oh-gateway sandbox-key SUBJECT --config FILE  a user's sandbox API key (app/sandbox_key_command.h)
//   oh-gateway appserver list|stop|remove [USER] --config FILE   users' app servers (app/appserver_command.h)
//   oh-gateway user delete-data USER --config FILE --yes         a user's app server and data
//   oh-gateway --version

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/appserver_command.h"
#include "app/gateway_app.h"
#include "app/sandbox_key_command.h"
#include "auth/users_command.h"

int main(int argc, char** argv) {
  // `users` has its own grammar (auth/users_command.h); hand it everything after the word.
  if (argc > 1 && std::strcmp(argv[1], "users") == 0) {
    return oh::gateway::auth::runUsersCommand(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  }
  CLI::App app{"oh-gateway: OpenHands reverse proxy (origin check, limits, HTTP and WebSocket relay)"};
  app.set_version_flag("--version", std::string("oh-gateway ") + OH_GATEWAY_VERSION);
  std::string config_path;
  app.add_option("--config", config_path, "TOML configuration file (see deploy/gateway.example.toml)");
  std::string check_path;
  auto* check = app.add_subcommand("check-config", "Validate a configuration file and exit (0 OK, 2 problems)");
  check->add_option("file", check_path, "TOML configuration file")->required();
  std::string subject;
  std::string key_config_path;
  auto* sandbox_key = app.add_subcommand("sandbox-key", "Print a sign-in subject's user key and sandbox API key");
  sandbox_key->add_option("subject", subject, "The sign-in subject (Cognito sub, OIDC subject, local account name)")->required();
  sandbox_key->add_option("--config", key_config_path, "TOML configuration file (its sandbox.key_file)")->required();
  oh::gateway::AppServerCommand appserver_command;
  auto* appserver = app.add_subcommand("appserver", "Users' OpenHands app servers: list, stop or remove one");
  appserver->add_option("action", appserver_command.action, "list, stop or remove")
      ->required()
      ->check(CLI::IsMember({"list", "stop", "remove"}));
  appserver->add_option("user", appserver_command.user, "The sign-in subject (or the user key with --user-key)");
  appserver->add_flag("--user-key", appserver_command.user_is_key, "USER is a user key as `appserver list` prints");
  appserver->add_option("--config", appserver_command.config_path, "TOML configuration file")->required();
  oh::gateway::AppServerCommand user_command;
  auto* user = app.add_subcommand("user", "A user's data: delete-data removes their app server, directory and database");
  user->add_option("action", user_command.action, "delete-data")->required()->check(CLI::IsMember({"delete-data"}));
  user->add_option("user", user_command.user, "The sign-in subject (or the user key with --user-key)")->required();
  user->add_flag("--user-key", user_command.user_is_key, "USER is a user key as `appserver list` prints");
  user->add_flag("--yes", user_command.confirmed, "Delete (without it, say what would be deleted)");
  user->add_option("--config", user_command.config_path, "TOML configuration file")->required();
  CLI11_PARSE(app, argc, argv);

  if (*check) {
    return oh::gateway::checkConfig(check_path);
  }
  if (*sandbox_key) {
    return oh::gateway::printSandboxKey(subject, key_config_path, std::cout, std::cerr);
  }
  if (*appserver) {
    return oh::gateway::runAppServerCommand(appserver_command, std::cout, std::cerr);
  }
  if (*user) {
    return oh::gateway::runAppServerCommand(user_command, std::cout, std::cerr);
  }
  if (config_path.empty()) {
    std::fputs("oh-gateway: --config FILE is required (or: oh-gateway check-config FILE)\n", stderr);
    return 2;
  }
  return oh::gateway::runGateway(config_path);
}
