#include "common/random_source.h"

#include <openssl/rand.h>

#include <climits>
#include <cstdlib>

namespace oh::common {

std::string RandomSource::bytes(std::size_t size) {
  std::string out(size, '\0');
  if (size > 0) {
    fill(reinterpret_cast<unsigned char*>(out.data()), size);
  }
  return out;
}

void SystemRandomSource::fill(unsigned char* out, std::size_t size) {
  while (size > 0) {
    const std::size_t chunk = size > static_cast<std::size_t>(INT_MAX) ? static_cast<std::size_t>(INT_MAX) : size;
    if (RAND_bytes(out, static_cast<int>(chunk)) != 1) {
      std::abort();
    }
    out += chunk;
    size -= chunk;
  }
}

}  // namespace oh::common
