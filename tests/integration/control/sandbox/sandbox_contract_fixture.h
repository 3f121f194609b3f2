#pragma once
// The remote sandbox API's contract tests' bed: a private Podman API service with the runtime
// test image (its /usr/local/bin/openhands-agent-server is the stand-in of
// tests/integration/runtime/agent_server_standin), the real oh-gateway with [sandbox] enabled on
// loopback, and a store that is SQLite (a file in the test's directory) or PostgreSQL (a private
// cluster, tests/support/private_postgres.h), chosen by the test's parameter.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "podman_fixture.h"
#include "remote_sandbox_caller.h"
#include "support/gateway_process.h"
#include "support/private_postgres.h"

namespace oh::testing {

enum class StoreKind { sqlite, postgresql };

struct SandboxUser {
  std::string subject;
  std::string user_key;
  std::string api_key;
};

class SandboxContractTest : public ::testing::TestWithParam<StoreKind> {
protected:
  void SetUp() override;
  void TearDown() override;

  // Starts (or restarts) oh-gateway on the same store, keys and workspace root.
  void startGateway();
  void stopGateway();

  // `oh-gateway sandbox-key SUBJECT --config FILE` for a fresh subject.
  SandboxUser newUser();
  RemoteSandboxCaller caller(const SandboxUser& user) const { return RemoteSandboxCaller(api_port_, user.api_key); }
  RemoteSandboxCaller callerWithKey(const std::string& key) const { return RemoteSandboxCaller(api_port_, key); }

  // GET /sessions/{id} every 2 s, as the app server polls a starting sandbox (sandbox_service.py:
  // 78-150), until its status is `status`; the last reply.
  SandboxApiReply waitForStatus(const SandboxUser& user, const std::string& id, const std::string& status);

  // Containers carrying the service's sandbox-id label for this id (docker inspect bodies).
  std::vector<boost::json::value> containersOf(const std::string& sandbox_id) const;
  // The container's IP on its (only) network, "" when none.
  static std::string addressOf(const boost::json::value& inspected);

  std::string workspaceRoot() const { return (dir_ / "workspaces").string(); }

  std::unique_ptr<PodmanService> podman_;
  std::unique_ptr<PrivatePostgres> postgres_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::filesystem::path dir_;
  std::string store_url_;
  std::string managed_label_;
  std::uint16_t api_port_ = 0;
  std::vector<SandboxUser> users_;
};

std::string storeName(const ::testing::TestParamInfo<StoreKind>& info);

}  // namespace oh::testing
