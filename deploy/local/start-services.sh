#!/usr/bin/env bash
# Starts the one-machine deployment (deploy/local/compose.yaml) when a container engine here
# can run it: Docker with the compose plugin or docker-compose, or rootful Podman (its
# Docker-compatible API socket) with podman-compose. The gateway then starts one OpenHands app
# server per signed-in account, from the pinned images (deploy/openhands-release.env).
# Usage: deploy/local/start-services.sh STATE_DIR [PORT]
#   STATE_DIR  absolute path of .local/ (holds gateway.toml, written by scripts/run-local.sh)
# Exit codes: 0 started; 3 no engine can run the images here (the caller starts oh-gateway
# alone); 4 the engine works but an image is missing and cannot be pulled; 2 usage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${1:?usage: start-services.sh STATE_DIR [PORT]}
port=${2:-8080}
case $state in /*) ;; *) echo "start-services: STATE_DIR must be absolute" >&2; exit 2 ;; esac
export OH_STATE=$state OH_PORT=$port
release() { sed -n "s/^$1=\([A-Za-z0-9./:_-]*\)\$/\1/p" "$here/../openhands-release.env"; }
openhands_image=$(release OPENHANDS_IMAGE_REPOSITORY):$(release OPENHANDS_VERSION)
agent_server_image=$(release AGENT_SERVER_IMAGE)
gateway_image=${GATEWAY_IMAGE:-localhost/oh-gateway:local}
# The sandbox API's address (gateway.toml.in): on a dummy interface, reached from every network.
api_address=169.254.170.2

missing() {
  cat >&2 <<MSG
start-services: OpenHands cannot run on this machine: $1
  One OpenHands per account needs a container engine that runs images, as root. Install one of:
    - Docker Engine with the compose plugin (https://docs.docker.com/engine/install/debian/), or
    - Podman, its API socket and podman-compose:
        apt-get install -y podman podman-compose && systemctl enable --now podman.socket
  make sure it runs containers ('docker run --rm hello-world' or 'podman run --rm
  quay.io/podman/hello') and can pull $openhands_image
  and $agent_server_image, then run this again.
  Meanwhile oh-gateway runs alone (sign-in in front of http://127.0.0.1:3000).
MSG
  exit 3
}

engine=""
compose=()
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  engine=docker
  if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
  fi
elif command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then
  engine=podman
  export DOCKER_SOCKET=${DOCKER_SOCKET:-/run/podman/podman.sock}
  if command -v podman-compose >/dev/null 2>&1; then
    compose=(podman-compose)
  fi
fi
[ -n "$engine" ] || missing "neither Docker nor Podman answers ('docker info' / 'podman info' failed)"
[ ${#compose[@]} -gt 0 ] || missing "$engine works but no compose tool was found"
if [ "$engine" = podman ] && [ ! -S "$DOCKER_SOCKET" ]; then
  missing "Podman's Docker-compatible API socket $DOCKER_SOCKET is not there (OpenHands and the
  gateway drive containers through it): 'systemctl enable --now podman.socket', or set DOCKER_SOCKET"
fi
for image in "$openhands_image" "$agent_server_image"; do
  if ! "$engine" image inspect "$image" >/dev/null 2>&1 && ! "$engine" pull "$image" >/dev/null 2>&1; then
    cat >&2 <<MSG
start-services: the image $image is not here and cannot be pulled.
  Pull or load it ('$engine pull $image', or '$engine load -i image.tar' copied from a
  machine that can). Meanwhile oh-gateway runs alone.
MSG
    exit 4
  fi
done
# The sandbox API listens on a dummy interface's address, which every container network
# reaches through the host (the same interface issue 15's credential endpoint uses).
if ! ip -4 -o addr show 2>/dev/null | grep -q " $api_address/"; then
  if [ "$(id -u)" = 0 ]; then
    ip link show oh-creds >/dev/null 2>&1 || ip link add oh-creds type dummy
    ip addr add "$api_address/32" dev oh-creds
    ip link set oh-creds up
  else
    missing "the sandbox API's address $api_address is not on this machine; as root:
    ip link add oh-creds type dummy && ip addr add $api_address/32 dev oh-creds && ip link set oh-creds up"
  fi
fi
if ! "$engine" image inspect "$gateway_image" >/dev/null 2>&1; then
  echo "start-services: building $gateway_image from deploy/gateway.Dockerfile" >&2
  "$engine" build -t "$gateway_image" -f "$here/../gateway.Dockerfile" "$here/../.." >&2 || {
    echo "start-services: could not build $gateway_image; oh-gateway runs alone" >&2
    exit 4
  }
fi
# One OpenHands per account from now on (keys, folders, [sandbox] and [appserver] on).
DOCKER_SOCKET=${DOCKER_SOCKET:-/var/run/docker.sock} "$here/write-config.sh" --multi-user "$state" "$port" >&2
# The gateway container runs as the owner of .local/ (its keys and accounts are 0600) and reads
# the engine's socket through the socket's group.
socket=${DOCKER_SOCKET:-/var/run/docker.sock}
OH_UID=$(id -u)
OH_GID=$(id -g)
DOCKER_GID=$(stat -c %g "$socket" 2>/dev/null || id -g)
export OH_UID OH_GID DOCKER_GID
"${compose[@]}" -p openhands-local -f "$here/compose.yaml" up -d
echo "start-services: oh-gateway is up on http://openhands.localhost:$port/ ($engine): each account that signs in gets its own OpenHands"
