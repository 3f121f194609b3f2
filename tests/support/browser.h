#pragma once
// A browser's view of one host for tests through the real oh-gateway: a cookie jar fed by
// Set-Cookie, and requests with the headers a page load or a script's fetch() sends (the
// gateway decides between a sign-in redirect and a 401 JSON answer on them).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "support/raw_client.h"

namespace oh::testing {

// A browser's view of one host: a cookie jar and requests with the headers a page load sends.
class Browser {
public:
  Browser(std::uint16_t port, std::string host) : port_(port), host_(std::move(host)) {}

  // A page navigation (Accept: text/html, Sec-Fetch-Mode: navigate).
  std::optional<RawResponse> navigate(const std::string& target, Headers extra = {});
  // A fetch() from a script (Accept: application/json, Sec-Fetch-Mode: cors).
  std::optional<RawResponse> fetch(const std::string& target, Headers extra = {});
  std::optional<RawResponse> post(const std::string& target, const std::string& form_body);
  // A fetch() with any method and a JSON body (an app's API call, as OpenHands' UI makes it).
  std::optional<RawResponse> fetchJson(const std::string& method, const std::string& target, const std::string& body = {},
                                       Headers extra = {});

  std::string cookieHeader() const;
  std::map<std::string, std::string>& jar() { return jar_; }
  const std::string& host() const { return host_; }
  void setHost(std::string host) { host_ = std::move(host); }

private:
  std::optional<RawResponse> send(const std::string& method, const std::string& target, Headers headers,
                                  const std::string& body);
  void absorb(const RawResponse& response);

  std::uint16_t port_;
  std::string host_;
  std::map<std::string, std::string> jar_;
};

}  // namespace oh::testing
