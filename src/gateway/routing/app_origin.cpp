#include "routing/app_origin.h"

#include "common/text.h"

namespace oh::gateway {
namespace {

bool isSafeMethod(std::string_view method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

// The host name of "scheme://host[:port][/path...]", without the port; "" when there is none or
// it is an IPv6 literal (never a runtime host).
std::string_view hostOfUrl(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return {};
  }
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.empty() || authority.front() == '[') {
    return {};
  }
  return authority.substr(0, authority.rfind(':'));
}

}  // namespace

bool urlIsOnRuntimeHost(std::string_view url, const RuntimeSettings& runtime) {
  std::string_view host = hostOfUrl(common::trimOws(url));
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);  // "runtime.example.com." is the same name
  }
  if (host.empty()) {
    return false;
  }
  for (const std::string& suffix : runtime.host_suffixes) {
    if (suffix.empty()) {
      continue;
    }
    if (common::equalsIgnoreCase(host, suffix) ||
        (host.size() > suffix.size() && common::endsWithIgnoreCase(host, suffix) &&
         host[host.size() - suffix.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

std::optional<std::string_view> runtimeOriginProblem(const GateRequest& request, const RuntimeSettings& runtime) {
  if (isSafeMethod(request.method) && !request.websocket) {
    return std::nullopt;
  }
  const std::string_view origin = common::trimOws(request.origin);
  const std::string_view site = common::trimOws(request.sec_fetch_site);
  const bool from_elsewhere = common::equalsIgnoreCase(site, "same-site") || common::equalsIgnoreCase(site, "cross-site");
  if (!origin.empty()) {
    if (origin == "null") {
      return from_elsewhere ? std::optional<std::string_view>("origin: opaque origin from another host")
                            : std::nullopt;
    }
    return urlIsOnRuntimeHost(origin, runtime) ? std::optional<std::string_view>("origin: runtime host")
                                                : std::nullopt;
  }
  if (from_elsewhere && urlIsOnRuntimeHost(request.referer, runtime)) {
    return "origin: referer on a runtime host";
  }
  return std::nullopt;
}

}  // namespace oh::gateway
