#pragma once
// A set of AWS credentials as every source here yields them: the gateway's own (instance role
// through IMDS, or the environment) and a user's (STS AssumeRole of the Bedrock role).

#include <optional>
#include <string>

#include "common/wall_clock.h"

namespace oh::control::aws {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;                     // "" for long-term keys
  std::optional<common::UnixSeconds> expiration; // nullopt: they do not expire (long-term keys)
};

}  // namespace oh::control::aws
