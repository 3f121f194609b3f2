#!/usr/bin/env bash
# How long deploy/gateway.Dockerfile takes to build for linux/arm64 (what `cdk deploy` builds)
# on this machine, against the build for this machine's own architecture in the same run: the
# ratio shows whether the arm64 build is native speed (cross-compiled) or not. Then runs the
# arm64 image and checks /_gateway/health, through qemu-user when it is installed (the image's
# gateway is an arm64 program; nothing else in the build needs an emulator).
#
# Usage: bench/image/gateway_image_bench.sh            (root, Podman, debootstrap; ~20-30 min)
# Both builds start from the same local Debian 12 bases (scripts/debian-base-image.sh, cached in
# build/image-cache) with --no-cache, so each pays for its toolchain's packages and the compile.
# Optional: apt-get install qemu-user-static (no binfmt_misc needed: qemu is the entrypoint).
# Measures and prints; asserts nothing beyond each step having worked.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cache=${OH_IMAGE_CACHE:-$ROOT/build/image-cache}
host_arch=$(dpkg --print-architecture)
target_arch=arm64
tag=localhost/oh-bench-gateway
container=oh-bench-gateway-$$
work=$(mktemp -d /tmp/oh-image-bench.XXXXXX)
cleanup() {
  podman rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

for arch in "$host_arch" "$target_arch"; do
  "$ROOT/scripts/debian-base-image.sh" "$arch" "localhost/oh-bench-debian:12-$arch" "$cache"
done

# build ARCH: the image for linux/ARCH, built on this machine's platform; prints seconds.
# Podman 4.3 does not set BUILDPLATFORM (BuildKit does): without it the build stage would run on
# the target's platform, under emulation. The bases are local (--pull=never) and named by id:
# after a stage for another platform, Podman 4.3 does not find a local image by its name.
build() {
  local arch=$1 started
  started=$(date +%s)
  podman build --no-cache --pull=never --platform "linux/$arch" --build-arg BUILDPLATFORM="linux/$host_arch" \
    --build-arg BASE_IMAGE="$(podman image inspect -f '{{.Id}}' "localhost/oh-bench-debian:12-$host_arch")" \
    --build-arg RUNTIME_BASE_IMAGE="$(podman image inspect -f '{{.Id}}' "localhost/oh-bench-debian:12-$arch")" \
    -t "$tag:$arch" -f "$ROOT/deploy/gateway.Dockerfile" "$ROOT" >"$work/build-$arch.log" 2>&1 \
    || { tail -n 40 "$work/build-$arch.log" >&2; echo "build for $arch failed" >&2; exit 1; }
  echo $(($(date +%s) - started))
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
host_seconds=$(build "$host_arch")
echo "linux/$host_arch (native) build: ${host_seconds} s"
target_seconds=$(build "$target_arch")
echo "linux/$target_arch (cross from $host_arch) build: ${target_seconds} s"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v t="$target_seconds" -v h="$host_seconds" \
  'BEGIN { printf "ratio arm64 / %s build time: %.2f\n", ARGV[1], t / h }' "$host_arch"

# The arm64 image holds an arm64 gateway.
echo "image architecture: $(podman image inspect -f '{{.Architecture}}' "$tag:$target_arch")"
podman create --name "$container" "$tag:$target_arch" >/dev/null
podman cp "$container:/usr/local/bin/oh-gateway" "$work/oh-gateway"
podman rm "$container" >/dev/null
echo "gateway binary: $(readelf -h "$work/oh-gateway" | sed -n 's/^ *Machine: *//p')"

qemu=/usr/bin/qemu-$(case $target_arch in arm64) echo aarch64 ;; *) echo "$target_arch" ;; esac)-static
if [ ! -x "$qemu" ]; then
  echo "not run: $qemu is not installed (apt-get install qemu-user-static)"
  exit 0
fi
state=$work/state
"$ROOT/deploy/local/write-config.sh" "$state" 8080 >/dev/null
sed -i '/^\[server\]/,/^\[/ s|^listen_address = .*|listen_address = "0.0.0.0"|' "$state/gateway.toml"
chown -R 10001:10001 "$state"
podman run -d --name "$container" -p 127.0.0.1::8080 -v "$qemu:$qemu:ro" \
  -v "$state:$state:ro" -v "$state/gateway.toml:/etc/oh-gateway/gateway.toml:ro" \
  --entrypoint "$qemu" "$tag:$target_arch" \
  /usr/local/bin/oh-gateway --config /etc/oh-gateway/gateway.toml >/dev/null
port=$(podman port "$container" 8080 | head -n1 | sed 's/.*://')
body=
for _ in $(seq 1 100); do
  body=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/_gateway/health" 2>/dev/null) && break
  sleep 0.3
done
[ "$body" = ok ] || { podman logs "$container" >&2; echo "arm64 image under qemu: /_gateway/health answered '$body'" >&2; exit 1; }
echo "arm64 image under $(basename "$qemu"): /_gateway/health ok"
