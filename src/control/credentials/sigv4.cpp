#include "credentials/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <map>

#include "common/digest.h"
#include "common/text.h"
#include "credentials/aws_time.h"

namespace oh::control::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// Each path segment encoded once with RFC 3986's unreserved set; '/' kept.
std::string canonicalPath(std::string_view path) {
  if (path.empty()) {
    return "/";
  }
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    out += common::percentEncode(path.substr(start, slash - start));
    if (slash == std::string_view::npos) {
      break;
    }
    out += '/';
    start = slash + 1;
  }
  return out;
}

std::string canonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(common::percentEncode(name), common::percentEncode(value));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) {
      out += '&';
    }
    out.append(name).append("=").append(value);
  }
  return out;
}

// Trimmed, with each run of spaces inside collapsed to one (the suite's get-header-value-trim).
std::string canonicalValue(std::string_view value) {
  value = common::trimOws(value);
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    const char normal = c == '\t' ? ' ' : c;
    if (normal == ' ' && !out.empty() && out.back() == ' ') {
      continue;
    }
    out.push_back(normal);
  }
  return out;
}

}  // namespace

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &size);
  return std::string(reinterpret_cast<const char*>(mac), size);
}

CanonicalRequest canonicalRequest(const SignableRequest& request) {
  // Lower-case names in sorted order; repeated fields joined with ',' in the order sent.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    auto [it, inserted] = headers.try_emplace(common::lowercaseAscii(name), canonicalValue(value));
    if (!inserted) {
      it->second.append(",").append(canonicalValue(value));
    }
  }
  CanonicalRequest out;
  std::string header_block;
  for (const auto& [name, value] : headers) {
    header_block.append(name).append(":").append(value).append("\n");
    if (!out.signed_headers.empty()) {
      out.signed_headers += ';';
    }
    out.signed_headers += name;
  }
  out.text.append(request.method).append("\n");
  out.text.append(canonicalPath(request.path)).append("\n");
  out.text.append(canonicalQuery(request.query)).append("\n");
  out.text.append(header_block).append("\n");
  out.text.append(out.signed_headers).append("\n");
  out.text.append(common::hexEncode(common::sha256(request.payload)));
  return out;
}

std::string credentialScope(std::string_view amz_date, const SigningScope& scope) {
  std::string out(amz_date.substr(0, 8));
  out.append("/").append(scope.region).append("/").append(scope.service).append("/aws4_request");
  return out;
}

std::string stringToSign(std::string_view amz_date, std::string_view credential_scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.append("\n").append(amz_date).append("\n").append(credential_scope).append("\n");
  out.append(common::hexEncode(common::sha256(canonical_request)));
  return out;
}

std::string signingKey(std::string_view secret_access_key, std::string_view date8, const SigningScope& scope) {
  const std::string date_key = hmacSha256(std::string("AWS4").append(secret_access_key), date8);
  const std::string region_key = hmacSha256(date_key, scope.region);
  const std::string service_key = hmacSha256(region_key, scope.service);
  return hmacSha256(service_key, "aws4_request");
}

std::string authorization(const SignableRequest& request, const AwsCredentials& credentials,
                          const SigningScope& scope, std::string_view amz_date) {
  const CanonicalRequest canonical = canonicalRequest(request);
  const std::string scope_text = credentialScope(amz_date, scope);
  const std::string to_sign = stringToSign(amz_date, scope_text, canonical.text);
  const std::string key = signingKey(credentials.secret_access_key, amz_date.substr(0, 8), scope);
  std::string out(kAlgorithm);
  out.append(" Credential=").append(credentials.access_key_id).append("/").append(scope_text);
  out.append(", SignedHeaders=").append(canonical.signed_headers);
  out.append(", Signature=").append(common::hexEncode(hmacSha256(key, to_sign)));
  return out;
}

void sign(SignableRequest& request, const AwsCredentials& credentials, const SigningScope& scope,
          common::UnixSeconds now) {
  const std::string date = amzDate(now);
  request.headers.emplace_back("X-Amz-Date", date);
  if (!credentials.session_token.empty()) {
    request.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  std::string value = authorization(request, credentials, scope, date);
  request.headers.emplace_back("Authorization", std::move(value));
}

}  // namespace oh::control::aws
