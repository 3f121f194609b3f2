// The pool's table: what the data plane and operators call. Nothing here blocks on I/O: a call
// reads or marks an entry under the mutex and, when work is needed, queues the user's key for
// the workers (app_server_start.cpp, app_server_housekeeping.cpp).

#include "appserver/app_server_pool.h"

#include <cstdio>
#include <stdexcept>

#include "appserver/app_server_pool_impl.h"
#include "appserver/app_server_workload.h"
#include "sandbox/user_key.h"

namespace oh::control {
namespace {

using Impl = AppServerPool::Impl;

bool onTheWayOrReady(AppServerPhase phase) {
  return phase == AppServerPhase::pulling || phase == AppServerPhase::creating || phase == AppServerPhase::starting ||
         phase == AppServerPhase::waiting || phase == AppServerPhase::ready;
}

AppServerView unknownUser() {
  AppServerView view;
  view.phase = AppServerPhase::failed;
  view.detail = "not a user key";
  return view;
}

}  // namespace

std::string settingsRefusal(const AppServerPoolSettings& settings) {
  if (settings.image.empty()) {
    return "appserver: no image";
  }
  if (settings.data_root.empty() || settings.data_root.front() != '/') {
    return "appserver: data_root must be an absolute path";
  }
  if (settings.network_prefix.empty() || settings.managed_label_value.empty() || settings.openhands_version.empty()) {
    return "appserver: network_prefix, managed_label_value and openhands_version must be set";
  }
  if (settings.sandbox_api_url.empty() || settings.sandbox_api_url.back() == '/') {
    return "appserver: sandbox_api_url must be set, without a trailing slash (remote_sandbox_service.py:126)";
  }
  if (settings.secret_key.size() < 32) {
    return "appserver: the secret key must be at least 32 bytes";
  }
  if (settings.sandbox_key_secret.size() != 32) {
    return "appserver: the sandbox API key secret must be 32 bytes";
  }
  if (settings.port == 0 || settings.health_path.empty() || settings.health_path.front() != '/') {
    return "appserver: port and health_path (absolute) must be set";
  }
  if (settings.max_running == 0 || settings.start_workers == 0) {
    return "appserver: max_running and start_workers must be at least 1";
  }
  for (const auto& [name, value] : settings.llm_environment) {
    if (isPoolVariable(name)) {
      return "appserver: the LLM settings may not set " + name + " (the pool sets it per user)";
    }
  }
  if (!settings.database.admin_conninfo.empty() && settings.database.host.empty()) {
    return "appserver: a PostgreSQL admin connection needs database.host (DB_HOST for the app servers)";
  }
  return "";
}

AppServerPool::Impl::Impl(AppServerPoolSettings settings_in, WorkloadBackendPtr backend_in,
                          UserDatabasesPtr databases_in, HealthProbePtr probe_in, common::WallClock& clock_in)
    : settings(std::move(settings_in)),
      backend(std::move(backend_in)),
      databases(std::move(databases_in)),
      probe(std::move(probe_in)),
      clock(clock_in) {
  if (const std::string refusal = settingsRefusal(settings); !refusal.empty()) {
    throw std::invalid_argument(refusal);
  }
  if (!backend || !probe) {
    throw std::invalid_argument("appserver: a backend and a health probe are required");
  }
  auto keys = SandboxApiKeys::fromSecret(settings.sandbox_key_secret);
  if (!keys) {
    throw std::invalid_argument("appserver: " + keys.error().reason);
  }
  sandbox_keys.emplace(std::move(*keys));
}

void Impl::log(std::string_view user_key, std::string_view what) {
  std::fprintf(stderr, "appserver %.*s: %.*s\n", static_cast<int>(user_key.size()), user_key.data(),
               static_cast<int>(what.size()), what.data());
}

void Impl::setPhaseLocked(Entry& entry, AppServerPhase phase, std::string detail) {
  if (entry.phase != phase) {
    entry.phase_since = std::chrono::system_clock::now();
  }
  entry.phase = phase;
  entry.detail = std::move(detail);
  if (phase != AppServerPhase::waiting && phase != AppServerPhase::ready) {
    setAddressLocked(entry, "");
  }
}

void Impl::setAddressLocked(Entry& entry, std::string address) {
  if (entry.address == address) {
    return;
  }
  if (!entry.address.empty()) {
    if (auto it = addresses.find(entry.address); it != addresses.end()) {
      addresses.erase(it);
    }
  }
  entry.address = std::move(address);
  if (!entry.address.empty()) {
    addresses.insert(entry.address);
  }
}

AppServerView Impl::viewLocked(const Entry& entry) const {
  AppServerView view;
  view.phase = entry.phase;
  view.detail = entry.detail;
  view.phase_since = entry.phase_since;
  if (entry.phase == AppServerPhase::ready) {
    view.address = entry.address;
    view.port = settings.port;
  }
  return view;
}

std::size_t Impl::activeLocked() const {
  std::size_t active = 0;
  for (const auto& [key, entry] : entries) {
    if (entry.want == Want::running && onTheWayOrReady(entry.phase)) {
      ++active;
    }
  }
  return active;
}

Impl::Entry* Impl::findLocked(std::string_view user_key) {
  auto it = entries.find(user_key);
  return it == entries.end() ? nullptr : &it->second;
}

void Impl::queueLocked(const std::string& user_key, Entry& entry, Want want, std::string detail) {
  entry.want = want;
  setPhaseLocked(entry, AppServerPhase::stopped, std::move(detail));
  queue.add(user_key);
}

bool Impl::requestStartLocked(const std::string& user_key, Entry& entry) {
  if (activeLocked() >= settings.max_running) {
    // The least recently used server with no open connection and no request for a while.
    const common::UnixSeconds now = clock.now();
    std::string victim;
    common::UnixSeconds oldest = common::UnixSeconds::max();
    for (auto& [key, other] : entries) {
      if (key != user_key && other.want == Want::running && other.phase == AppServerPhase::ready &&
          other.open_connections == 0 && now - other.last_activity >= settings.capacity_idle_after &&
          other.last_activity < oldest) {
        victim = key;
        oldest = other.last_activity;
      }
    }
    if (victim.empty()) {
      setPhaseLocked(entry, AppServerPhase::at_capacity,
                     "all " + std::to_string(settings.max_running) + " app servers are in use");
      ++counters.refused_at_capacity;
      return false;
    }
    log(victim, "stopping the least recently used idle server to make room");
    queueLocked(victim, entries.find(victim)->second, Want::stopped, "stopped to make room for another user");
    ++counters.culls_capacity;
  }
  entry.want = Want::running;
  entry.start_began = std::chrono::steady_clock::now();
  setPhaseLocked(entry, AppServerPhase::pulling, "pulling the OpenHands image");
  ++counters.starts;
  queue.add(user_key);
  return true;
}

AppServerPool::AppServerPool(AppServerPoolSettings settings, WorkloadBackendPtr backend, UserDatabasesPtr databases,
                             HealthProbePtr probe, common::WallClock& clock)
    : impl_(std::make_shared<Impl>(std::move(settings), std::move(backend), std::move(databases), std::move(probe),
                                   clock)) {}

AppServerPool::~AppServerPool() { stop(); }

AppServerView AppServerPool::ensure(std::string_view user_key) {
  if (!isUserKey(user_key)) {
    return unknownUser();
  }
  Impl& impl = *impl_;
  const std::lock_guard lock(impl.mutex);
  const std::string key(user_key);
  Impl::Entry& entry = impl.entries[key];
  entry.last_activity = impl.clock.now();
  const bool running = entry.want == Impl::Want::running && onTheWayOrReady(entry.phase);
  const bool waiting_to_retry = entry.phase == AppServerPhase::failed && entry.last_activity < entry.retry_after;
  if (!running && !waiting_to_retry) {
    impl.requestStartLocked(key, entry);
  }
  return impl.viewLocked(entry);
}

AppServerView AppServerPool::peek(std::string_view user_key) const {
  const std::lock_guard lock(impl_->mutex);
  auto it = impl_->entries.find(user_key);
  return it == impl_->entries.end() ? AppServerView{} : impl_->viewLocked(it->second);
}

void AppServerPool::touch(std::string_view user_key) {
  const std::lock_guard lock(impl_->mutex);
  if (Impl::Entry* entry = impl_->findLocked(user_key)) {
    entry->last_activity = impl_->clock.now();
  }
}

void AppServerPool::connectionOpened(std::string_view user_key) {
  const std::lock_guard lock(impl_->mutex);
  if (Impl::Entry* entry = impl_->findLocked(user_key)) {
    ++entry->open_connections;
    entry->last_activity = impl_->clock.now();
  }
}

void AppServerPool::connectionClosed(std::string_view user_key) {
  const std::lock_guard lock(impl_->mutex);
  if (Impl::Entry* entry = impl_->findLocked(user_key)) {
    if (entry->open_connections > 0) {
      --entry->open_connections;
    }
    entry->last_activity = impl_->clock.now();  // idle time counts from the last close
  }
}

bool AppServerPool::isAppServerAddress(std::string_view ip) const {
  if (ip.empty()) {
    return false;
  }
  const std::lock_guard lock(impl_->mutex);
  return impl_->addresses.find(ip) != impl_->addresses.end();
}

std::optional<std::string> AppServerPool::appServerUserAt(std::string_view ip) const {
  if (ip.empty()) {
    return std::nullopt;
  }
  const std::lock_guard lock(impl_->mutex);
  if (impl_->addresses.count(ip) != 1) {
    return std::nullopt;
  }
  // One entry per user who had a server since the gateway started: a short walk.
  for (const auto& [user_key, entry] : impl_->entries) {
    if (entry.address == ip) {
      return user_key;
    }
  }
  return std::nullopt;
}

std::vector<AppServerListing> AppServerPool::list() const {
  const std::lock_guard lock(impl_->mutex);
  std::vector<AppServerListing> out;
  out.reserve(impl_->entries.size());
  for (const auto& [key, entry] : impl_->entries) {
    AppServerListing listing;
    listing.user_key = key;
    listing.phase = entry.phase;
    listing.detail = entry.detail;
    listing.last_activity = entry.last_activity;
    listing.address = entry.address;
    listing.open_connections = entry.open_connections;
    listing.memory_limit_bytes = impl_->settings.limits.memory_bytes;
    listing.memory_bytes = entry.phase == AppServerPhase::ready ? entry.memory_bytes : std::nullopt;
    out.push_back(std::move(listing));
  }
  return out;
}

namespace {

bool queueOperator(Impl& impl, std::string_view user_key, Impl::Want want, std::string detail) {
  if (!isUserKey(user_key)) {
    return false;
  }
  const std::lock_guard lock(impl.mutex);
  const std::string key(user_key);
  impl.queueLocked(key, impl.entries[key], want, std::move(detail));
  return true;
}

}  // namespace

bool AppServerPool::stopServer(std::string_view user_key) {
  return queueOperator(*impl_, user_key, Impl::Want::stopped, "stopped by an operator");
}

bool AppServerPool::removeServer(std::string_view user_key) {
  return queueOperator(*impl_, user_key, Impl::Want::removed, "removed by an operator");
}

bool AppServerPool::deleteUserData(std::string_view user_key) {
  return queueOperator(*impl_, user_key, Impl::Want::deleted, "the user's data is being deleted");
}

AppServerMetrics AppServerPool::metrics() const {
  const std::lock_guard lock(impl_->mutex);
  AppServerMetrics out = impl_->counters;
  for (const auto& [key, entry] : impl_->entries) {
    AppServerMetrics::ByPhase& by = out.servers;
    switch (entry.phase) {
      case AppServerPhase::stopped: ++by.stopped; break;
      case AppServerPhase::pulling: ++by.pulling; break;
      case AppServerPhase::creating: ++by.creating; break;
      case AppServerPhase::starting: ++by.starting; break;
      case AppServerPhase::waiting: ++by.waiting; break;
      case AppServerPhase::ready: ++by.ready; break;
      case AppServerPhase::failed: ++by.failed; break;
      case AppServerPhase::at_capacity: ++by.at_capacity; break;
    }
  }
  return out;
}

void AppServerPool::housekeep() { impl_->housekeep(); }

}  // namespace oh::control
