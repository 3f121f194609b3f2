#pragma once
// Whether a started app server answers: one HTTP/1.1 GET of its health path (OpenHands 1.7.0:
// /alive, app_server/status/status_router.py:8) on the container's address, with a deadline.
// An interface so the pool's tests decide the answer.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace oh::control {

class HealthProbe {
public:
  virtual ~HealthProbe() = default;
  // True when the answer's status is 200; false for anything else, a refusal or the deadline.
  // Blocks at most `timeout`.
  virtual bool healthy(std::string_view address, std::uint16_t port, std::string_view path,
                       std::chrono::milliseconds timeout) = 0;
};

using HealthProbePtr = std::shared_ptr<HealthProbe>;

// Plain sockets (IPv4 or IPv6 literal addresses only: a container's address, never a name).
HealthProbePtr makeHttpHealthProbe();

}  // namespace oh::control
