#!/usr/bin/env bash
# The build stage of deploy/gateway.Dockerfile, one step per Dockerfile RUN (kept here, not inline,
# so it runs under bash whether or not the builder honours SHELL: Podman's OCI format does not).
# It runs on the build machine's platform and cross-compiles when the target differs:
#
#   gateway-image.sh toolchain   the compiler and the target's libraries (Debian multiarch:
#                                g++-<triplet> and :<arch> -dev packages when crossing)
#   gateway-image.sh compile     oh-gateway with the release preset into /out/rootfs
#   gateway-image.sh runtime     the shared libraries it loads beyond libc6, their dpkg records
#                                and copyright files, and the CA bundle, into /out/rootfs
#
# TARGETARCH (a Debian/Go architecture name, set by BuildKit and Podman from --platform) picks
# the target; without it the build machine's own.
set -euo pipefail

build_arch=$(dpkg --print-architecture)
target_arch=${TARGETARCH:-$build_arch}
case "$target_arch" in
  amd64) triplet=x86_64-linux-gnu ;;
  arm64) triplet=aarch64-linux-gnu ;;
  *) echo "gateway-image: unsupported target architecture: $target_arch" >&2; exit 1 ;;
esac
cross=no
tools=  # the prefix of the binutils that read and strip the target's binaries
if [ "$target_arch" != "$build_arch" ]; then cross=yes; tools=$triplet-; fi
rootfs=/out/rootfs
binary=$rootfs/usr/local/bin/oh-gateway

install_toolchain() {
  local libs=(libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
              libssl-dev libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev libsodium-dev
              libsqlite3-dev libpq-dev)
  local packages=(g++ "${libs[@]}")
  if [ "$cross" = yes ]; then
    dpkg --add-architecture "$target_arch"
    packages=("g++-$triplet" "${libs[@]/%/:$target_arch}")
  fi
  echo "gateway-image: building on $build_arch for $target_arch (cross: $cross)"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    cmake ninja-build pkg-config ca-certificates "${packages[@]}"
  rm -rf /var/lib/apt/lists/*
}

compile() {
  local toolchain=()
  if [ "$cross" = yes ]; then
    toolchain=(-DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchains/debian-multiarch.cmake" -DOH_TARGET_TRIPLET="$triplet")
  fi
  # Tests are off in the release preset; benchmarks and oh-infra are not needed in the image.
  cmake --preset release -DOH_BUILD_BENCH=OFF -DOH_BUILD_INFRA=OFF "${toolchain[@]}"
  cmake --build build/release --target oh-gateway
  install -D -m 0755 build/release/src/gateway/oh-gateway "$binary"
  "${tools}strip" "$binary"
}

# The package owning a file, as name:arch. dpkg knows some files by their /lib path and others
# by /usr/lib (the usr merge): ask with each candidate path.
owner() {
  local path found
  for path; do
    found=$(dpkg -S "$path" 2>/dev/null | head -n1) && [ -n "$found" ] && { echo "${found%%: *}"; return; }
  done
  return 1
}

# The libraries the binary needs, transitively, from its ELF NEEDED entries (ldd would have to
# run the target's loader), resolved in the target's multiarch folder. libc6's come with the
# runtime base image. Each library's package gets its dpkg record under /var/lib/dpkg/status.d
# (where image scanners look for packages installed without dpkg) and its copyright file.
collect_runtime() {
  local -A seen=()
  local queue=("$binary") packages=() file soname lib real package name copyright
  while ((${#queue[@]})); do
    file=${queue[0]}
    queue=("${queue[@]:1}")
    for soname in $("${tools}readelf" -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      [ -z "${seen[$soname]:-}" ] || continue
      seen[$soname]=1
      lib=/usr/lib/$triplet/$soname
      [ -e "$lib" ] || { echo "gateway-image: $soname (needed by $file) not found" >&2; exit 1; }
      real=$(readlink -f "$lib")
      package=$(owner "$lib" "/lib/$triplet/$soname" "$real" "${real#/usr}") \
        || { echo "gateway-image: no package owns $lib" >&2; exit 1; }
      [ "${package%%:*}" != libc6 ] || continue
      install -D -m 0644 "$real" "$rootfs$lib"
      queue+=("$lib")
      packages+=("$package")
    done
  done
  mkdir -p "$rootfs/var/lib/dpkg/status.d"
  for package in $(printf '%s\n' "${packages[@]}" | sort -u); do
    name=${package%%:*}
    dpkg-query -s "$package" >"$rootfs/var/lib/dpkg/status.d/$name"
    copyright=/usr/share/doc/$name/copyright
    [ ! -e "$copyright" ] || install -D -m 0644 "$copyright" "$rootfs$copyright"
    echo "gateway-image: runtime package $package"
  done
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
}

case "${1:-}" in
  toolchain) install_toolchain ;;
  compile) compile ;;
  runtime) collect_runtime ;;
  *) echo "usage: gateway-image.sh toolchain|compile|runtime" >&2; exit 2 ;;
esac
