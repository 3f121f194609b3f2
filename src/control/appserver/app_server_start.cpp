// The pool's workers: each takes a user key from the queue and moves that user's server toward
// what the table wants (running, stopped, removed, deleted). The start runs its phases here,
// with no lock held during backend, database or health calls, checking between steps that the
// server is still wanted (an operator's stop or a cull wins over a start in progress).

#include <thread>

#include "appserver/app_server_operations.h"
#include "appserver/app_server_pool_impl.h"
#include "appserver/app_server_workload.h"
#include "appserver/health_probe_schedule.h"
#include "appserver/user_secrets.h"

namespace oh::control {
namespace {

using Impl = AppServerPool::Impl;

bool ours(const Impl& impl, const WorkloadObservation& seen, std::string_view user_key) {
  return labelOf(seen, kAppServerManagedLabel) == impl.settings.managed_label_value &&
         labelOf(seen, kAppServerOwnerLabel) == user_key;
}

}  // namespace

void Impl::workerLoop() {
  while (auto user_key = queue.get()) {
    reconcile(*user_key);
    queue.done(*user_key);
  }
}

void Impl::reconcile(const std::string& user_key) {
  Want want = Want::stopped;
  {
    const std::lock_guard lock(mutex);
    const Entry* entry = findLocked(user_key);
    if (entry == nullptr) {
      return;
    }
    want = entry->want;
  }
  if (want == Want::running) {
    startServer(user_key);
  } else {
    stopServerNow(user_key, want);
  }
}

bool Impl::stillWanted(const std::string& user_key) const {
  const std::lock_guard lock(mutex);
  auto it = entries.find(user_key);
  return it != entries.end() && it->second.want == Want::running;
}

void Impl::setPhase(const std::string& user_key, AppServerPhase phase, std::string detail) {
  const std::lock_guard lock(mutex);
  if (Entry* entry = findLocked(user_key); entry != nullptr && entry->want == Want::running) {
    setPhaseLocked(*entry, phase, std::move(detail));
  }
}

void Impl::failStart(const std::string& user_key, std::string_view detail, std::string_view reason) {
  log(user_key, std::string("start failed: ") + std::string(reason));
  {
    const std::lock_guard lock(mutex);
    Entry* entry = findLocked(user_key);
    if (entry == nullptr || entry->want != Want::running) {
      return;  // stopped or removed meanwhile: nothing to report
    }
    entry->want = Want::stopped;
    entry->retry_after = clock.now() + settings.retry_delay;
    setPhaseLocked(*entry, AppServerPhase::failed, std::string(detail));
    ++counters.failures;
  }
}

void Impl::startServer(const std::string& user_key) {
  const std::string name = appServerName(user_key);
  auto seen = backend->inspect(name);
  if (!seen) {
    return failStart(user_key, "the container engine did not answer", seen.error().reason);
  }
  // pulling: the pinned image, unless a container of ours runs already (adopted as it is).
  if (seen->state != WorkloadState::running) {
    if (auto pulled = backend->pullImage(settings.image); !pulled) {
      return failStart(user_key, "the OpenHands image could not be pulled", pulled.error().reason);
    }
  }
  setPhase(user_key, AppServerPhase::creating, "creating the server");
  if (auto network = backend->ensureNetwork(userNetworkName(settings, user_key),
                                            {{std::string(kAppServerManagedLabel), "network"},
                                             {std::string(kAppServerOwnerLabel), user_key}});
      !network) {
    return failStart(user_key, "the user's network could not be created", network.error().reason);
  }
  auto gateway_address = backend->networkGateway(userNetworkName(settings, user_key));
  if (!gateway_address) {
    return failStart(user_key, "the user's network could not be inspected", gateway_address.error().reason);
  }
  if (auto directory = prepareUserDataDirectory(settings, user_key); !directory) {
    return failStart(user_key, "the user's directory could not be prepared", directory.error().reason);
  }
  AppServerCredentials credentials;
  credentials.sandbox_api_key = sandbox_keys->keyFor(user_key);
  credentials.jwt_secret = jwtSecretFor(settings.secret_key, user_key);
  credentials.gateway_address = std::move(*gateway_address);
  if (databases) {
    auto login = databases->ensure(user_key);
    if (!login) {
      return failStart(user_key, "the user's database could not be created", login.error().reason);
    }
    credentials.database = std::move(*login);
  }
  const WorkloadSpec spec = appServerSpec(settings, user_key, credentials);
  if (!stillWanted(user_key)) {
    return;
  }

  // A running container of ours is used as it is, whatever its version (in use: a new version
  // reaches it at its next start); a stopped one is started when it is exactly this spec and
  // re-created otherwise (another image, version or setting).
  bool create = seen->state == WorkloadState::absent;
  if (seen->state != WorkloadState::absent && !ours(*this, *seen, user_key)) {
    return failStart(user_key, "a container that is not this pool's has the server's name",
                     "container " + name + " exists without our labels: not touched");
  }
  if (seen->state == WorkloadState::created || seen->state == WorkloadState::exited) {
    if (labelOf(*seen, kAppServerSpecLabel) != spec.labels.at(std::string(kAppServerSpecLabel))) {
      log(user_key, "re-creating the stopped server (version " + labelOf(*seen, kAppServerVersionLabel) + " -> " +
                        settings.openhands_version + ", or its settings changed)");
      if (auto removed = backend->remove(name); !removed) {
        return failStart(user_key, "the old server could not be removed", removed.error().reason);
      }
      create = true;
      const std::lock_guard lock(mutex);
      ++counters.recreated;
    }
  }
  if (create) {
    auto created = backend->create(spec);
    if (!created && created.error().kind != BackendFailure::Kind::conflict) {
      return failStart(user_key, "the server's container could not be created", created.error().reason);
    }
  }
  WorkloadObservation running = *seen;
  if (seen->state != WorkloadState::running) {
    setPhase(user_key, AppServerPhase::starting, "starting the server");
    auto started = backend->start(name);
    if (!started) {
      return failStart(user_key, "the server's container could not be started", started.error().reason);
    }
    running = std::move(*started);
  }
  if (running.address.empty()) {
    return failStart(user_key, "the server has no address on the user's network",
                     "container " + name + " runs without an address on " + spec.network);
  }

  // waiting: registered as an app-server address at once (it may call the sandbox API while it
  // starts), ready when its health endpoint answers 200.
  const common::UnixSeconds began = clock.now();
  const auto started_at = std::chrono::steady_clock::now();
  {
    const std::lock_guard lock(mutex);
    Entry* entry = findLocked(user_key);
    if (entry == nullptr || entry->want != Want::running) {
      return;
    }
    setPhaseLocked(*entry, AppServerPhase::waiting, "waiting for the server to answer");
    setAddressLocked(*entry, running.address);
  }
  const auto probe_timeout = std::max(std::chrono::milliseconds(200), settings.health_poll_interval * 4);
  while (!probe->healthy(running.address, settings.port, settings.health_path, probe_timeout)) {
    if (!stillWanted(user_key)) {
      return;
    }
    if (clock.now() - began >= settings.start_timeout) {
      failStart(user_key, "the server did not become healthy in time",
                "no 200 from " + settings.health_path + " within " + std::to_string(settings.start_timeout.count()) +
                    " s");
      // It holds memory and a place: stopped (kept for its logs). Other failures stop nothing: an
      // engine that timed out once must not stop a server that runs (an adopted one).
      (void)backend->stop(name, settings.stop_grace);
      return;
    }
    std::this_thread::sleep_for(
        healthProbeDelay(std::chrono::steady_clock::now() - started_at, settings.health_poll_interval));
  }
  const std::lock_guard lock(mutex);
  Entry* entry = findLocked(user_key);
  if (entry == nullptr || entry->want != Want::running) {
    return;
  }
  setPhaseLocked(*entry, AppServerPhase::ready, "ready");
  ++counters.ready;
  ++counters.start_latency.count;
  counters.start_latency.seconds_sum +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - entry->start_began).count();
}

void Impl::stopServerNow(const std::string& user_key, Want want) {
  const std::string name = appServerName(user_key);
  std::string failure;
  switch (want) {
    case Want::running: return;
    case Want::stopped:
      if (auto stopped = backend->stop(name, settings.stop_grace); !stopped) {
        failure = stopped.error().reason;
      }
      break;
    case Want::removed:
      if (auto removed = removeUserAppServer(*backend, user_key); !removed) {
        failure = removed.error().reason;
      }
      break;
    case Want::deleted:
      if (auto deleted = deleteUserAppServerData(settings, *backend, databases.get(), user_key); !deleted) {
        failure = deleted.error().reason;
      }
      break;
  }
  if (!failure.empty()) {
    log(user_key, "stop/remove failed (retried): " + failure);
    queue.addAfter(user_key, std::chrono::seconds(5));
    return;
  }
  const std::lock_guard lock(mutex);
  if (auto it = entries.find(user_key); it != entries.end() && it->second.want == want && want == Want::deleted) {
    setAddressLocked(it->second, "");
    entries.erase(it);
  }
}

}  // namespace oh::control
