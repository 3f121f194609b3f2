#pragma once
// The sealed box lives in common/ (the control plane seals sandbox keys with it too); the
// sign-in code keeps calling it auth::SealedBox.

#include "common/sealed_box.h"

namespace oh::gateway::auth {

using common::SealedBox;

}  // namespace oh::gateway::auth
