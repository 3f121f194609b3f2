#pragma once
// The managed login style of the Auth stack: Cognito's settings document and the logo from
// deploy/branding/, as the properties of an AWS::Cognito::ManagedLoginBranding.

#include <boost/json/object.hpp>

namespace oh::infra::stacks {

// {"Settings": ..., "Assets": [...]}: the form logo and the SVG favicon, both the shipped logo.
boost::json::object managedLoginStyle();

}  // namespace oh::infra::stacks
