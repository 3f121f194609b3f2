#include "instance/bundle.h"

#include <zlib.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace oh::infra::instance {
namespace {

constexpr std::size_t kBlock = 512;

// Writes value as zero-padded octal with a terminating NUL into field (ustar numeric fields).
void octal(char* field, std::size_t width, unsigned long long value) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), value);
}

std::array<char, kBlock> header(const BundleFile& file, std::string_view name) {
  std::array<char, kBlock> h{};
  std::memcpy(h.data(), name.data(), name.size());        // name[100]
  octal(h.data() + 100, 8, file.mode & 07777u);            // mode
  octal(h.data() + 108, 8, 0);                             // uid
  octal(h.data() + 116, 8, 0);                             // gid
  octal(h.data() + 124, 12, file.content.size());          // size
  octal(h.data() + 136, 12, 0);                            // mtime
  h[156] = '0';                                            // typeflag: regular file
  std::memcpy(h.data() + 257, "ustar", 6);                 // magic "ustar\0"
  std::memcpy(h.data() + 263, "00", 2);                    // version
  std::memcpy(h.data() + 265, "root", 4);                  // uname
  std::memcpy(h.data() + 297, "root", 4);                  // gname
  // The checksum is computed with its own field as spaces (POSIX ustar).
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (const char c : h) {
    sum += static_cast<unsigned char>(c);
  }
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  h[155] = ' ';
  return h;
}

}  // namespace

std::string tarArchive(const std::vector<BundleFile>& files) {
  std::string out;
  for (const auto& file : files) {
    if (!file.path.starts_with('/') || file.path.find("..") != std::string::npos || file.path.size() - 1 > 99 ||
        file.path.size() < 2) {
      throw std::invalid_argument("bundle path must be absolute, without \"..\", at most 100 bytes: " + file.path);
    }
    const auto h = header(file, std::string_view(file.path).substr(1));
    out.append(h.data(), h.size());
    out += file.content;
    out.append((kBlock - file.content.size() % kBlock) % kBlock, '\0');
  }
  out.append(2 * kBlock, '\0');  // end of archive
  return out;
}

std::string gzip(std::string_view bytes) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip wrapper; zlib writes mtime 0 and no name, so output is stable.
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(bytes.size())) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) {
    throw std::runtime_error("deflate did not finish");
  }
  return out;
}

}  // namespace oh::infra::instance
