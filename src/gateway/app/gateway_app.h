#pragma once
// What the oh-gateway commands do, apart from argument parsing (main.cpp).

#include <string>

namespace oh::gateway {

// `oh-gateway --config FILE`: serves until SIGTERM/SIGINT (drain, exit 0); SIGHUP reloads the
// file and the origin secrets. Returns the process exit code (2 for a bad configuration,
// 1 when a listener cannot be bound).
int runGateway(const std::string& config_path);

// `oh-gateway check-config FILE`: "configuration OK" and 0, or the problems one per line and 2.
int checkConfig(const std::string& config_path);

}  // namespace oh::gateway
