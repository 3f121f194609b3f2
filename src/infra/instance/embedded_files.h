#pragma once
// The files of deploy/instance/ (scripts, systemd units, configuration templates), embedded in
// the binary at build time so oh-infra renders the user data with no files beside it.

#include <optional>
#include <string_view>
#include <vector>

namespace oh::infra::instance {

struct EmbeddedFile {
  std::string_view name;     // file name in deploy/instance/, e.g. "db-bootstrap.sh"
  std::string_view content;  // its bytes, verbatim
};

const std::vector<EmbeddedFile>& embeddedFiles();

// The content of deploy/instance/<name>, or nullopt when no such file was embedded.
std::optional<std::string_view> embeddedFile(std::string_view name);

}  // namespace oh::infra::instance
