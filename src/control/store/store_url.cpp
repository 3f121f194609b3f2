#include "store/store_url.h"

#include <optional>

#include "common/text.h"

namespace oh::control {
namespace {

using common::failure;
using common::Result;

constexpr std::string_view kSqliteScheme = "sqlite:";

// A URL cut as conservatively as messages need: the user info runs to the LAST '@' (a password
// with an unescaped '/', '?' or '#' still counts as user info, so no part of it is shown); the
// query runs from the first '?' after that.
struct UrlParts {
  std::string_view scheme;    // up to and including "://"
  std::string_view userinfo;  // before the last '@', or empty
  bool has_userinfo = false;
  std::string_view location;  // hosts and path
  std::string_view query;     // after '?', fragment included
  bool has_query = false;
};

std::optional<UrlParts> splitUrl(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return std::nullopt;
  }
  UrlParts parts;
  parts.scheme = url.substr(0, scheme_end + 3);
  std::string_view rest = url.substr(scheme_end + 3);
  const auto at = rest.rfind('@');
  if (at != std::string_view::npos) {
    parts.has_userinfo = true;
    parts.userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  const auto query_at = rest.find('?');
  parts.location = rest.substr(0, query_at);
  if (query_at != std::string_view::npos) {
    parts.has_query = true;
    parts.query = rest.substr(query_at + 1);
  }
  return parts;
}

// Calls visit(key, pair) for each key=value pair of a query string, the key percent-decoded.
template <class Visit>
void forEachParameter(std::string_view query, Visit visit) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    const std::string_view raw_key = pair.substr(0, eq);
    const std::string key = common::percentDecode(raw_key).value_or(std::string(raw_key));
    visit(key, pair);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
}

}  // namespace

Result<StoreKind> storeKindOf(std::string_view url) {
  if (common::startsWithIgnoreCase(url, kSqliteScheme)) {
    return StoreKind::sqlite;
  }
  if (common::startsWithIgnoreCase(url, "postgresql://") || common::startsWithIgnoreCase(url, "postgres://")) {
    return StoreKind::postgresql;
  }
  return failure("sandbox store URL " + redactedUrl(url) +
                 " names no known store: expected sqlite:///absolute/path.db or postgresql://user@host/db");
}

Result<std::string> sqlitePathOf(std::string_view url) {
  const std::string shown = redactedUrl(url);
  if (!common::startsWithIgnoreCase(url, "sqlite://")) {
    return failure("sandbox store URL " + shown + " is not of the form sqlite:///absolute/path.db");
  }
  const std::string_view rest = url.substr(std::string_view("sqlite://").size());
  if (rest.empty() || rest.front() != '/') {
    return failure("sandbox store URL " + shown +
                   " names a host or a relative path; a SQLite store needs an absolute path (sqlite:///absolute/path.db)");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return failure("sandbox store URL " + shown + " has a query or fragment; a SQLite store takes none");
  }
  auto path = common::percentDecode(rest);
  if (!path) {
    return failure("sandbox store URL " + shown + " has a malformed percent-escape");
  }
  if (path->find('\0') != std::string::npos) {
    return failure("sandbox store URL " + shown + " has a NUL in its path");
  }
  if (path->back() == '/') {
    return failure("sandbox store URL " + shown + " names a directory, not a database file");
  }
  return std::move(*path);
}

Result<bool> checkPostgresUrl(std::string_view url) {
  const auto parts = splitUrl(url);
  if (!parts) {
    return failure("sandbox store URL " + redactedUrl(url) + " is not a postgresql:// URL");
  }
  // Cut as redactedUrl cuts it (user info up to the last '@'), which is stricter than libpq's
  // reading: a URL libpq would misparse with the password in a "host" or "port" must not reach
  // libpq either, whose error messages quote those.
  bool password_parameter = false;
  forEachParameter(parts->query, [&](const std::string& key, std::string_view) {
    password_parameter = password_parameter || key == "password";
  });
  if ((parts->has_userinfo && parts->userinfo.find(':') != std::string_view::npos) || password_parameter) {
    return failure("sandbox store URL " + redactedUrl(url) +
                   " carries a password; give it in PGPASSWORD or PGPASSFILE instead");
  }
  return true;
}

std::string redactedUrl(std::string_view url) {
  const auto parts = splitUrl(url);
  if (!parts) {
    // "sqlite:relative.db", "/some/path": without an '@' there is no user info to hide.
    return url.find('@') == std::string_view::npos ? std::string(url) : std::string("(not a URL)");
  }
  std::string shown(parts->scheme);
  if (parts->has_userinfo) {
    const auto colon = parts->userinfo.find(':');
    shown += parts->userinfo.substr(0, colon);
    shown += colon == std::string_view::npos ? "@" : ":***@";
  }
  shown += parts->location;
  if (parts->has_query) {
    shown += '?';
    bool first = true;
    forEachParameter(parts->query, [&](const std::string& key, std::string_view pair) {
      shown += first ? "" : "&";
      first = false;
      shown += key == "password" ? std::string_view("password=***") : pair;
    });
  }
  return shown;
}

}  // namespace oh::control
