#include "http_message.h"

#include <charconv>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "common/text.h"

namespace oh::appserver_standin {

namespace {

std::string_view trimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

HeadParse refuse(int status, std::string reason) {
  HeadParse out;
  out.refusal = status;
  out.reason = std::move(reason);
  return out;
}

}  // namespace

std::optional<std::string> Request::header(const std::string& lowercase_name) const {
  const auto found = headers.find(lowercase_name);
  if (found == headers.end()) return std::nullopt;
  return found->second;
}

std::vector<std::string> Request::queryValues(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : query) {
    if (key == name) out.push_back(value);
  }
  return out;
}

std::optional<std::string> Request::queryValue(std::string_view name) const {
  // Starlette's QueryParams[name] is the last value given.
  std::optional<std::string> out;
  for (const auto& [key, value] : query) {
    if (key == name) out = value;
  }
  return out;
}

HeadParse parseRequestHead(std::string_view head) {
  if (head.size() > kMaxHeadBytes) return refuse(431, "request head too large");
  const auto line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  const auto first_space = request_line.find(' ');
  const auto second_space = first_space == std::string_view::npos ? std::string_view::npos
                                                                   : request_line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos || request_line.find(' ', second_space + 1) != std::string_view::npos) {
    return refuse(400, "malformed request line");
  }
  Request request;
  request.method = std::string(request_line.substr(0, first_space));
  request.target = std::string(request_line.substr(first_space + 1, second_space - first_space - 1));
  const std::string_view version = request_line.substr(second_space + 1);
  if (request.method.empty() || request.target.empty()) return refuse(400, "malformed request line");
  for (char c : request.method) {
    if (!isTokenChar(c)) return refuse(400, "malformed method");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return refuse(400, "unsupported HTTP version");
  if (request.target.front() != '/') return refuse(400, "only origin-form targets are served");
  for (char c : request.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return refuse(400, "control character in target");
  }
  request.keep_alive = version == "HTTP/1.1";

  const std::string_view raw_target = request.target;
  const auto question = raw_target.find('?');
  const auto path = common::percentDecode(raw_target.substr(0, question), false);
  if (!path) return refuse(400, "bad escape in path");
  request.path = *path;
  if (question != std::string_view::npos) {
    std::string_view query = raw_target.substr(question + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (pair.empty()) continue;
      const auto equals = pair.find('=');
      const auto key = common::percentDecode(pair.substr(0, equals), true);
      const auto value =
          common::percentDecode(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1), true);
      if (!key || !value) return refuse(400, "bad escape in query");
      request.query.emplace_back(*key, *value);
    }
  }

  std::optional<std::size_t> content_length;
  bool chunked = false;
  std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    const auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return refuse(400, "malformed header line");
    for (char c : line.substr(0, colon)) {
      if (!isTokenChar(c)) return refuse(400, "malformed header name");
    }
    for (char c : line.substr(colon + 1)) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return refuse(400, "control character in header");
    }
    const std::string name = common::lowercaseAscii(line.substr(0, colon));
    const std::string value(trimSpaces(line.substr(colon + 1)));
    if (name == "content-length") {
      std::size_t length = 0;
      const auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (value.empty() || error != std::errc() || ptr != value.data() + value.size()) {
        return refuse(400, "malformed Content-Length");
      }
      if (content_length && *content_length != length) return refuse(400, "conflicting Content-Length");
      content_length = length;
    } else if (name == "transfer-encoding") {
      chunked = true;
    } else if (name == "connection") {
      const std::string lowered = common::lowercaseAscii(value);
      if (lowered.find("close") != std::string::npos) request.keep_alive = false;
      if (lowered.find("keep-alive") != std::string::npos) request.keep_alive = true;
    }
    auto [slot, inserted] = request.headers.emplace(name, value);
    if (!inserted) slot->second += ", " + value;
  }
  // The UI and the agent server send Content-Length; a chunked body is refused rather than
  // parsed by a second, rarely used path (and Content-Length with chunking is a smuggling shape).
  if (chunked) return refuse(501, "chunked request bodies are not supported");
  HeadParse out;
  out.content_length = content_length.value_or(0);
  if (out.content_length > kMaxBodyBytes) return refuse(413, "request body too large");
  out.request = std::move(request);
  return out;
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::string serialiseResponse(const Response& response, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + std::string(reasonPhrase(response.status)) +
                    "\r\ncontent-type: " + response.content_type +
                    "\r\ncontent-length: " + std::to_string(response.body.size()) + "\r\n";
  for (const auto& [name, value] : response.headers) {
    out += name + ": " + value + "\r\n";
  }
  out += keep_alive ? "connection: keep-alive\r\n\r\n" : "connection: close\r\n\r\n";
  out += response.body;
  return out;
}

Response jsonResponse(int status, std::string body) {
  Response out;
  out.status = status;
  out.body = std::move(body);
  return out;
}

Response detailResponse(int status, std::string_view detail) {
  return jsonResponse(status, boost::json::serialize(boost::json::object{{"detail", detail}}));
}

}  // namespace oh::appserver_standin
