#pragma once
// Pieces of the Prometheus text exposition format 0.0.4 shared by every metrics renderer here.

#include <string>

namespace oh::gateway::prometheus {

// "# HELP name help\n# TYPE name type\n"
void appendHeader(std::string& out, const char* name, const char* type, const char* help);

// A sample value: shortest form, up to 9 significant digits.
void appendDouble(std::string& out, double value);

}  // namespace oh::gateway::prometheus
