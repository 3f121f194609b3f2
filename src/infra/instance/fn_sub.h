#pragma once
// CloudFormation's Fn::Sub text rules, for checking what renderUserData produces:
// "${Name}" is a variable, "${!Literal}" is the literal "${Literal}", a lone "$" is itself.
// Used by the tests (resolve with sample values, then shellcheck) and by escapeForSub().

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace oh::infra::instance {

// Text that Fn::Sub turns back into `text` unchanged: every "${" becomes "${!".
std::string escapeForSub(std::string_view text);

// The variable names referenced by Fn::Sub text, in order of first use, without duplicates.
// Names containing '.' (GetAtt form) or "::" (pseudo parameters) are included as written.
std::vector<std::string> subVariableNames(std::string_view text);

struct SubResolution {
  std::string text;                     // the substituted text
  std::vector<std::string> unresolved;  // names with no value (left as written in text)
  bool unterminated = false;            // a "${" without its "}"
};

// Substitutes each ${Name} with values.at(Name) and each ${!X} with ${X}, as CloudFormation does.
SubResolution resolveSub(std::string_view text, const std::map<std::string, std::string>& values);

}  // namespace oh::infra::instance
