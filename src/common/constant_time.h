#pragma once
// Comparison of secrets (MACs, origin secrets) whose duration does not depend on where the
// inputs differ, so an attacker cannot learn a secret byte by byte from response times.

#include <string_view>

namespace oh::common {

// True when a and b are equal. The length is not secret: different lengths return false at once.
bool constantTimeEqual(std::string_view a, std::string_view b);

}  // namespace oh::common
