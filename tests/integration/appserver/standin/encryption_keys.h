#pragma once
// The app server's master keys (utils/encryption_key.py:30-86): JWT_SECRET when set (one key
// whose id derives from the secret), else the keys saved in {persistence_dir}/.keys, generated
// and written there on first start. A stable key is what keeps stored secrets readable across
// restarts; the stand-in keeps the file's contract (it encrypts nothing itself).

#include <string>

#include "app_config.h"
#include "common/result.h"

namespace oh::appserver_standin {

struct MasterKey {
  std::string id;
  std::string source;  // "JWT_SECRET", ".keys" or "generated"
};

common::Result<MasterKey> ensureMasterKey(const AppConfig& config);

}  // namespace oh::appserver_standin
