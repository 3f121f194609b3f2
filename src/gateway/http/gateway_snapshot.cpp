#include "http/gateway_snapshot.h"

namespace oh::gateway {

bool originCheckRequired(const Settings& settings) {
  return !(settings.mode == Mode::local && !settings.origin.enabled);
}

std::variant<SnapshotPtr, std::string> buildSnapshot(SettingsPtr settings, const GatewaySnapshot* previous,
                                                     const GateFactory& gate_factory) {
  auto snapshot = std::make_shared<GatewaySnapshot>();
  if (originCheckRequired(*settings)) {
    std::string error;
    auto verifier = OriginVerifier::fromFiles(settings->origin.current_secret_file,
                                              settings->origin.previous_secret_file, error);
    if (!verifier) {
      return "origin: " + error;
    }
    snapshot->origin = std::make_shared<const OriginVerifier>(std::move(*verifier));
  }
  {
    std::string error;
    auto trusted = TrustedProxies::parse(settings->rate_limit.trusted_proxies, error);
    if (!trusted) {
      return "rate_limit.trusted_proxies: " + error;
    }
    snapshot->trusted = std::move(*trusted);
  }
  {
    std::vector<std::string> main_hosts = settings->auth.callback_hosts;
    main_hosts.insert(main_hosts.end(), settings->server.allowed_hosts.begin(), settings->server.allowed_hosts.end());
    snapshot->hosts = HostAllowlist(main_hosts, settings->runtime.enabled ? settings->runtime.host_suffixes
                                                                         : std::vector<std::string>{});
  }
  const auto& rate = settings->rate_limit;
  if (rate.enabled) {
    const bool same = previous != nullptr && previous->limiter && previous->settings &&
                      previous->settings->rate_limit.requests_per_second == rate.requests_per_second &&
                      previous->settings->rate_limit.burst == rate.burst &&
                      previous->settings->rate_limit.max_tracked_clients == rate.max_tracked_clients;
    snapshot->limiter = same ? previous->limiter
                             : std::make_shared<RateLimiter>(rate.requests_per_second, rate.burst,
                                                             rate.max_tracked_clients);
  }
  if (gate_factory) {
    auto gate = gate_factory(settings);
    if (auto* error = std::get_if<std::string>(&gate)) {
      return std::move(*error);
    }
    snapshot->gate = std::get<RequestGatePtr>(std::move(gate));
  }
  snapshot->settings = std::move(settings);
  return SnapshotPtr(std::move(snapshot));
}

}  // namespace oh::gateway
