#!/usr/bin/env bash
# Prepares the one-machine deployment's state folder (scripts/run-local.sh calls it; tests run it
# alone): the gateway's 32-byte keys, the local accounts file and gateway.toml.
# Usage: deploy/local/write-config.sh [--multi-user] STATE_DIR [PORT] [UPSTREAM]
#   --multi-user  one OpenHands per local account: turns [sandbox] and [appserver] on (and the
#              runtime owner policy) in gateway.toml; start-services.sh passes it once Docker or
#              Podman can run the pinned images (deploy/openhands-release.env).
#   STATE_DIR  absolute path of .local/ (created 0700)
#   PORT       the gateway's port (default 8080); UPSTREAM the OpenHands app server URL
#              (default http://127.0.0.1:3000). Both apply only when gateway.toml is written.
# Everything is kept across runs: keys are made once (0600, from /dev/urandom), the accounts
# file is never touched once it exists, and an existing gateway.toml is left as edited, unless
# it predates sign-in (no [auth] section): then it is moved aside and written anew.
# Environment: DOCKER_SOCKET (else DOCKER_HOST=unix://..., else the usual Docker and Podman
# sockets) turns runtime apps on in a new gateway.toml.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
multi_user=0
if [ "${1:-}" = --multi-user ]; then
  multi_user=1
  shift
fi
state=${1:?usage: write-config.sh [--multi-user] STATE_DIR [PORT] [UPSTREAM]}
port=${2:-8080}
upstream=${3:-http://127.0.0.1:3000}
case $state in /*) ;; *) echo "write-config: STATE_DIR must be absolute" >&2; exit 2 ;; esac
# The path lands in TOML strings and sed replacements: no quote, backslash, | or &.
if [[ $state == *[\"\\\|\&]* || $state == *[[:cntrl:]]* ]]; then
  echo "write-config: STATE_DIR must not contain \" \\ | & or control characters" >&2
  exit 2
fi
if ! [[ $port =~ ^[1-9][0-9]{0,4}$ ]] || [ "$port" -gt 65535 ]; then
  echo "write-config: bad port $port" >&2
  exit 2
fi
[[ $upstream =~ ^http://[][A-Za-z0-9.:-]+(:[0-9]+)?/?$ ]] || { echo "write-config: bad upstream $upstream" >&2; exit 2; }

# Runtime apps need the container engine's API; without one they stay off.
socket=${DOCKER_SOCKET:-}
if [ -z "$socket" ] && [[ ${DOCKER_HOST:-} == unix://* ]]; then
  socket=${DOCKER_HOST#unix://}
fi
if [ -z "$socket" ]; then
  for candidate in /var/run/docker.sock "${XDG_RUNTIME_DIR:-/nonexistent}/podman/podman.sock" /run/podman/podman.sock; do
    if [ -S "$candidate" ]; then
      socket=$candidate
      break
    fi
  done
fi
[[ -z $socket || $socket =~ ^/[A-Za-z0-9._/-]+$ ]] || { echo "write-config: unusable socket path $socket" >&2; exit 2; }

umask 077
mkdir -p "$state/keys"
chmod 700 "$state" "$state/keys"

# 64 hex digits of 32 random bytes: a form oh-gateway's key files accept.
new_key() { # FILE
  [ -s "$1" ] && return 0
  od -An -v -N32 -tx1 /dev/urandom | tr -d ' \n' >"$1.tmp"
  echo >>"$1.tmp"
  mv -f "$1.tmp" "$1"
  echo "write-config: made the key $1"
}
for key in cookie-key ticket-key sandbox-key sandbox-seal-key appserver-key; do
  new_key "$state/keys/$key"
  chmod 600 "$state/keys/$key"
done
[ -e "$state/users" ] || : >"$state/users"

# The pinned OpenHands release: its app-server image and the agent-server image it starts.
release() { sed -n "s/^$1=\([A-Za-z0-9./:_-]*\)\$/\1/p" "$here/../openhands-release.env"; }
openhands_version=$(release OPENHANDS_VERSION)
openhands_image=$(release OPENHANDS_IMAGE_REPOSITORY):$openhands_version
agent_server_image=$(release AGENT_SERVER_IMAGE)

# Turns one OpenHands per account on in an existing gateway.toml: the two sections' enabled
# flags and the owner policy (the sandbox store knows every sandbox's owner).
multi_user_on() { # FILE
  sed -i -e '/^\[sandbox\]/,/^\[/ s|^enabled = false$|enabled = true|' \
    -e '/^\[appserver\]/,/^\[/ s|^enabled = false$|enabled = true|' \
    -e '/^\[runtime\]/,/^\[/ s|^access = .*|access = "owner"|' "$1"
  mkdir -p "$state/workspaces" "$state/users.d"
  chmod 700 "$state/workspaces" "$state/users.d"
}

config=$state/gateway.toml
if [ -f "$config" ] && ! grep -q '^\[auth\]' "$config"; then
  old=$config.before-sign-in
  mv -f "$config" "$old"
  echo "write-config: $config had no [auth] section (written before sign-in existed); moved to $old"
fi
if [ -f "$config" ] && [ "$multi_user" = 1 ] && ! grep -q '^\[appserver\]' "$config"; then
  old=$config.before-multi-user
  mv -f "$config" "$old"
  echo "write-config: $config had no [appserver] section (one OpenHands for everyone); moved to $old"
fi
if [ -f "$config" ]; then
  if [ "$multi_user" = 1 ] && grep -q '^enabled = false$' <(sed -n '/^\[appserver\]/,/^\[/p' "$config"); then
    multi_user_on "$config"
    echo "write-config: one OpenHands per account turned on in $config"
  fi
  exit 0
fi

sed -e "s|@STATE_DIR@|$state|g" -e "s|@PORT@|$port|g" -e "s|@UPSTREAM@|$upstream|g" \
  -e "s|@OPENHANDS_IMAGE@|$openhands_image|g" -e "s|@OPENHANDS_VERSION@|$openhands_version|g" \
  -e "s|@AGENT_SERVER_IMAGE@|$agent_server_image|g" "$here/gateway.toml.in" >"$config.tmp"
if [ -S "$socket" ]; then
  sed -i -e '/^\[runtime\]/,/^\[/ s|^enabled = false$|enabled = true|' \
    -e "/^\[runtime\]/,/^\[/ s|^docker_socket = .*|docker_socket = \"$socket\"|" "$config.tmp"
  echo "write-config: runtime apps on, containers found through $socket"
else
  echo "write-config: runtime apps off (no Docker or Podman socket; set DOCKER_SOCKET and rewrite $config)"
fi
if [ "$multi_user" = 1 ]; then
  multi_user_on "$config.tmp"
  echo "write-config: one OpenHands per account (each signs in to their own app server)"
fi
chmod 600 "$config.tmp"
mv -f "$config.tmp" "$config"
echo "write-config: wrote $config (edit it, then run again)"
