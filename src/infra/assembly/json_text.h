#pragma once
// JSON text exactly as JavaScript's JSON.stringify(value, undefined, indent) writes it, which is
// what the CDK writes into a cloud assembly (templates with 1 space, manifests with 2). Object
// members keep their insertion order, so the same document always gives the same bytes.

#include <string>

#include <boost/json/value.hpp>

namespace oh::infra {

// indent 0 gives the compact form. Doubles use the shortest round-trip form (as JavaScript);
// NaN and infinities, which JSON cannot carry, become null as in JavaScript.
std::string jsonText(const boost::json::value& value, int indent);

}  // namespace oh::infra
