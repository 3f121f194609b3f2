#include "http/access_sink.h"

#include <cstdio>

namespace oh::gateway {

void emitAccessLog(const AccessLogEntry& entry) {
  std::string line = formatAccessLog(entry);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  // Readers (CloudWatch agent, tests) follow the stream live; a pipe would otherwise buffer 4 KiB.
  std::fflush(stdout);
}

}  // namespace oh::gateway
