#pragma once
// HTTP/1.1 messages as the stand-in app server reads and writes them: the request head parsed
// from bytes with hard limits (a hostile client gets 400, 413 or 431, never a crash or an
// unbounded buffer), the query string decoded as Starlette does, replies serialised.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oh::appserver_standin {

inline constexpr std::size_t kMaxHeadBytes = 16 * 1024;
// uvicorn sets no body limit; the stand-in refuses bodies past this (413) to protect the machine.
inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

struct Request {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;    // percent-decoded path
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;              // lowercase names; repeated ones joined with ", "
  std::string body;
  std::string client_host;  // the address the limiter keys on (server.cpp decides)
  bool keep_alive = true;

  std::optional<std::string> header(const std::string& lowercase_name) const;
  std::vector<std::string> queryValues(std::string_view name) const;
  std::optional<std::string> queryValue(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The head's parse: a request without body, or the status to refuse it with.
struct HeadParse {
  std::optional<Request> request;
  std::size_t content_length = 0;
  int refusal = 0;  // 400, 413, 431, 501 when request is empty
  std::string reason;
};

// Parses the bytes before the blank line (without it).
HeadParse parseRequestHead(std::string_view head);

std::string serialiseResponse(const Response& response, bool keep_alive);
std::string_view reasonPhrase(int status);

Response jsonResponse(int status, std::string body);
// FastAPI's {"detail": "..."} error body.
Response detailResponse(int status, std::string_view detail);

}  // namespace oh::appserver_standin
