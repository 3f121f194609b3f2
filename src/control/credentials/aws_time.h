#pragma once
// The two time forms AWS speaks: SigV4's basic ISO 8601 ("20150830T123600Z", X-Amz-Date) and
// the extended form STS, IMDS and the container credential endpoint use for Expiration
// ("2015-08-30T12:36:00Z", fractional seconds allowed on input).

#include <optional>
#include <string>
#include <string_view>

#include "common/wall_clock.h"

namespace oh::control::aws {

// "YYYYMMDDTHHMMSSZ".
std::string amzDate(common::UnixSeconds time);

// "YYYY-MM-DDTHH:MM:SSZ".
std::string iso8601(common::UnixSeconds time);

// Strict "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (fraction dropped; only UTC "Z"); nullopt otherwise.
std::optional<common::UnixSeconds> parseIso8601(std::string_view text);

}  // namespace oh::control::aws
