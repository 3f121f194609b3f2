// The Docker backend: WorkloadBackend over DockerApiClient. Each method is one or two Engine API
// calls; what the answers mean is decided here, in one place per call:
//   connect failure, timeout, dropped connection  -> unavailable
//   a name that exists (409; Podman 4: 500 "already in use")  -> conflict
//   400, an image still missing after a pull, 500 "invalid"  -> refused, with Docker's message
//   anything else  -> other
// Messages are Docker's (trimmed to 300 bytes) with the spec's environment values masked, in
// case a daemon ever echoes the body it refused.

#include "backend/docker_backend.h"

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "backend/docker_answers.h"
#include "backend/docker_api_client.h"
#include "backend/docker_requests.h"
#include "backend/workload_spec_rules.h"
#include "common/text.h"

namespace oh::control {
namespace {

using Kind = BackendFailure::Kind;

BackendFailure failure(Kind kind, std::string reason) { return BackendFailure{kind, std::move(reason)}; }

bool nameTaken(const DockerAnswer& answer) {
  return answer.status == 409 ||
         (answer.status == 500 && (common::containsIgnoreCase(answer.body, "already in use") ||
                                   common::containsIgnoreCase(answer.body, "already exists")));
}

// A create naming a network that is not there (removed behind our back): Docker 404 "network
// ... not found", Podman 404 or 500 "unable to find network ...: network not found".
bool networkMissing(const DockerAnswer& answer) {
  return (answer.status == 404 || answer.status == 500) && common::containsIgnoreCase(answer.body, "network") &&
         common::containsIgnoreCase(answer.body, "not found");
}

bool imageMissing(const DockerAnswer& answer) {
  return answer.status == 404 && (common::containsIgnoreCase(answer.body, "no such image") ||
                                  common::containsIgnoreCase(answer.body, "image not known"));
}

// An answer that is neither success nor one the caller handles itself.
BackendFailure answerFailure(std::string_view call, const DockerAnswer& answer) {
  const std::string message = dockerMessage(answer.body);
  const std::string reason = std::string(call) + ": " + message + " (status " + std::to_string(answer.status) + ")";
  if (answer.status == 400 || (answer.status == 500 && common::containsIgnoreCase(message, "invalid"))) {
    return failure(Kind::refused, reason);
  }
  return failure(Kind::other, reason);
}

// Replaces every environment value of 8 bytes or more (secrets are longer; shorter values would
// mask ordinary words and names) in a reason with "***".
std::string masked(std::string reason, const WorkloadSpec& spec) {
  for (const auto& [name, value] : spec.environment) {
    if (value.size() < 8) {
      continue;
    }
    for (std::size_t at = reason.find(value); at != std::string::npos; at = reason.find(value, at + 3)) {
      reason.replace(at, value.size(), "***");
    }
  }
  return reason;
}

class DockerBackend final : public WorkloadBackend {
public:
  explicit DockerBackend(DockerBackendOptions options)
      : options_(std::move(options)),
        docker_(options_.socket, options_.max_response_bytes),
        rules_{options_.workspace_root, options_.network_prefix, options_.socket} {}

  // WorkloadBackend
  // A network ensured once by this backend is taken to exist from then on: every bring-up
  // (each resume) ensures its owner's network, and on Podman any network call waits for the
  // host's network lock, which other containers' starts and stops hold (seconds on a busy
  // host). A create that finds the network gone forgets it (create below), so the retry that
  // follows makes it again.
  // Otherwise create first, and a name taken is success: asking whether the network exists
  // costs far more on Podman, whose GET /networks/{name} walks every container on the host to
  // list the network's members (2-4 s with 1,000 containers), while a create of a name in use
  // fails at once. CheckDuplicate (networkCreateBody) makes Docker refuse it too (409) rather
  // than make a second network of the same name.
  BackendResult<BackendDone> ensureNetwork(std::string_view name,
                                           const std::map<std::string, std::string>& labels) override {
    if (auto refusal = networkRefusal(name, rules_)) {
      return common::fail(failure(Kind::refused, *refusal));
    }
    if (networkKnown(name)) {
      return BackendDone{};
    }
    auto created = call("POST", "/networks/create", networkCreateBody(name, labels));
    if (!created) {
      return common::fail(created.error());
    }
    // Made now, made before (by us, another thread or another gateway): it exists, as asked.
    if (created->status == 201 || created->status == 200 || nameTaken(*created)) {
      rememberNetwork(name, true);
      return BackendDone{};
    }
    return common::fail(answerFailure("create network " + std::string(name), *created));
  }

