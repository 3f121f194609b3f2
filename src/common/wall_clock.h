#pragma once
// Wall-clock time as an injected interface: token expiry (exp, nbf), cookie lifetimes and
// login throttling read the time through it so tests can move time forward.

#include <chrono>

namespace oh::common {

using UnixSeconds = std::chrono::sys_seconds;

class WallClock {
public:
  virtual ~WallClock() = default;
  virtual UnixSeconds now() const = 0;
};

class SystemWallClock final : public WallClock {
public:
  UnixSeconds now() const override {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  }
};

}  // namespace oh::common
