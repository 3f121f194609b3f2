#pragma once
// The sign-in code's errors as values: common/result.h, under the auth namespace.

#include "common/result.h"

namespace oh::gateway::auth {

using common::Fail;
using common::fail;
using common::Failure;
using common::failure;
using common::Result;

}  // namespace oh::gateway::auth
