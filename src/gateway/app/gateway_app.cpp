#include "app/gateway_app.h"

#include <cstdio>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/appserver_assembly.h"
#include "app/credentials_assembly.h"
#include "app/late_peer_check.h"
#include "app/sandbox_assembly.h"
#include "config/load_settings.h"
#include "http/gateway_server.h"
#include "observability/metrics.h"
#include "routing/gateway_gate.h"

namespace oh::gateway {
namespace {

constexpr int kExitBadConfig = 2;
constexpr int kExitCannotListen = 1;

void applyLogLevel(const Settings& settings) {
  spdlog::set_level(spdlog::level::from_str(settings.log.level));
}

// Loads settings; logs the problems and returns null on failure.
SettingsPtr loadSettings(const std::string& path) {
  auto loaded = loadSettingsFile(path);
  if (auto* problems = std::get_if<std::vector<ConfigProblem>>(&loaded)) {
    for (const auto& problem : *problems) {
      spdlog::error("{}: {}{}", path, problem.key.empty() ? "" : problem.key + ": ", problem.message);
    }
    return nullptr;
  }
  return std::make_shared<const Settings>(std::move(std::get<Settings>(loaded)));
}

// Builds the snapshot of loaded settings; logs the problem and returns null on failure.
SnapshotPtr snapshotOf(const std::string& path, SettingsPtr settings, const GatewaySnapshot* previous,
                       GateAssembly& gates) {
  if (!settings) {
    return nullptr;
  }
  auto built = buildSnapshot(std::move(settings), previous, gates.factory());
  if (auto* error = std::get_if<std::string>(&built)) {
    spdlog::error("{}: {}", path, *error);
    return nullptr;
  }
  return std::get<SnapshotPtr>(std::move(built));
}

SnapshotPtr loadSnapshot(const std::string& path, const GatewaySnapshot* previous, GateAssembly& gates) {
  return snapshotOf(path, loadSettings(path), previous, gates);
}

}  // namespace

int checkConfig(const std::string& config_path) {
  auto loaded = loadSettingsFile(config_path);
  if (auto* problems = std::get_if<std::vector<ConfigProblem>>(&loaded)) {
    std::fputs(describe(*problems).c_str(), stdout);
    return kExitBadConfig;
  }
  // Secrets and proxy lists are part of a usable configuration too.
  auto settings = std::make_shared<const Settings>(std::move(std::get<Settings>(loaded)));
  GateAssembly gates;
  auto built = buildSnapshot(settings, nullptr, gates.factory());
  if (auto* error = std::get_if<std::string>(&built)) {
    std::fputs((*error + "\n").c_str(), stdout);
    return kExitBadConfig;
  }
  std::puts("configuration OK");
  return 0;
}

int runGateway(const std::string& config_path) {
  // Diagnostics go to stderr; stdout carries only the ready line and the access log.
  spdlog::set_default_logger(spdlog::stderr_color_mt("oh-gateway"));
  SettingsPtr settings = loadSettings(config_path);
  if (!settings) {
    return kExitBadConfig;
  }
  applyLogLevel(*settings);
  Metrics metrics;
  // The sandbox API (control plane) first: every gate routes through its snapshot, and it
  // registers its metrics with the admin listener. It outlives the gates and the server
  // (declared first, destroyed last).
  std::unique_ptr<SandboxAssembly> sandbox;
  // The sandbox API admits loopback and the app servers' addresses; the pool that knows them
  // starts after the API (it needs the API's address), so the check is bound late.
  auto app_server_peers = std::make_shared<LatePeerCheck>();
  if (settings->sandbox.enabled) {
    auto started = SandboxAssembly::start(*settings, metrics, app_server_peers->lookup());
    if (!started) {
      spdlog::error("{}", started.error().reason);
      return kExitBadConfig;
    }
    sandbox = std::move(started).value();
  }
  // Container credentials for sandboxes (issue 15): tokens name sandboxes of the service above.
  std::unique_ptr<CredentialsAssembly> credentials;
  if (settings->credentials.enabled && sandbox) {
    auto started = CredentialsAssembly::start(*settings, sandbox->routes(), metrics);
    if (!started) {
      spdlog::error("{}", started.error().reason);
      return kExitBadConfig;
    }
    credentials = std::move(started).value();
  }
  // Users' app servers (issue 14) next: they are given the sandbox API's address, and every
  // gate routes the main site to them. Destroyed before the sandbox API (declared after it).
  std::unique_ptr<AppServerAssembly> app_servers;
  if (sandbox && settings->appserver.enabled) {
    auto started = AppServerAssembly::start(*settings, sandbox->address(), sandbox->routes(), metrics);
    if (!started) {
      spdlog::error("{}", started.error().reason);
      return kExitBadConfig;
    }
    app_servers = std::move(started).value();
    app_server_peers->bind(app_servers->appServerUserLookup());
  }
  GateAssembly gates;  // outlives every snapshot
  if (sandbox) {
    gates.useSandboxes(sandbox->routes());
  }
  if (app_servers) {
    gates.useAppServers(app_servers->directory(), app_servers->accessTokenCheck());
  }
  SnapshotPtr snapshot = snapshotOf(config_path, settings, nullptr, gates);
  if (!snapshot) {
    return kExitBadConfig;
  }
  applyLogLevel(*snapshot->settings);
  if (!snapshot->origin) {
    spdlog::warn("origin check is OFF (mode = local, origin.enabled = false): never expose this listener");
  }

  // Signal handlers exist before the ready line: whoever waits for that line may signal at once.
  boost::asio::io_context signals_context(1);
  boost::asio::signal_set stop_signals(signals_context, SIGTERM, SIGINT);
  boost::asio::signal_set reload_signal(signals_context, SIGHUP);

  GatewayServer server(snapshot, metrics);
  if (auto error = server.start()) {
    spdlog::error("{}", *error);
    server.stop();
    return kExitCannotListen;
  }
  const auto listen = server.listenAddress();
  const auto admin = server.adminAddress();
  const std::string admin_text = admin ? fmt::format("{}:{}", admin->address, admin->port) : "disabled";
  const std::string sandbox_text =
      (sandbox ? fmt::format(" sandbox-api {}:{}", sandbox->address().address, sandbox->address().port) : "") +
      (credentials ? fmt::format(" credentials {}:{}", credentials->address().address, credentials->address().port) : "");
  // The one line tests and scripts wait for (with the real ports when a listen_port is 0).
  std::printf("oh-gateway listening on %s:%u admin %s%s\n", listen.address.c_str(), unsigned{listen.port},
              admin_text.c_str(), sandbox_text.c_str());
  std::fflush(stdout);
  spdlog::info("proxying to {} with {} mode", snapshot->settings->upstream.url,
               snapshot->settings->mode == Mode::local ? "local" : "aws");

  std::function<void()> wait_reload = [&] {
    reload_signal.async_wait([&](boost::system::error_code ec, int) {
      if (ec) {
        return;
      }
      spdlog::info("SIGHUP: reloading {}", config_path);
      SnapshotPtr next = loadSnapshot(config_path, snapshot.get(), gates);
      if (!next) {
        spdlog::error("reload failed; keeping the running configuration");
      } else {
        for (const auto& key : keysNeedingRestart(*snapshot->settings, *next->settings)) {
          spdlog::warn("{} changed: takes effect only after a restart", key);
        }
        snapshot = next;
        applyLogLevel(*snapshot->settings);
        server.publish(snapshot);
        spdlog::info("configuration reloaded");
      }
      wait_reload();
    });
  };
  wait_reload();
  stop_signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) {
      return;
    }
    spdlog::info("signal {}: draining (up to {} s)", signal, snapshot->settings->server.drain_timeout.count());
    reload_signal.cancel();
  });
  signals_context.run();

  server.drainAndStop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace oh::gateway
