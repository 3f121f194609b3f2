#include "http/access_sink.h"

#include <cstdio>
#include <string>

namespace oh::gateway {
namespace {

// Written as soon as a thread has this much: a few dozen lines under load.
constexpr std::size_t kFlushBytes = 16 * 1024;

struct ThreadBuffer {
  std::string lines;
  ~ThreadBuffer() { write(); }
  void write() {
    if (lines.empty()) {
      return;
    }
    // One fwrite per batch: stdio locks the stream for the call, so batches never interleave.
    std::fwrite(lines.data(), 1, lines.size(), stdout);
    std::fflush(stdout);
    lines.clear();
  }
};

ThreadBuffer& threadBuffer() {
  thread_local ThreadBuffer buffer;
  return buffer;
}

}  // namespace

void emitAccessLog(const AccessLogEntry& entry) {
  auto& buffer = threadBuffer();
  buffer.lines += formatAccessLog(entry);
  buffer.lines += '\n';
  if (buffer.lines.size() >= kFlushBytes) {
    buffer.write();
  }
}

void flushAccessLog() {
  threadBuffer().write();
}

}  // namespace oh::gateway