  // Asked once per app-server start, never per request; answered from memory after the first
  // time, as a network keeps its gateway for its life: on a busy Podman host the list waits
  // for the network lock (1.6-12.7 s per start in bench/control/appserver_bench.py). Forgotten
  // with the network (removeNetwork, or a create that finds it gone).
  BackendResult<std::string> networkGateway(std::string_view name) override {
    if (auto refusal = networkRefusal(name, rules_)) {
      return common::fail(failure(Kind::refused, *refusal));
    }
    if (auto known = knownGateway(name)) {
      return *known;
    }
    auto answer = call("GET", networkListTarget(name));
    if (!answer) {
      return common::fail(answer.error());
    }
    if (answer->status != 200) {
      return common::fail(answerFailure("list network " + std::string(name), *answer));
    }
    auto gateway = parseNetworkGateway(answer->body, name);
    if (gateway) {
      std::lock_guard lock(networks_mutex_);
      network_gateways_[std::string(name)] = *gateway;
    }
    return gateway;
  }

  BackendResult<BackendDone> removeNetwork(std::string_view name) override {
    if (auto refusal = networkRefusal(name, rules_)) {
      return common::fail(failure(Kind::refused, *refusal));
    }
    auto removed = call("DELETE", "/networks/" + std::string(name));
    if (!removed) {
      return common::fail(removed.error());
    }
    rememberNetwork(name, false);
    if (removed->status == 204 || removed->status == 200 || removed->status == 404) {
      return BackendDone{};
    }
    return common::fail(answerFailure("remove network " + std::string(name), *removed));
  }

  BackendResult<BackendDone> pullImage(std::string_view image) override {
    if (auto refusal = imageRefusal(image)) {
      return common::fail(failure(Kind::refused, *refusal));
    }
    // The reference is checked: [a-z0-9._/-], a registry's host:port, ':' tag and '@' digest
    // only, which Docker's path /images/{name}/json takes as they are.
    auto found = call("GET", "/images/" + std::string(image) + "/json");
    if (!found) {
      return common::fail(found.error());
    }
    if (found->status == 200) {
      return BackendDone{};
    }
    if (found->status != 404) {
      return common::fail(answerFailure("inspect image " + std::string(image), *found));
    }
    return pull(std::string(image));
  }

  BackendResult<WorkloadObservation> create(const WorkloadSpec& spec) override {
    if (auto refusal = refusalOf(spec, rules_)) {
      return common::fail(failure(Kind::refused, *refusal));
    }
    const std::string body = containerCreateBody(spec);
    auto created = call("POST", containerCreateTarget(spec.name), body);
    if (created && imageMissing(*created)) {
      if (auto pulled = pull(spec.image); !pulled) {
        return common::fail(failure(pulled.error().kind, masked(pulled.error().reason, spec)));
      }
      created = call("POST", containerCreateTarget(spec.name), body);
    }
    if (!created) {
      return common::fail(created.error());
    }
    if (created->status != 201 && networkMissing(*created)) {
      rememberNetwork(spec.network, false);  // the next ensureNetwork makes it again
    }
    if (created->status != 201) {
      BackendFailure why = nameTaken(*created) ? failure(Kind::conflict, "workload " + spec.name + " exists already")
                           : imageMissing(*created)
                               ? failure(Kind::refused, "create " + spec.name + ": " + dockerMessage(created->body))
                           : spec.limits.disk_bytes > 0 && common::containsIgnoreCase(dockerMessage(created->body), "storage-opt")
                               ? failure(Kind::refused, "create " + spec.name + ": " + std::string(kDiskLimitUnsupported) +
                                                            " (the engine said: " + dockerMessage(created->body) + ")")
                               : answerFailure("create " + spec.name, *created);
      why.reason = masked(std::move(why.reason), spec);
      return common::fail(std::move(why));
    }
    return inspect(spec.name);
  }

  BackendResult<WorkloadObservation> start(std::string_view name) override {
    auto started = callOn(name, "POST", "/start");
    if (!started) {
      return common::fail(started.error());
    }
    if (started->status == 404) {
      return common::fail(failure(Kind::other, "start " + std::string(name) + ": the workload is absent"));
    }
    if (started->status != 204 && started->status != 304) {  // 304: running already
      return common::fail(answerFailure("start " + std::string(name), *started));
    }
    return inspect(name);
  }

  BackendResult<BackendDone> stop(std::string_view name, std::chrono::seconds grace) override {
    // Docker waits `grace` before SIGKILL, then answers: the call's deadline must cover both.
    auto stopped = callOn(name, "POST", "/stop?t=" + std::to_string(grace.count()), options_.request_timeout + grace);
    if (!stopped) {
      return common::fail(stopped.error());
    }
    if (stopped->status == 204 || stopped->status == 304 || stopped->status == 404) {
      return BackendDone{};
    }
    return common::fail(answerFailure("stop " + std::string(name), *stopped));
  }

