#!/usr/bin/env bash
# Installs everything the build, the tests and the local deployment need on a fresh Debian 12
# machine: Debian packages (scripts/debian-packages.txt) and the npm packages pinned in
# package-lock.json. Idempotent: a second run installs nothing and takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t wanted < <(grep -vE '^\s*(#|$)' scripts/debian-packages.txt)
missing=()
for pkg in "${wanted[@]}"; do
  # nodejs/npm may come from elsewhere (the image ships Node 20); accept a working binary.
  case "$pkg" in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Podman as a Docker-API peer for tests: runc and cgroupfs work inside these containers.
if [ ! -f /etc/containers/containers.conf ] && [ "$(id -u)" -eq 0 ]; then
  mkdir -p /etc/containers
  cat > /etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
fi

if [ -f package-lock.json ]; then
  stamp=node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    echo "setup: installing npm packages"
    CDK_DISABLE_CLI_TELEMETRY=true npm ci --no-audit --no-fund --loglevel=error
  fi
fi
echo "setup: ok"
