#pragma once
// The files of deploy/branding/, embedded at configure time (src/infra/stacks/CMakeLists.txt).

#include <string_view>

namespace oh::infra::stacks::branding_files {

// The managed login branding settings document (Cognito's designer format).
std::string_view settingsJson();
// The logo, shown on the sign-in form and as the favicon.
std::string_view logoSvg();

}  // namespace oh::infra::stacks::branding_files
