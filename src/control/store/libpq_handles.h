#pragma once
// libpq handles as unique_ptrs and its messages on one line, for the control plane's two libpq
// users (the PostgreSQL sandbox store, the app servers' per-user databases). Header-only: a
// library that includes it links libpq itself.

#include <libpq-fe.h>

#include <memory>
#include <string>

namespace oh::control::libpq {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnectionDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
using ConnectionPtr = std::unique_ptr<PGconn, ConnectionDeleter>;

// libpq's messages span lines ("ERROR:  …\nDETAIL: …"); a log line wants one.
inline std::string oneLine(const char* message) {
  std::string line;
  for (const char* c = message; c != nullptr && *c != '\0'; ++c) {
    const bool space = *c == '\n' || *c == '\t' || *c == '\r';
    if (space && (line.empty() || line.back() == ' ')) {
      continue;
    }
    line += space ? ' ' : *c;
  }
  while (!line.empty() && line.back() == ' ') {
    line.pop_back();
  }
  return line;
}

}  // namespace oh::control::libpq
