#!/usr/bin/env bash
# The main job: a local deployment on this machine with no AWS, on embedded defaults.
# Installs what is missing, builds the release binaries, writes a local configuration into
# .local/ on first run, and starts oh-gateway in front of OpenHands (http://127.0.0.1:3000
# unless OH_UPSTREAM says otherwise). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target oh-gateway

state=.local
mkdir -p "$state"
chmod 700 "$state"
config="$state/gateway.toml"
if [ ! -f "$config" ]; then
  sed -e "s|@STATE_DIR@|$PWD/$state|g" \
      -e "s|@PORT@|${OH_PORT:-8080}|g" \
      -e "s|@UPSTREAM@|${OH_UPSTREAM:-http://127.0.0.1:3000}|g" \
      deploy/local/gateway.toml.in > "$config"
  echo "run-local: wrote $config (edit it, then run again)"
fi
gateway=build/release/src/gateway/oh-gateway
"$gateway" check-config "$config"

# OpenHands runs in containers when an engine here can run them (then the gateway runs in the
# compose too); otherwise the gateway runs alone and its error page says what to start.
status=0
deploy/local/start-services.sh "$PWD/$state" "${OH_PORT:-8080}" || status=$?
case $status in
  0) exit 0 ;;
  3|4) echo "run-local: starting oh-gateway alone with $config" ;;
  *) exit "$status" ;;
esac
exec "$gateway" --config "$config"
