#include "stacks/managed_login_branding.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <string>

#include "common/base64.h"
#include "stacks/branding_files.h"

namespace oh::infra::stacks {
namespace json = boost::json;

namespace {

// Cognito takes image bytes base64-encoded (the Bytes of an AssetType). The style is light
// only (categories.global.colorSchemeMode in settings.json), so are its assets.
json::object logoAsset(const char* category, const std::string& bytes) {
  return {{"Category", category}, {"ColorMode", "LIGHT"}, {"Extension", "SVG"}, {"Bytes", bytes}};
}

}  // namespace

json::object managedLoginStyle() {
  // The configure step refuses a settings.json that is not a JSON object. The document may be
  // partial: Cognito keeps its own values for what it leaves out (CreateManagedLoginBranding).
  json::object style{{"Settings", json::parse(branding_files::settingsJson()).as_object()}};
  const std::string logo = common::base64Encode(branding_files::logoSvg());
  style["Assets"] = json::array{logoAsset("FORM_LOGO", logo), logoAsset("FAVICON_SVG", logo)};
  return style;
}

}  // namespace oh::infra::stacks
