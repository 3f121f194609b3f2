#include "outbound/request_check.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "common/text.h"

namespace oh::gateway::outbound {
namespace {

// RFC 9110 5.6.2 tchar.
bool isTokenChar(char c) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  const auto u = static_cast<unsigned char>(c);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
         kExtra.find(c) != std::string_view::npos;
}

bool isToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), isTokenChar);
}

// RFC 9110 5.5: field values are VCHAR, obs-text, SP and HTAB; CR, LF and NUL never.
bool isFieldValue(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

// The client frames the message itself; a caller's copy would conflict or smuggle.
constexpr std::array<std::string_view, 8> kReservedFields = {
    "host", "content-length", "transfer-encoding", "connection",
    "keep-alive", "upgrade", "te", "trailer"};

}  // namespace

std::optional<std::string> checkOutboundRequest(const OutboundRequest& request) {
  if (request.method != "GET" && request.method != "POST" && request.method != "PUT") {
    return std::string("method must be GET, POST or PUT");
  }
  if (request.body.size() > kMaxRequestBodyBytes) {
    return std::string("request body larger than 1 MiB");
  }
  std::size_t header_bytes = 0;
  for (std::size_t i = 0; i < request.headers.size(); ++i) {
    const auto& [name, value] = request.headers[i];
    const std::string where = "request header #" + std::to_string(i + 1);
    if (!isToken(name)) {
      return where + " has an invalid name";
    }
    if (!isFieldValue(value)) {
      return where + " has an invalid value";
    }
    for (std::string_view reserved : kReservedFields) {
      if (common::equalsIgnoreCase(name, reserved)) {
        return where + " is set by the client itself";
      }
    }
    header_bytes += name.size() + value.size() + 4;
  }
  if (header_bytes > kMaxRequestHeaderBytes) {
    return std::string("request headers larger than 16 KiB");
  }
  return std::nullopt;
}

}  // namespace oh::gateway::outbound
