#include "stacks/rules/rule.h"

#include <algorithm>
#include <cctype>
#include <string>

#include <boost/json/object.hpp>

namespace oh::infra::rules {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Properties whose value is a credential (Password, MasterUserPassword, SecretString,
// ClientSecret, ...). Names of settings about credentials (PasswordLength, SecretArn,
// SecretStringTemplate, GenerateSecret) hold no credential.
bool sensitiveKey(std::string_view key) {
  const std::string k = lower(key);
  bool sensitive = k == "secret" || k == "token" || k == "secretkey";
  for (const char* marker : {"password", "secretstring", "clientsecret", "secretaccesskey", "privatekey", "apikey", "authtoken"}) {
    sensitive = sensitive || k.find(marker) != std::string::npos;
  }
  for (const char* harmless : {"length", "arn", "template", "policy", "validity", "name", "generate", "require"}) {
    sensitive = sensitive && k.find(harmless) == std::string::npos;
  }
  return sensitive;
}

// Header names that carry a shared secret (CloudFront origin headers, ALB header conditions).
bool secretHeader(const boost::json::value* name) {
  if (name == nullptr || !name->is_string()) {
    return false;
  }
  const std::string n = lower(name->as_string());
  for (const char* marker : {"verify", "secret", "token", "auth", "api-key", "apikey"}) {
    if (n.find(marker) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// A value that is fixed text in the template: a string without a dynamic reference, or an
// Fn::Sub / Fn::Join that only ever produces fixed text.
bool literal(const boost::json::value& value) {
  if (value.is_string()) {
    return value.as_string().find("{{resolve:") == boost::json::string::npos;
  }
  if (!value.is_object() || value.as_object().size() != 1) {
    return false;
  }
  const auto& [function, argument] = *value.as_object().begin();
  if (function == "Fn::Sub") {
    const auto* text = argument.is_array() && !argument.as_array().empty() ? &argument.as_array()[0] : &argument;
    return text->is_string() && text->as_string().find("${") == boost::json::string::npos && literal(*text);
  }
  if (function == "Fn::Join" && argument.is_array() && argument.as_array().size() == 2 &&
      argument.as_array()[1].is_array()) {
    const auto& parts = argument.as_array()[1].as_array();
    return std::all_of(parts.begin(), parts.end(), [](const auto& part) { return literal(part); });
  }
  return false;
}

bool leaks(const boost::json::value& node) {
  if (node.is_array()) {
    return std::any_of(node.as_array().begin(), node.as_array().end(), [](const auto& element) { return leaks(element); });
  }
  if (!node.is_object()) {
    return false;
  }
  const auto& object = node.as_object();
  if (const auto* value = object.if_contains("HeaderValue"); value != nullptr && secretHeader(object.if_contains("HeaderName"))) {
    if (literal(*value)) {
      return true;
    }
  }
  if (const auto* values = object.if_contains("Values"); values != nullptr && secretHeader(object.if_contains("HttpHeaderName"))) {
    for (const auto* value : detail::asList(values)) {
      if (literal(*value)) {
        return true;
      }
    }
  }
  for (const auto& [key, value] : object) {
    if (sensitiveKey(key) && (value.is_string() || value.is_object()) && literal(value)) {
      return true;
    }
    if (leaks(value)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Compliance noPlaintextSecrets(const cfn::Resource& resource) {
  return leaks(boost::json::value(resource.properties)) ? Compliance::NonCompliant : Compliance::Compliant;
}

}  // namespace oh::infra::rules
