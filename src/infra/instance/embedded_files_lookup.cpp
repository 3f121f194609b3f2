#include "instance/embedded_files.h"

namespace oh::infra::instance {

std::optional<std::string_view> embeddedFile(std::string_view name) {
  for (const auto& file : embeddedFiles()) {
    if (file.name == name) {
      return file.content;
    }
  }
  return std::nullopt;
}

}  // namespace oh::infra::instance
