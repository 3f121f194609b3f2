#pragma once
// The files the user data installs, packed as one gzip-compressed ustar archive so the script
// fits EC2's 16 KB limit with room to grow (about a third of the plain size). Deterministic:
// the same files give the same bytes (mtime 0, owner root, fixed gzip header), so synthesized
// templates stay byte-identical.

#include <string>
#include <string_view>
#include <vector>

namespace oh::infra::instance {

struct BundleFile {
  std::string path;     // absolute path on the instance, e.g. "/etc/docker/daemon.json"
  unsigned mode = 0644; // permission bits
  std::string content;
};

// ustar archive (paths stored without the leading '/', so `tar -x -C /` puts them in place).
// Throws std::invalid_argument for a path that is not absolute, has "..", or is over 100 bytes.
std::string tarArchive(const std::vector<BundleFile>& files);

// gzip (RFC 1952) of bytes at the best compression, with mtime 0.
std::string gzip(std::string_view bytes);

}  // namespace oh::infra::instance
