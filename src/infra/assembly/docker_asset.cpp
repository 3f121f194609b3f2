#include "assembly/docker_asset.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <system_error>

#include <boost/json/object.hpp>
#include <openssl/evp.h>

#include "assembly/bootstrap.h"

namespace oh::infra {
namespace {

namespace fs = std::filesystem;

class Sha256 {
public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
      throw std::runtime_error("SHA-256 unavailable");
    }
  }
  void update(const void* data, std::size_t size) {
    if (size != 0) EVP_DigestUpdate(ctx_.get(), data, size);
  }
  void update(const std::string& text) { update(text.data(), text.size()); }
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest.data(), &length);
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2U);
    for (unsigned int i = 0; i < length; ++i) {
      out.push_back(kDigits[digest[i] >> 4U]);
      out.push_back(kDigits[digest[i] & 0x0fU]);
    }
    return out;
  }

private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// Regular files under `entry` (itself a file or a folder), as paths relative to `root`.
void collectFiles(const fs::path& root, const std::string& entry, std::vector<std::string>& out) {
  std::error_code ec;
  const fs::path start = root / entry;
  const auto status = fs::symlink_status(start, ec);
  if (ec || !fs::exists(status)) return;
  if (fs::is_regular_file(status)) {
    out.push_back(fs::path(entry).lexically_normal().generic_string());
    return;
  }
  if (!fs::is_directory(status)) return;
  // Directory iteration order is unspecified: the caller sorts.
  for (auto it = fs::recursive_directory_iterator(start, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
      out.push_back(it->path().lexically_relative(root).generic_string());
    }
  }
}

}  // namespace

const std::vector<std::string>& gatewayBuildContextEntries() {
  static const std::vector<std::string> entries{
      "CMakeLists.txt", "CMakePresets.json", "cmake", "src", kGatewayDockerfile, "deploy/gateway-image.sh",
      "deploy/instance/boot-services.sh", "deploy/instance/db-bootstrap.sh", "deploy/instance/gateway.toml.in",
      "deploy/instance/oh-firewall.sh", "deploy/openhands-release.env", ".dockerignore"};
  return entries;
}

std::string hashBuildContext(const fs::path& root, const std::vector<std::string>& entries) {
  std::vector<std::string> files;
  for (const auto& entry : entries) collectFiles(root, entry, files);
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());

  Sha256 sha;
  std::array<char, 64 * 1024> buffer{};
  for (const auto& relative : files) {
    std::ifstream in(root / relative, std::ios::binary);
    if (!in) continue;
    // Length-prefixed fields keep distinct (path, content) lists from colliding.
    std::string content;
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      content.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    sha.update(std::to_string(relative.size()) + ":" + relative + ":" + std::to_string(content.size()) + ":");
    sha.update(content);
  }
  return sha.hex();
}

DockerImageAsset gatewayImageAsset(const fs::path& project_root) {
  std::error_code ec;
  fs::path root = fs::absolute(project_root, ec);
  if (ec) root = project_root;
  root = root.lexically_normal();
  if (!root.has_filename() && root != root.root_path()) {
    root = root.parent_path();  // drop a trailing separator
  }
  DockerImageAsset asset;
  asset.source_hash = hashBuildContext(root, gatewayBuildContextEntries());
  asset.directory = root.generic_string();
  asset.dockerfile = kGatewayDockerfile;
  asset.platform = "linux/arm64";
  return asset;
}

boost::json::value dockerImageUri(const DockerImageAsset& asset) {
  std::string uri = "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/";
  uri += bootstrap::kImageAssetsRepository;
  uri += ":" + asset.source_hash;
  return boost::json::object{{"Fn::Sub", uri}};
}

}  // namespace oh::infra
