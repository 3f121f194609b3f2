#include "app/sandbox_key_command.h"

#include <variant>

#include "auth/key_file.h"
#include "config/load_settings.h"
#include "sandbox/api_keys.h"
#include "sandbox/user_key.h"

namespace oh::gateway {

namespace {
constexpr int kExitBadConfig = 2;
}  // namespace

int printSandboxKey(const std::string& subject, const std::string& config_path, std::ostream& out, std::ostream& err) {
  if (subject.empty()) {
    err << "oh-gateway sandbox-key: the subject must not be empty\n";
    return kExitBadConfig;
  }
  auto loaded = loadSettingsFile(config_path);
  if (auto* problems = std::get_if<std::vector<ConfigProblem>>(&loaded)) {
    err << describe(*problems);
    return kExitBadConfig;
  }
  const Settings& settings = std::get<Settings>(loaded);
  if (settings.sandbox.key_file.empty()) {
    err << "sandbox.key_file: is not set in " << config_path << "\n";
    return kExitBadConfig;
  }
  auto secret = auth::readKeyFile(settings.sandbox.key_file);
  if (!secret) {
    err << "sandbox.key_file: " << secret.error().reason << "\n";
    return kExitBadConfig;
  }
  auto keys = control::SandboxApiKeys::fromSecret(std::move(secret).value());
  if (!keys) {
    err << "sandbox.key_file: " << keys.error().reason << "\n";
    return kExitBadConfig;
  }
  const std::string user_key = control::userKeyForSubject(subject);
  out << "user_key=" << user_key << "\n";
  out << "api_key=" << keys->keyFor(user_key) << "\n";
  return 0;
}

}  // namespace oh::gateway
