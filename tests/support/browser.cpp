#include "support/browser.h"

namespace oh::testing {

std::optional<RawResponse> Browser::send(const std::string& method, const std::string& target, Headers headers,
                                         const std::string& body) {
  const std::string cookies = cookieHeader();
  if (!cookies.empty()) {
    headers.push_back({"Cookie", cookies});
  }
  auto response = simpleRequest(port_, method, target, headers, body, host_);
  if (response) {
    absorb(*response);
  }
  return response;
}

std::optional<RawResponse> Browser::navigate(const std::string& target, Headers extra) {
  extra.push_back({"Accept", "text/html,application/xhtml+xml"});
  extra.push_back({"Sec-Fetch-Mode", "navigate"});
  return send("GET", target, std::move(extra), "");
}

std::optional<RawResponse> Browser::fetch(const std::string& target, Headers extra) {
  extra.push_back({"Accept", "application/json"});
  extra.push_back({"Sec-Fetch-Mode", "cors"});
  return send("GET", target, std::move(extra), "");
}

std::optional<RawResponse> Browser::post(const std::string& target, const std::string& form_body) {
  return send("POST", target,
              {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "text/html"},
               {"Sec-Fetch-Mode", "navigate"}},
              form_body);
}

std::optional<RawResponse> Browser::fetchJson(const std::string& method, const std::string& target,
                                              const std::string& body, Headers extra) {
  extra.push_back({"Accept", "application/json"});
  extra.push_back({"Sec-Fetch-Mode", "cors"});
  if (!body.empty() || method == "POST") {
    extra.push_back({"Content-Type", "application/json"});
  }
  return send(method, target, std::move(extra), body);
}

std::string Browser::cookieHeader() const {
  std::string out;
  for (const auto& [name, value] : jar_) {
    out += (out.empty() ? "" : "; ") + name + "=" + value;
  }
  return out;
}

void Browser::absorb(const RawResponse& response) {
  for (const HeaderField& field : response.headers) {
    if (!equalsIgnoreCase(field.name, "Set-Cookie")) {
      continue;
    }
    const std::string pair = field.value.substr(0, field.value.find(';'));
    const std::size_t eq = pair.find('=');
    const std::string name = pair.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : pair.substr(eq + 1);
    if (value.empty() || field.value.find("Max-Age=0") != std::string::npos) {
      jar_.erase(name);
    } else {
      jar_[name] = value;
    }
  }
}

}  // namespace oh::testing
