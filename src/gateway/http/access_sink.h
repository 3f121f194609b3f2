#pragma once
// Writes access-log lines to stdout. Each thread collects its lines in its own buffer and writes
// them in one call when the buffer fills or when flushAccessLog() runs (each worker calls it on a
// short timer and when it stops), so logging costs no system call per request and lines from
// different threads never interleave.

#include <chrono>

#include "observability/access_log.h"

namespace oh::gateway {

// How long a line may wait in a thread's buffer before it reaches stdout.
inline constexpr std::chrono::milliseconds kAccessLogFlushInterval{100};

void emitAccessLog(const AccessLogEntry& entry);

// Writes this thread's buffered lines.
void flushAccessLog();

}  // namespace oh::gateway
