#pragma once
// Outgoing HTTP/1.1 calls (to the sandbox API and to agent servers), as httpx makes them for the
// real app server: names resolved by the system resolver (so /etc/hosts and DNS apply), and
// HTTP_PROXY / ALL_PROXY / NO_PROXY honoured as httpx's trust_env does (the app server builds
// its client without trust_env=False: services/httpx_client_injector.py:18-27). Plain http only.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app_config.h"

namespace oh::appserver_standin {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"
};

// Parses an absolute http(s) URL; nullopt when it is not one.
std::optional<Url> parseUrl(const std::string& text);

struct ProxySettings {
  std::optional<Url> http_proxy;
  std::vector<std::string> no_proxy;  // hosts, domains (".example" or "example"), or "*"
};

// HTTP_PROXY/http_proxy, else ALL_PROXY/all_proxy; NO_PROXY/no_proxy (comma separated).
ProxySettings proxySettingsFrom(const Environment& environment);
// Whether a request to host goes through the proxy.
bool useProxyFor(const ProxySettings& proxy, const std::string& host);

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> json_body;
  std::chrono::milliseconds timeout{15000};
};

struct HttpReply {
  int status = 0;     // 0: no answer (the error says why)
  std::string body;
  std::string error;  // for logs; never contains header values
  bool ok() const { return status >= 200 && status < 300; }
};

HttpReply sendHttp(const HttpCall& call, const ProxySettings& proxy);

}  // namespace oh::appserver_standin
