#pragma once
// Everything a request needs from configuration, built once per (re)load and shared read-only:
// the settings, the origin secrets, the trusted proxy list and the rate limiter. SIGHUP builds a
// new snapshot and publishes it to every worker; a request keeps the snapshot it started with.

#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "config/settings.h"
#include "http/request_gate.h"
#include "policy/client_address.h"
#include "policy/host_allowlist.h"
#include "policy/origin_verifier.h"
#include "policy/rate_limiter.h"

namespace oh::gateway {

struct GatewaySnapshot {
  SettingsPtr settings;
  std::shared_ptr<const OriginVerifier> origin;  // null when the origin check is off (local mode only)
  TrustedProxies trusted;
  HostAllowlist hosts;                           // which Host values are served (421 otherwise)
  std::shared_ptr<RateLimiter> limiter;          // null when rate limiting is off
  RequestGatePtr gate;                           // sign-in and runtime routing; null: forward everything
};

using SnapshotPtr = std::shared_ptr<const GatewaySnapshot>;

// True when the origin check applies: always, except in local mode with origin.enabled = false.
bool originCheckRequired(const Settings& settings);

// Builds the request gate for a configuration (routing/gateway_gate.h), or says why it cannot.
using GateFactory = std::function<std::variant<RequestGatePtr, std::string>(const SettingsPtr&)>;

// Builds a snapshot; reads the origin secret files and, with a factory, builds the gate. The previous snapshot's rate limiter is kept
// (with its buckets) when its parameters did not change, so a reload does not reset every client.
// Returns the problem as text when a secret file or a trusted proxy entry is unusable.
std::variant<SnapshotPtr, std::string> buildSnapshot(SettingsPtr settings, const GatewaySnapshot* previous,
                                                     const GateFactory& gate_factory = {});

}  // namespace oh::gateway
