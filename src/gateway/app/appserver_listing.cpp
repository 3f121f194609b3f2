#include "app/appserver_listing.h"

#include <map>

#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

namespace oh::gateway {
namespace {

// RFC 3339 in UTC, or null for a time never set.
boost::json::value timeJson(std::chrono::system_clock::time_point at) {
  if (at == std::chrono::system_clock::time_point{}) {
    return nullptr;
  }
  return boost::json::value(fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::seconds>(at)));
}

boost::json::object serverJson(const control::AppServerListing& server) {
  boost::json::object o;
  o["phase"] = control::phaseName(server.phase);
  o["detail"] = server.detail;
  o["last_activity"] = timeJson(server.last_activity);
  o["address"] = server.address;
  o["open_connections"] = server.open_connections;
  o["memory_limit_bytes"] = server.memory_limit_bytes;
  // In use at the pool's last housekeeping (ready servers; null when the engine reports none).
  o["memory_bytes"] = server.memory_bytes ? boost::json::value(*server.memory_bytes) : boost::json::value(nullptr);
  return o;
}

boost::json::object sandboxJson(const control::SandboxRoute& sandbox) {
  boost::json::object o;
  o["id"] = sandbox.sandbox_id;
  o["state"] = sandbox.running() ? "running" : "not_running";
  o["address"] = sandbox.address;
  return o;
}

}  // namespace

std::string renderAppServerListing(const std::vector<control::AppServerListing>& servers,
                                   const control::SandboxRoutes& sandboxes) {
  // Ordered by user key, so two listings compare line by line.
  std::map<std::string, boost::json::object> users;
  const auto user = [&users](const std::string& key) -> boost::json::object& {
    auto [it, inserted] = users.try_emplace(key);
    if (inserted) {
      it->second["user_key"] = key;
      it->second["server"] = nullptr;
      it->second["sandboxes"] = boost::json::array();
    }
    return it->second;
  };
  for (const auto& server : servers) {
    user(server.user_key)["server"] = serverJson(server);
  }
  for (const auto& sandbox : sandboxes.all()) {
    user(sandbox->owner)["sandboxes"].as_array().push_back(sandboxJson(*sandbox));
  }
  boost::json::array list;
  for (auto& [key, entry] : users) {
    list.push_back(std::move(entry));
  }
  boost::json::object document;
  document["users"] = std::move(list);
  return boost::json::serialize(document) + "\n";
}

}  // namespace oh::gateway
