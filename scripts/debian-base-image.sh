#!/usr/bin/env bash
# Makes a Debian 12 base image from the Debian archive, for building deploy/gateway.Dockerfile
# where no container registry is reachable (the tests, bench/gateway_image_bench.sh):
# debootstrap (minbase) into a folder, a tarball of it (kept in CACHE_DIR, so later runs skip
# debootstrap), then `podman import` as TAG.
#
# Usage: scripts/debian-base-image.sh ARCH TAG CACHE_DIR      (ARCH: a Debian arch, amd64/arm64)
#
# For the host's architecture this is a complete minbase system (apt works in it). For another
# architecture only debootstrap's first stage runs: the packages are unpacked but not configured,
# because the second stage runs the target's programs, which needs binfmt_misc and qemu-user.
# That is enough for the Dockerfile's runtime stage, which only copies files onto its base and
# runs nothing in it. At deploy time the bases are the registry's debian:12 images instead.
#
# OH_DEBIAN_MIRROR overrides the archive (default: the one this host's apt uses).
set -euo pipefail

arch=${1:?usage: debian-base-image.sh ARCH TAG CACHE_DIR}
tag=${2:?usage: debian-base-image.sh ARCH TAG CACHE_DIR}
cache_dir=${3:?usage: debian-base-image.sh ARCH TAG CACHE_DIR}
host_arch=$(dpkg --print-architecture)

host_mirror() {
  # The first Debian archive URI of the host's apt sources (deb822 or one-line format).
  local uri
  uri=$(grep -hsE '^\s*URIs:\s*\S+/debian/?\s*$' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | head -n1)
  [ -n "$uri" ] || uri=$(grep -hsE '^\s*deb\s+\S+/debian/?\s' /etc/apt/sources.list | awk '{print $2}' | head -n1)
  echo "${uri:-http://deb.debian.org/debian}"
}
mirror=${OH_DEBIAN_MIRROR:-$(host_mirror)}
mirror=${mirror%/}

tarball="$cache_dir/debian12-$arch-minbase.tar"
if [ ! -s "$tarball" ]; then
  mkdir -p "$cache_dir"
  rootfs=$(mktemp -d "$cache_dir/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  foreign=()
  [ "$arch" = "$host_arch" ] || foreign=(--foreign)
  echo "debian-base-image: debootstrap bookworm ($arch${foreign:+, first stage only}) from $mirror"
  debootstrap --variant=minbase --arch="$arch" "${foreign[@]}" bookworm "$rootfs" "$mirror" >"$cache_dir/debootstrap-$arch.log" 2>&1 \
    || { tail -n 30 "$cache_dir/debootstrap-$arch.log" >&2; exit 1; }
  # The same sources as the registry's debian:12 image (security updates included).
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # debootstrap may leave /proc (and /sys) as links to the host's when it runs in a container; a
  # container runtime mounts them on plain folders.
  for dir in proc sys; do
    if [ -L "$rootfs/$dir" ]; then rm "$rootfs/$dir" && mkdir -m 0555 "$rootfs/$dir"; fi
  done
  # The first stage's downloaded packages and apt's lists are not part of an image.
  rm -rf "$rootfs/debootstrap" "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi

# Imported once per tarball: the same image (id) keeps later builds' layer cache valid.
created=$(podman image inspect -f '{{.Created.Unix}}' "$tag" 2>/dev/null || echo 0)
if [ "$created" -lt "$(stat -c %Y "$tarball")" ]; then
  podman import --quiet --arch "$arch" --os linux --change 'CMD ["/bin/bash"]' "$tarball" "$tag" >/dev/null
fi
echo "debian-base-image: $tag ($arch) from $tarball"
