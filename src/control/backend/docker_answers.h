#pragma once
// What the Docker backend reads: the Engine API's answers (Docker's and Podman's shapes) turned
// into observations and failure reasons. Everything here is untrusted input from a socket:
// malformed, hostile or oversized JSON gives a failure value, never an exception.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/workload_backend.h"

namespace oh::control {

// Docker's State.Status (inspect) or State (list): created/configured -> created;
// running/paused/restarting -> running (it holds its resources); exited/dead/stopped/removing
// and anything unknown -> exited (safe to start again or remove).
WorkloadState workloadStateOf(std::string_view status);

// GET /containers/{name}/json answered 200. The address is the IP on the first network named
// {network_prefix}..., and only while running.
BackendResult<WorkloadObservation> parseContainerInspect(std::string_view json, std::string_view network_prefix);

// GET /containers/json?all=true answered 200. Entries without an Id or a name are skipped (one
// odd container must not hide the others from a reconcile).
BackendResult<std::vector<WorkloadObservation>> parseContainerList(std::string_view json,
                                                                   std::string_view network_prefix);

// GET /networks?filters= answered 200: of the network called exactly `name`, the IPv4 gateway
// of IPAM.Config (Docker's and Podman's compat shape), else the IPv6 one; "" when it names none.
// The network missing from the list, or a gateway that is not an IP address, is a failure: the
// value goes into an app server's FORWARDED_ALLOW_IPS.
BackendResult<std::string> parseNetworkGateway(std::string_view json, std::string_view name);

// GET /containers/{name}/stats?stream=false answered 200: memory_stats.usage less the inactive
// page cache (stats.inactive_file on cgroup v2, total_inactive_file on v1), as `docker stats`
// shows it. Missing or malformed fields are a failure, not a zero.
BackendResult<WorkloadUsage> parseContainerUsage(std::string_view json);

// The reason in an error answer: Docker's {"message": …} (Podman adds "cause" and "response"),
// or the text itself when it is not that shape; control characters dropped, at most 300 bytes.
std::string dockerMessage(std::string_view body);

// The progress stream of POST /images/create (200 even when the pull fails: the failure is an
// object with "error" in the stream). Objects are one per line; a line over the limit is skipped.
class PullProgress {
public:
  void feed(std::string_view bytes);
  // The first error the stream reported (trimmed like dockerMessage), once the stream ended.
  std::optional<std::string> finish();

private:
  void line(std::string_view text);

  std::string pending_;
  bool skipping_ = false;  // inside a line over the limit
  std::optional<std::string> error_;
};

}  // namespace oh::control
