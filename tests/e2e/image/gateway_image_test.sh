#!/usr/bin/env bash
# End-to-end test of deploy/gateway.Dockerfile (issue 17, item 9): builds the gateway image with
# Podman for this machine's architecture on a Debian 12 base made here from the Debian archive
# (scripts/debian-base-image.sh; no registry is reachable), runs it as its own unprivileged user
# with a local-mode configuration, and checks it serves /_gateway/health. The arm64 build is
# bench/image/gateway_image_bench.sh.
#
# Environment: OH_IMAGE_CACHE (the debootstrap tarball is kept there between runs; default
# build/image-cache, shared with bench/image). Exit 77 (skipped) when Podman or debootstrap
# cannot run here.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cache=${OH_IMAGE_CACHE:-$ROOT/build/image-cache}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "debootstrap and the test's Podman storage need root"
command -v podman >/dev/null || skip "podman is not installed (scripts/setup.sh installs it)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (scripts/setup.sh installs it)"
podman info >/dev/null 2>&1 || skip "podman cannot run here (podman info failed)"

arch=$(dpkg --print-architecture)
base=localhost/oh-e2e-debian:12-$arch
image=localhost/oh-e2e-gateway:test-$$
container=oh-e2e-gateway-$$
work=$(mktemp -d /tmp/oh-image-e2e.XXXXXX)
cleanup() {
  podman rm -f "$container" >/dev/null 2>&1 || true
  podman rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$ROOT/scripts/debian-base-image.sh" "$arch" "$base" "$cache"

# The build stage's apt reaches the Debian archive through Podman's default network for RUN
# steps (the same bridge and NAT as containers), as Docker's build does. Podman 4.3 does not set
# BUILDPLATFORM (BuildKit does): pass it, as anyone building with it must. The base is local:
# never pull, and name it by id (Podman 4.3 looks a name up for the wrong platform after a stage
# for another one; bench/image/gateway_image_bench.sh needs that, keep the two alike).
started=$(date +%s)
base_id=$(podman image inspect -f '{{.Id}}' "$base")
podman build --pull=never --platform "linux/$arch" --build-arg BUILDPLATFORM="linux/$arch" \
  --build-arg BASE_IMAGE="$base_id" --build-arg RUNTIME_BASE_IMAGE="$base_id" \
  -t "$image" -f "$ROOT/deploy/gateway.Dockerfile" "$ROOT" >"$work/build.log" 2>&1 \
  || { tail -n 40 "$work/build.log" >&2; fail "podman build failed"; }
echo "built $image for linux/$arch in $(($(date +%s) - started)) s"

# The image: its own unprivileged user, the binary, its libraries' dpkg records; no toolchain.
[ "$(podman image inspect -f '{{.Config.User}}' "$image")" = 10001:10001 ] || fail "image user is not 10001:10001"
[ "$(podman image inspect -f '{{.Architecture}}' "$image")" = "$arch" ] || fail "image architecture is not $arch"
podman run --rm --entrypoint /bin/sh "$image" -c \
  'test -x /usr/local/bin/oh-gateway && test -s /var/lib/dpkg/status.d/libssl3 \
   && test -s /etc/ssl/certs/ca-certificates.crt && ! command -v g++ && ! test -e /usr/include/boost' \
  >/dev/null || fail "the runtime image lacks the gateway, its libraries' records or CA bundle, or has a toolchain"

# The instance's host files (docs/instance.md, "What the user data carries and what the gateway
# image carries"), copied out as oh-prepare.service does: byte for byte deploy/instance's, scripts
# 0755 and the template 0644, owned by root (the gateway's user cannot change them).
created=$(podman create "$image")
mkdir "$work/host"
podman cp "$created:/opt/openhands/." "$work/host/" || { podman rm "$created" >/dev/null; fail "no /opt/openhands in the image"; }
owners=$(podman run --rm --entrypoint /bin/sh "$image" -c 'stat -c %u /opt/openhands/bin/* /opt/openhands/gateway.toml.in | sort -u')
podman rm "$created" >/dev/null
[ "$owners" = 0 ] || fail "the host files in the image are not root's (owners: $owners)"
for entry in bin/boot-services.sh:755 bin/db-bootstrap.sh:755 bin/oh-firewall.sh:755 gateway.toml.in:644; do
  path=${entry%:*}
  cmp -s "$work/host/$path" "$ROOT/deploy/instance/${path#bin/}" || fail "/opt/openhands/$path differs from deploy/instance"
  [ "$(stat -c %a "$work/host/$path")" = "${entry#*:}" ] || fail "/opt/openhands/$path is not mode ${entry#*:}"
done
[ "$(find "$work/host" -type f | wc -l)" = 4 ] || fail "unexpected files in /opt/openhands: $(find "$work/host" -type f)"

# A local-mode configuration listening on the container's interface; the files belong to the
# image's user, as the instance's secrets do (deploy/instance/boot-services.sh).
state=$work/state
"$ROOT/deploy/local/write-config.sh" "$state" 8080 http://127.0.0.1:3000 >/dev/null
sed -i '/^\[server\]/,/^\[/ s|^listen_address = .*|listen_address = "0.0.0.0"|' "$state/gateway.toml"
sed -n '/^\[server\]/,/^\[/p' "$state/gateway.toml" | grep -qx 'listen_address = "0.0.0.0"' || fail "config not rewritten"
chown -R 10001:10001 "$state"

podman run -d --name "$container" -p 127.0.0.1::8080 -v "$state:$state:ro" \
  -v "$state/gateway.toml:/etc/oh-gateway/gateway.toml:ro" "$image" >/dev/null
port=$(podman port "$container" 8080 | head -n1 | sed 's/.*://')
[ -n "$port" ] || { podman logs "$container" >&2; fail "no published port (the container exited)"; }

body=
for _ in $(seq 1 50); do
  body=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/_gateway/health" 2>/dev/null) && break
  [ "$(podman inspect -f '{{.State.Running}}' "$container")" = true ] \
    || { podman logs "$container" >&2; fail "the gateway container exited"; }
  sleep 0.2
done
[ "$body" = ok ] || { podman logs "$container" >&2; fail "/_gateway/health answered '$body', not ok"; }
# The process runs as the image's user, not root.
[ "$(podman top "$container" user | tail -n +2 | tr -d ' ')" = 10001 ] || fail "the gateway does not run as 10001"
# Nothing listens behind it: readiness says so (the configuration was read, the upstream checked).
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/_gateway/ready")
[ "$status" = 503 ] || fail "/_gateway/ready answered $status with no upstream, not 503"
podman stop -t 10 "$container" >/dev/null
echo "PASS: the gateway image for linux/$arch serves /_gateway/health"
