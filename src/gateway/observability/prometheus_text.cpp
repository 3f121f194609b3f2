#include "observability/prometheus_text.h"

#include <cstdio>

namespace oh::gateway::prometheus {

void appendHeader(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void appendDouble(std::string& out, double value) {
  char buffer[32];
  const int n = std::snprintf(buffer, sizeof buffer, "%.9g", value);
  if (n > 0) {
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace oh::gateway::prometheus
