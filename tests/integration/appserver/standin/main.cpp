// openhands-app-server stand-in: does what OpenHands 1.7.0's app server does with RUNTIME=remote
// (see docs/instance.md, "The app-server stand-in"). Exit status 1 with one log line when the
// configuration would make the real one raise at start-up, 2 when the database cannot be
// opened or migrated.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "app_config.h"
#include "app_server.h"
#include "database.h"
#include "encryption_keys.h"
#include "server.h"

using namespace oh::appserver_standin;

int main(int argc, char** argv) {
  // As a container's PID 1 the default dispositions do not apply: stop promptly on SIGTERM.
  std::signal(SIGTERM, [](int) { std::_Exit(0); });
  std::signal(SIGINT, [](int) { std::_Exit(0); });
  std::signal(SIGPIPE, SIG_IGN);
  std::setvbuf(stderr, nullptr, _IOLBF, 0);

  const Environment environment = processEnvironment();
  auto parsed = parseAppConfig(environment);
  if (!parsed) {
    std::fprintf(stderr, "ERROR: cannot start: %s\n", parsed.error().reason.c_str());
    return 1;
  }
  AppConfig config = std::move(parsed.value());
  std::string error;
  if (!applyCommandLine(config, argc, argv, error)) {
    std::fprintf(stderr, "ERROR: cannot start: %s\n", error.c_str());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(config.persistence_dir, ec);  // config.py:85
  if (ec) {
    std::fprintf(stderr, "ERROR: cannot start: cannot create %s: %s\n", config.persistence_dir.c_str(), ec.message().c_str());
    return 1;
  }
  auto key = ensureMasterKey(config);
  if (!key) {
    std::fprintf(stderr, "ERROR: cannot start: %s\n", key.error().reason.c_str());
    return 1;
  }
  auto database = openDatabase(config);
  if (!database) {
    std::fprintf(stderr, "ERROR: cannot start: %s\n", database.error().reason.c_str());
    return 2;
  }
  if (auto migrated = migrate(*database.value()); !migrated) {
    std::fprintf(stderr, "ERROR: cannot start: migration failed: %s\n", migrated.error().reason.c_str());
    return 2;
  }
  AppServer app(config, *database.value(), proxySettingsFrom(environment));
  Server server(config, app);
  const std::uint16_t port = server.bind(error);
  if (port == 0) {
    std::fprintf(stderr, "ERROR: cannot start: %s\n", error.c_str());
    return 1;
  }
  std::fprintf(stderr,
               "INFO: app-server stand-in (OpenHands 1.7.0) database=%s persistence=%s master_key=%s sandbox_api=%s "
               "web_url=%s\n",
               database.value()->describe().c_str(), config.persistence_dir.c_str(), key->source.c_str(),
               config.sandbox_api_url.c_str(), config.web_url.value_or("(none)").c_str());
  std::fprintf(stderr, "INFO:     Uvicorn running on http://%s:%u (Press CTRL+C to quit)\n", config.listen_host.c_str(),
               static_cast<unsigned>(port));
  server.run();
}
