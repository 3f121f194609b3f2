#include "app/appserver_command.h"

#include <variant>

#include "app/appserver_assembly.h"
#include "app/sandbox_assembly.h"
#include "appserver/app_server_operations.h"
#include "appserver/app_server_workload.h"
#include "common/random_source.h"
#include "common/wall_clock.h"
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

int deleteSandboxes(const Settings& settings, const std::string& user_key, const std::string& prefix, std::ostream& out,
                    std::ostream& err) {
  common::SystemWallClock clock;
  common::SystemRandomSource random;
  auto service = openSandboxService(settings, clock, random);
  if (!service) {
    err << prefix << service.error().reason << "\n";
    return kExitUsage;
  }
  auto removed = (*service)->removeOwner(user_key);
  if (!removed) {
    err << prefix << "the sandboxes: " << removed.error().message << "\n";
    return kExitFailed;
  }
  out << "removed " << removed->sandboxes.size() << " sandbox(es) of user_key=" << user_key << " (containers and records)";
  for (const std::string& id : removed->sandboxes) {
    out << " " << id;
  }
  out << "\n";
  if (removed->orphan_containers > 0) {
    out << "removed " << removed->orphan_containers << " container(s) of the user's without a record\n";
  }
  out << (removed->workspaces ? "removed" : "no") << " sandbox workspaces at " << settings.sandbox.workspace_root << "/"
      << user_key << "\n";
  out << "removed the network " << removed->network << " (or it was gone)\n";
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
  // Irreversible: the user's settings, secrets, conversations and database, sandboxes and
  // their workspaces.
  const std::string directory = settings.appserver.data_root + "/" + user_key;
  if (!command.confirmed) {
    err << prefix << "would remove the app server of user_key=" << user_key << ", " << directory
        << (settings.appserver.database_url.empty() ? "" : ", the user's database")
        << (settings.sandbox.enabled ? ", the user's sandboxes, their records and workspaces, and the user's network" : "")
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
  // Then the sandboxes, through the sandbox service's own operations: last, since the network
  // goes with them and the app server had to leave it first.
  return settings.sandbox.enabled ? deleteSandboxes(settings, user_key, prefix, out, err) : 0;
}

}  // namespace oh::gateway