  BackendResult<BackendDone> remove(std::string_view name) override {
    // v=false: never remove volumes (the workspace is a bind mount and outlives the container).
    auto removed = callOn(name, "DELETE", "?force=true&v=false");
    if (!removed) {
      return common::fail(removed.error());
    }
    // 409 "removal already in progress": someone else is removing it, which is what we asked.
    if (removed->status == 204 || removed->status == 404 || removed->status == 409) {
      return BackendDone{};
    }
    return common::fail(answerFailure("remove " + std::string(name), *removed));
  }

  BackendResult<WorkloadUsage> usage(std::string_view name) override {
    auto answer = callOn(name, "GET", "/stats?stream=false&one-shot=true");
    if (!answer) {
      return common::fail(answer.error());
    }
    if (answer->status != 200) {
      return common::fail(answerFailure("stats " + std::string(name), *answer));
    }
    return parseContainerUsage(answer->body);
  }

  BackendResult<WorkloadObservation> inspect(std::string_view name) override {
    auto answer = callOn(name, "GET", "/json");
    if (!answer) {
      return common::fail(answer.error());
    }
    if (answer->status == 404) {
      WorkloadObservation absent;
      absent.name = std::string(name);
      return absent;
    }
    if (answer->status != 200) {
      return common::fail(answerFailure("inspect " + std::string(name), *answer));
    }
    return parseContainerInspect(answer->body, options_.network_prefix);
  }

  BackendResult<std::vector<WorkloadObservation>> list(std::string_view label_key,
                                                       std::string_view label_value) override {
    auto answer = call("GET", labelListTarget(label_key, label_value));
    if (!answer) {
      return common::fail(answer.error());
    }
    if (answer->status != 200) {
      return common::fail(answerFailure("list workloads", *answer));
    }
    return parseContainerList(answer->body, options_.network_prefix);
  }

private:
  bool networkKnown(std::string_view name) {
    std::lock_guard lock(networks_mutex_);
    return known_networks_.count(std::string(name)) != 0;
  }

  void rememberNetwork(std::string_view name, bool exists) {
    std::lock_guard lock(networks_mutex_);
    if (exists) {
      known_networks_.emplace(name);
    } else {
      known_networks_.erase(std::string(name));
      network_gateways_.erase(std::string(name));
    }
  }

  std::optional<std::string> knownGateway(std::string_view name) {
    std::lock_guard lock(networks_mutex_);
    auto it = network_gateways_.find(std::string(name));
    return it == network_gateways_.end() ? std::nullopt : std::optional(it->second);
  }

  BackendResult<DockerAnswer> call(std::string_view method, const std::string& target, std::string_view body = {}) {
    return docker_.call(method, target, body, options_.request_timeout);
  }

  // A call on /containers/{name}{suffix}; the name is checked first since it goes into the path.
  BackendResult<DockerAnswer> callOn(std::string_view name, std::string_view method, std::string_view suffix,
                                     std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    if (auto refusal = workloadNameRefusal(name)) {
      return common::fail(failure(Kind::refused, *refusal));
    }
    return docker_.call(method, containerTarget(name, suffix), {}, timeout.value_or(options_.request_timeout));
  }

  // POST /images/create, reading its progress stream for the error it reports with status 200.
  BackendResult<BackendDone> pull(const std::string& image) {
    PullProgress progress;
    auto answer = docker_.stream("POST", imagePullTarget(image), {}, options_.pull_timeout,
                                 [&progress](std::string_view piece) { progress.feed(piece); });
    if (!answer) {
      return common::fail(answer.error());
    }
    const auto error = progress.finish();
    if (answer->status == 200 && !error) {
      return BackendDone{};
    }
    // A pull that fails is the image as given (unknown, unreachable registry, no access).
    return common::fail(failure(Kind::refused, "pull " + image + ": " +
                                                   (error ? *error : "status " + std::to_string(answer->status))));
  }

  DockerBackendOptions options_;
  DockerApiClient docker_;
  WorkloadRules rules_;
  std::mutex networks_mutex_;
  std::set<std::string> known_networks_;  // ensured by this backend, not seen gone since
  std::map<std::string, std::string> network_gateways_;  // name -> its gateway's address
};

}  // namespace

WorkloadBackendPtr makeDockerBackend(DockerBackendOptions options) {
  return std::make_shared<DockerBackend>(std::move(options));
}

}  // namespace oh::control
