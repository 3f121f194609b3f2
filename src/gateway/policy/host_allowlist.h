#pragma once
// Which Host values the public listener serves (issue 16, DNS rebinding): the configured main
// hosts (auth.callback_hosts, and each runtime suffix without its "runtime." label), the runtime
// hosts under runtime.host_suffixes, and server.allowed_hosts (e.g. CloudFront's origin name).
// Anything else gets 421 before any other check: a page on a name that an attacker re-pointed at
// this machine must not reach OpenHands as if it were OpenHands' own origin. The probes
// (/_gateway/health, /_gateway/ready) answer whatever the Host, for load balancers that send
// their own. With no host configured at all (auth.provider = "none" without runtime apps: tests,
// benchmarks) every Host is served.
//
// The admin listener has its own, fixed list: loopback names only (isLoopbackHostHeader).

#include <string>
#include <string_view>
#include <vector>

namespace oh::gateway {

class HostAllowlist {
public:
  HostAllowlist() = default;  // serves every Host
  // main_hosts: "host" or "host:port" (auth.callback_hosts, server.allowed_hosts);
  // runtime_suffixes: runtime.host_suffixes when runtime apps are on (each "runtime.{main}"
  // also admits {main}).
  HostAllowlist(const std::vector<std::string>& main_hosts, const std::vector<std::string>& runtime_suffixes);

  // `host` is the Host header as received (any case, may end in ":port" or a root dot).
  // An entry configured with a port matches that port only; one without, any port.
  bool admits(std::string_view host) const;
  bool enforced() const { return !exact_.empty() || !names_.empty() || !suffixes_.empty(); }

private:
  std::vector<std::string> exact_;     // "host:port" entries, lowercase
  std::vector<std::string> names_;     // host names without a port, lowercase
  std::vector<std::string> suffixes_;  // runtime suffixes: names under them (and the suffix itself)
};

// For the admin listener: "127.0.0.1", "localhost" or "[::1]", any port, any case.
bool isLoopbackHostHeader(std::string_view host);

}  // namespace oh::gateway
