#!/usr/bin/env bash
# Starts the one-machine deployment (deploy/local/compose.yaml) when a container engine here
# can run it: Docker with the compose plugin or docker-compose, or Podman with podman-compose.
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
openhands_image=${OPENHANDS_IMAGE:-docker.openhands.dev/openhands/openhands:1.3.0}
gateway_image=${GATEWAY_IMAGE:-localhost/oh-gateway:local}

missing() {
  cat >&2 <<MSG
start-services: OpenHands cannot run on this machine: $1
  To run OpenHands and oh-gateway in containers here, install one of:
    - Docker Engine with the compose plugin (https://docs.docker.com/engine/install/debian/), or
    - Podman and podman-compose:  apt-get install -y podman podman-compose
  and make sure the engine can run containers ('docker run --rm hello-world' or
  'podman run --rm quay.io/podman/hello'). Meanwhile oh-gateway runs alone.
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
if ! "$engine" image inspect "$openhands_image" >/dev/null 2>&1 && ! "$engine" pull "$openhands_image" >/dev/null 2>&1; then
  cat >&2 <<MSG
start-services: the image $openhands_image is not here and cannot be pulled.
  Pull or load it ('$engine pull $openhands_image', or '$engine load -i openhands.tar'
  copied from a machine that can), or set OPENHANDS_IMAGE. Meanwhile oh-gateway runs alone.
MSG
  exit 4
fi
if ! "$engine" image inspect "$gateway_image" >/dev/null 2>&1; then
  echo "start-services: building $gateway_image from deploy/gateway.Dockerfile" >&2
  "$engine" build -t "$gateway_image" -f "$here/../gateway.Dockerfile" "$here/../.." >&2 || {
    echo "start-services: could not build $gateway_image; oh-gateway runs alone" >&2
    exit 4
  }
fi
mkdir -p "$state/openhands" "$state/workspace"
# The gateway container runs as the owner of .local/ (its keys and accounts are 0600) and reads
# the engine's socket through the socket's group.
socket=${DOCKER_SOCKET:-/var/run/docker.sock}
OH_UID=$(id -u)
OH_GID=$(id -g)
DOCKER_GID=$(stat -c %g "$socket" 2>/dev/null || id -g)
export OH_UID OH_GID DOCKER_GID
"${compose[@]}" -p openhands-local -f "$here/compose.yaml" up -d
echo "start-services: OpenHands and oh-gateway are up on http://openhands.localhost:$port/ ($engine)"
