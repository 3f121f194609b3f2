#include "stacks/bedrock_access.h"

#include <array>
#include <cctype>
#include <string_view>
#include <utility>

namespace oh::infra::stacks {
namespace {

// Cross-region inference profile prefixes and the regions each one routes to.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kProfiles{
    {{"us", "us-*"}, {"eu", "eu-*"}, {"apac", "ap-*"}, {"global", "*"}}};

bool isDigits(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

// "anthropic.claude-sonnet-4-5-20250929-v1:0" -> "anthropic.claude-sonnet-4-5": everything
// before the first "-YYYYMMDD" or "-vN" part, so a newer date of the same model still works.
std::string familyOf(std::string_view id) {
  const auto dot = id.find('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  std::size_t end = id.size();
  for (std::size_t at = id.find('-', dot); at != std::string_view::npos; at = id.find('-', at + 1)) {
    const auto next = id.find('-', at + 1);
    const auto part = id.substr(at + 1, next == std::string_view::npos ? std::string_view::npos : next - at - 1);
    const bool date = part.size() == 8 && isDigits(part);
    const bool version = part.size() >= 2 && part[0] == 'v' && isDigits(part.substr(1, part.find(':') - 1));
    if (date || version) {
      end = at;
      break;
    }
  }
  const auto family = id.substr(0, end);
  for (const char c : family) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
    if (!ok) return "";
  }
  return std::string(family);
}

}  // namespace

BedrockAccess bedrockAccess(const std::string& model) {
  std::string_view id = model;
  if (id.starts_with("bedrock/")) id.remove_prefix(8);
  BedrockAccess access;
  access.foundation_region = "${AWS::Region}";
  for (const auto& [prefix, regions] : kProfiles) {
    if (id.size() > prefix.size() && id.starts_with(prefix) && id[prefix.size()] == '.') {
      access.profile_prefix = prefix;
      access.foundation_region = regions;
      id.remove_prefix(prefix.size() + 1);
      break;
    }
  }
  access.family = familyOf(id);
  if (access.family.empty()) {
    access.family = "anthropic.";
  }
  return access;
}

std::vector<std::string> BedrockAccess::resourceArns() const {
  std::vector<std::string> arns{"arn:${AWS::Partition}:bedrock:" + foundation_region + "::foundation-model/" + family + "*"};
  if (!profile_prefix.empty()) {
    arns.push_back("arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:inference-profile/" + profile_prefix + "." +
                   family + "*");
  }
  return arns;
}

}  // namespace oh::infra::stacks
