#pragma once
// OpenHands-Auth (us-east-1): the shared Cognito user pool, its managed login (v2, branded)
// and the app client every Edge domain signs in through. Its settings reach the gateway in the
// main region as a Secrets Manager secret replicated there (no cross-region reference).

#include <string>
#include <vector>

#include "stacks/stack_spec.h"

namespace oh::infra::stacks {

struct AuthStackProps {
  // The main region, where the sign-in settings secret gets its replica (none if us-east-1).
  std::string main_region = "us-east-1";
  // Hosts that may receive the OAuth callback, e.g. {"openhands.example.com"}.
  std::vector<std::string> callback_domains;
  // The Cognito domain prefix is openhands-{account}-{suffix}. @default "shared"
  std::string domain_prefix_suffix = "shared";
  // Shown by the managed login pages. @default "Openhands on AWS"
  std::string site_name = "Openhands on AWS";
};

StackSpec buildAuthStack(const AuthStackProps& props);

}  // namespace oh::infra::stacks
