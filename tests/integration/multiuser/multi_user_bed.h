#pragma once
// The whole multi-user design's bed (issue 14): the real oh-gateway with local accounts,
// [runtime] (owner policy), [sandbox] and [appserver] on; a private Podman API service running
// the app-server stand-in image and the agent-server stand-in sandboxes; a private PostgreSQL
// holding the sandbox store and each user's database. As on an instance, the app servers sit on
// their users' bridge networks and reach the host at a link-local address (169.254.213.x, added
// to lo for the test as the deployments add one on a dummy interface): the sandbox API (also
// the app servers' HTTP_PROXY to their sandboxes' agent servers) and PostgreSQL's TCP listener
// listen there. The app-server image is the stand-in's with the sandboxes' image (the test
// image) set. Ports are chosen once, so a restarted gateway is where the running servers expect.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "podman_fixture.h"
#include "support/browser.h"
#include "support/gateway_process.h"
#include "support/private_postgres.h"

namespace oh::testing {

struct BedUser {
  std::string name;      // the local account, the session's subject
  std::string user_key;  // control::userKeyForSubject(name)
  std::unique_ptr<Browser> browser;
};

class MultiUserBed {
public:
  MultiUserBed() = default;
  ~MultiUserBed();
  MultiUserBed(const MultiUserBed&) = delete;
  MultiUserBed& operator=(const MultiUserBed&) = delete;

  // Why the bed cannot run here (podman, root, the binary), or nullopt.
  static std::optional<std::string> unavailable();

  // Everything up to a running gateway; an error description or nullopt.
  std::optional<std::string> start(const std::vector<std::string>& user_names, std::chrono::seconds idle_timeout);

  std::optional<std::string> startGateway();
  void stopGateway();  // SIGTERM
  void killGateway();  // SIGKILL: a crash, nothing said to the pool

  // Signs the user in through the login form; an error description or nullopt.
  std::optional<std::string> signIn(BedUser& user);

  std::vector<BedUser>& users() { return users_; }
  GatewayProcess& gateway() { return *gateway_; }
  const PodmanService& podman() const { return *podman_; }
  std::uint16_t gatewayPort() const { return gateway_port_; }
  // http://169.254.213.x:PORT: the sandbox API listener.
  std::string sandboxApiUrl() const { return "http://" + host_address_ + ":" + std::to_string(sandbox_api_port_); }

  // The admin listener's GET path body ("" when it does not answer 200).
  std::string admin(const std::string& path) const;
  // The value of a /metrics sample line ("name{labels}"), or -1.
  double metric(const std::string& sample) const;

  // Inspect bodies of the containers carrying org.openhands.managed=value.
  std::vector<boost::json::value> containersLabelled(const std::string& value) const;
  std::vector<boost::json::value> appServerContainers() const { return containersLabelled(appserver_label_); }
  std::vector<boost::json::value> sandboxContainers() const { return containersLabelled(sandbox_label_); }
  // The app server's container inspect body (null when there is none).
  boost::json::value appServerContainer(const BedUser& user) const;
  // The app server's stdout (the stand-in logs one JSON line per request).
  std::string appServerLog(const BedUser& user) const;
  // The sandbox's one container (null when none).
  boost::json::value sandboxContainer(const std::string& sandbox_id) const;
  // Runs `sh -c script` in a container; its exit code, or -1.
  int exec(const std::string& container, const std::string& script) const;
  // podman rm -f of every container the pool and the sandbox service made: what an instance
  // replacement leaves (the data on disk and in PostgreSQL stays). How many were removed.
  std::size_t removeEveryContainer() const;

private:
  std::optional<std::string> pickHostAddress();
  std::optional<std::string> buildAppServerImage();
  std::optional<std::string> writeKeysAndUsers(const std::vector<std::string>& names);
  std::string toml() const;

  std::filesystem::path dir_;
  std::string host_address_;  // 169.254.213.x on lo
  bool address_added_ = false;
  std::string suffix_;
  std::string sandbox_label_, appserver_label_, network_prefix_, appserver_image_;
  std::unique_ptr<PodmanService> podman_;
  std::unique_ptr<PrivatePostgres> postgres_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::uint16_t gateway_port_ = 0, admin_port_ = 0, sandbox_api_port_ = 0;
  std::chrono::seconds idle_timeout_{60};
  std::vector<BedUser> users_;
};

}  // namespace oh::testing
