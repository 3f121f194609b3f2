#pragma once
// STS's answers to AssumeRole (Query API, 2011-06-15), read strictly: exactly the elements we
// use, each once, each within its documented shape, or the answer is refused. An error answer
// (<ErrorResponse>) is turned into a short reason for logs.
//
//   <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
//     <AssumeRoleResult>
//       <Credentials><AccessKeyId/><SecretAccessKey/><SessionToken/><Expiration/></Credentials>
//       <AssumedRoleUser><Arn/><AssumedRoleId/></AssumedRoleUser>
//       ...
//     </AssumeRoleResult>
//     <ResponseMetadata><RequestId/></ResponseMetadata>
//   </AssumeRoleResponse>

#include <string>
#include <string_view>

#include "common/result.h"
#include "credentials/aws_credentials.h"

namespace oh::control::aws {

struct AssumedRole {
  AwsCredentials credentials;   // expiration always set
  std::string assumed_role_arn; // arn:aws:sts::{account}:assumed-role/{role}/{session}
};

// Larger answers are refused before parsing (a real one is about 2 KiB).
inline constexpr std::size_t kMaxStsReplyBytes = 32 * 1024;

common::Result<AssumedRole> parseAssumeRoleResponse(std::string_view body);

// "AccessDenied: User ... is not authorized ..." from an ErrorResponse (code and message cut
// to printable ASCII and a bounded length), or a generic reason when the body is not one.
std::string describeStsError(std::string_view body);

}  // namespace oh::control::aws
