#include "credentials/sts_reply.h"

#include <algorithm>

#include "credentials/aws_time.h"
#include "credentials/xml_reader.h"

namespace oh::control::aws {
namespace {


bool allOf(std::string_view text, bool (*accept)(char)) {
  return std::all_of(text.begin(), text.end(), accept);
}

bool isKeyIdChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
// Printable ASCII without space: what secrets, tokens and ARNs consist of.
bool isVisibleAscii(char c) { return c > ' ' && c < 0x7f; }

common::Result<std::string> field(const XmlElement& parent, std::string_view name, std::size_t min_size,
                                  std::size_t max_size, bool (*accept)(char)) {
  const XmlElement* child = parent.only(name);
  if (child == nullptr || !child->children.empty()) {
    return common::failure("STS answer: " + std::string(name) + " missing, repeated or not text");
  }
  if (child->text.size() < min_size || child->text.size() > max_size || !allOf(child->text, accept)) {
    return common::failure("STS answer: " + std::string(name) + " malformed");
  }
  return child->text;
}

// A short printable excerpt of a peer's text for a log line.
std::string printable(std::string_view text, std::size_t max_size) {
  std::string out;
  for (char c : text.substr(0, max_size)) {
    out.push_back(c >= ' ' && c < 0x7f ? c : '?');
  }
  return out;
}

}  // namespace

common::Result<AssumedRole> parseAssumeRoleResponse(std::string_view body) {
  if (body.size() > kMaxStsReplyBytes) {
    return common::failure("STS answer larger than " + std::to_string(kMaxStsReplyBytes) + " bytes");
  }
  auto root = parseXml(body);
  if (!root) {
    return common::failure("STS answer is not well-formed XML: " + root.error().reason);
  }
  if (root->name != "AssumeRoleResponse") {
    return common::failure("STS answer is not an AssumeRoleResponse");
  }
  const XmlElement* result = root->only("AssumeRoleResult");
  const XmlElement* credentials = result ? result->only("Credentials") : nullptr;
  const XmlElement* user = result ? result->only("AssumedRoleUser") : nullptr;
  if (credentials == nullptr || user == nullptr) {
    return common::failure("STS answer lacks AssumeRoleResult/Credentials or AssumedRoleUser");
  }
  auto key_id = field(*credentials, "AccessKeyId", 16, 128, isKeyIdChar);
  auto secret = field(*credentials, "SecretAccessKey", 16, 256, isVisibleAscii);
  auto token = field(*credentials, "SessionToken", 16, 8192, isVisibleAscii);
  auto expiration_text = field(*credentials, "Expiration", 20, 40, isVisibleAscii);
  auto arn = field(*user, "Arn", 20, 2048, isVisibleAscii);
  for (const auto* part : {&key_id, &secret, &token, &expiration_text, &arn}) {
    if (!*part) {
      return common::fail(part->error());
    }
  }
  const auto expiration = parseIso8601(*expiration_text);
  if (!expiration) {
    return common::failure("STS answer: Expiration is not an ISO 8601 UTC time");
  }
  if (!arn->starts_with("arn:") || arn->find(":assumed-role/") == std::string::npos) {
    return common::failure("STS answer: AssumedRoleUser/Arn is not an assumed-role ARN");
  }
  return AssumedRole{
      AwsCredentials{std::move(key_id).value(), std::move(secret).value(), std::move(token).value(), *expiration},
      std::move(arn).value()};
}

std::string describeStsError(std::string_view body) {
  auto root = parseXml(body.substr(0, kMaxStsReplyBytes));
  // STS answers ErrorResponse/Error; authentication failures (and moto) may use the older
  // ErrorResponse/Errors/Error or Response/Errors/Error shape.
  const XmlElement* error = nullptr;
  if (root && (root->name == "ErrorResponse" || root->name == "Response")) {
    error = root->only("Error");
    if (error == nullptr && root->only("Errors") != nullptr) {
      error = root->only("Errors")->only("Error");
    }
  }
  const XmlElement* code = error ? error->only("Code") : nullptr;
  if (code == nullptr) {
    return "STS refused the call (no readable ErrorResponse)";
  }
  const XmlElement* message = error->only("Message");
  std::string out = printable(code->text, 64);
  if (message != nullptr) {
    out.append(": ").append(printable(message->text, 300));
  }
  return out;
}

}  // namespace oh::control::aws
