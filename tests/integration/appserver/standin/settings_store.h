#pragma once
// The user's settings as FileSettingsStore keeps them: settings.json at the root of the file
// store, which is the persistence directory (settings/file_settings_store.py:13-46;
// config.py:185-192). The stand-in stores the merged JSON object, not the full Settings model.

#include <mutex>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "common/result.h"

namespace oh::appserver_standin {

class SettingsStore {
public:
  explicit SettingsStore(std::string persistence_dir) : path_(std::move(persistence_dir) + "/settings.json") {}

  // nullopt when no settings were stored yet (FileNotFoundError → None).
  common::Result<std::optional<boost::json::object>> load() const;
  // POST /api/v1/settings (settings/settings_router.py:197-275): the payload merged over the
  // stored settings, written whole (a temporary file renamed over the old one).
  common::Result<bool> merge(const boost::json::object& payload);

  const std::string& path() const { return path_; }

private:
  std::string path_;
  mutable std::mutex mutex_;
};

}  // namespace oh::appserver_standin
