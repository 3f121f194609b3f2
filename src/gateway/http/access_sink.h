#pragma once
// Writes one access-log line to stdout. One fwrite per line (stdio locks the stream for the
// call), so lines from different worker threads never interleave.

#include "observability/access_log.h"

namespace oh::gateway {

void emitAccessLog(const AccessLogEntry& entry);

}  // namespace oh::gateway
