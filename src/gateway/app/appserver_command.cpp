#include "app/appserver_command.h"

#include <variant>

#include "app/appserver_assembly.h"
#include "appserver/app_server_operations.h"
#include "appserver/app_server_workload.h"
#include "config/load_settings.h"
#include "sandbox/user_key.h"

namespace oh::gateway {

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

std::string_view stateName(control::WorkloadState state) {
  switch (state) {
    case control::WorkloadState::absent: return "absent";
    case control::WorkloadState::created: return "created";
    case control::WorkloadState::running: return "running";
    case control::WorkloadState::exited: return "exited";
  }
  return "unknown";
}

int list(const Settings& settings, control::WorkloadBackend& backend, std::ostream& out, std::ostream& err) {
  auto workloads = backend.list(control::kAppServerManagedLabel, settings.appserver.managed_label_value);
  if (!workloads) {
    err << "oh-gateway appserver list: the container engine: " << workloads.error().reason << "\n";
    return kExitFailed;
  }
  for (const auto& workload : *workloads) {
    out << "user_key=" << control::labelOf(workload, control::kAppServerOwnerLabel) << " state=" << stateName(workload.state)
        << " address=" << workload.address << " version=" << control::labelOf(workload, control::kAppServerVersionLabel)
        << " name=" << workload.name << "\n";
  }
  return 0;
}

}  // namespace

int runAppServerCommand(const AppServerCommand& command, std::ostream& out, std::ostream& err) {
  const std::string prefix = command.action == "delete-data" ? "oh-gateway user delete-data: " : "oh-gateway appserver " + command.action + ": ";
  auto loaded = loadSettingsFile(command.config_path);
  if (auto* problems = std::get_if<std::vector<ConfigProblem>>(&loaded)) {
    err << describe(*problems);
    return kExitUsage;
  }
  const Settings& settings = std::get<Settings>(loaded);
  if (!settings.appserver.enabled) {
    err << prefix << "appserver.enabled is not true in " << command.config_path << "\n";
    return kExitUsage;
  }
  const auto backend = appServerBackend(settings);
  if (command.action == "list") {
    return list(settings, *backend, out, err);
  }

  if (command.user.empty()) {
    err << prefix << "name the user (a sign-in subject, or a user key with --user-key)\n";
    return kExitUsage;
  }
  const std::string user_key = command.user_is_key ? command.user : control::userKeyForSubject(command.user);
  if (!control::isUserKey(user_key)) {
    err << prefix << "not a user key (32 lowercase hex digits, as `appserver list` prints)\n";
    return kExitUsage;
  }
  if (command.action == "stop") {
    auto stopped = backend->stop(control::appServerName(user_key), settings.sandbox.stop_grace);
    if (!stopped) {
      err << prefix << stopped.error().reason << "\n";
      return kExitFailed;
    }
    out << "stopped the app server of user_key=" << user_key << " (data kept)\n";
    return 0;
  }
  if (command.action == "remove") {
    auto removed = control::removeUserAppServer(*backend, user_key);
    if (!removed) {
      err << prefix << removed.error().reason << "\n";
      return kExitFailed;
    }
    out << "removed the app server of user_key=" << user_key << " (data kept)\n";
    return 0;
  }
  if (command.action != "delete-data") {
    err << "oh-gateway appserver: unknown action \"" << command.action << "\" (list, stop, remove)\n";
    return kExitUsage;
  }
  // Irreversible: the user's settings, secrets, conversations and database.
  const std::string directory = settings.appserver.data_root + "/" + user_key;
  if (!command.confirmed) {
    err << prefix << "would remove the app server of user_key=" << user_key << ", " << directory
        << (settings.appserver.database_url.empty() ? "" : " and the user's database")
        << "; run again with --yes to delete\n";
    return kExitUsage;
  }
  auto secrets = readAppServerSecrets(settings);
  if (!secrets) {
    err << prefix << secrets.error().reason << "\n";
    return kExitUsage;
  }
  auto databases = userDatabases(settings, secrets->secret_key);
  if (!databases) {
    err << prefix << databases.error().reason << "\n";
    return kExitUsage;
  }
  const control::AppServerPoolSettings pool_settings = appServerPoolSettings(
      settings, ListenAddress{settings.sandbox.listen_address, settings.sandbox.listen_port}, std::move(secrets).value(),
      [](const char*) -> const char* { return nullptr; });
  auto deleted = control::deleteUserAppServerData(pool_settings, *backend, databases->get(), user_key);
  if (!deleted) {
    err << prefix << deleted.error().reason << "\n";
    return kExitFailed;
  }
  out << "deleted the app server and data of user_key=" << user_key << "\n";
  return 0;
}

}  // namespace oh::gateway
