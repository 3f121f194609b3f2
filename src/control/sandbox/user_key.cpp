#include "sandbox/user_key.h"

#include <algorithm>

#include "common/digest.h"

namespace oh::control {
namespace {

constexpr std::string_view kDomain = "openhands user v1\n";
constexpr std::size_t kUserKeyLength = 32;

}  // namespace

std::string userKeyForSubject(std::string_view subject) {
  std::string input(kDomain);
  input.append(subject);
  return common::hexEncode(common::sha256(input)).substr(0, kUserKeyLength);
}

bool isUserKey(std::string_view key) {
  return key.size() == kUserKeyLength &&
         std::all_of(key.begin(), key.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace oh::control
