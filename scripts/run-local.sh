#!/usr/bin/env bash
# The main job: a local deployment on this machine with no AWS, on embedded defaults.
# Installs what is missing, builds the release binaries, prepares .local/ on first run (the
# gateway's keys, the local accounts file and gateway.toml: deploy/local/write-config.sh), and
# starts oh-gateway with local sign-in. Where Docker or Podman can run the pinned OpenHands
# images, the gateway runs in a container and starts each signed-in account's own OpenHands
# (deploy/local/start-services.sh); elsewhere it runs alone in front of http://127.0.0.1:3000
# (OH_UPSTREAM) and says what to install. Ctrl-C stops the gateway run alone.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target oh-gateway

state=$PWD/.local
port=${OH_PORT:-8080}
deploy/local/write-config.sh "$state" "$port" "${OH_UPSTREAM:-http://127.0.0.1:3000}"
config=$state/gateway.toml
gateway=build/release/src/gateway/oh-gateway
"$gateway" check-config "$config"

# The port and hosts actually configured (gateway.toml may have been edited since).
port=$(sed -n 's/^listen_port = \([0-9]*\)$/\1/p' "$config" | head -n 1)
users=$(sed -n 's/^users_file = "\(.*\)"$/\1/p' "$config" | head -n 1)
if [ -n "$users" ] && ! grep -q '^[^#[:space:]]' "$users" 2>/dev/null; then
  cat <<MSG

run-local: no account yet. Create the first one (it asks for a password twice):
    $gateway users add NAME --file $users
  then sign in at http://openhands.localhost:$port/ (or http://localhost:$port/).
  More accounts: the same command; list, passwd and remove work alike ('$gateway users --help').

MSG
else
  echo "run-local: sign in at http://openhands.localhost:$port/ (or http://localhost:$port/)"
fi

# Sandbox isolation (issue 15; docs/instance.md, "Sandbox isolation"): as root, the host firewall
# and the credential endpoint's address (rerunning is harmless); otherwise say what is missing.
# DNS to the host stays open: Podman's resolver listens on the sandbox bridges.
section_port() { sed -n "/^\[$1\]/,/^\[/s/^listen_port = \([0-9]*\)\$/\1/p" "$config" | head -n 1; }
if [ "$(id -u)" = 0 ]; then
  api_port=$(section_port sandbox)
  deploy/instance/oh-firewall.sh --allow-dns --cred-port "$(section_port credentials | grep . || echo 8091)" \
    ${api_port:+--api-port "$api_port"}
else
  echo "run-local: not root, so sandboxes are not kept off the host, the metadata address and each other" \
    "(run 'sudo deploy/instance/oh-firewall.sh --allow-dns' once per boot)" >&2
fi

# One OpenHands per account when an engine here can run the images (the gateway then runs in
# the compose and starts them); otherwise the gateway runs alone, and start-services.sh has
# said what to install.
status=0
deploy/local/start-services.sh "$state" "$port" || status=$?
case $status in
  0) exit 0 ;;
  3|4) echo "run-local: starting oh-gateway alone with $config" ;;
  *) exit "$status" ;;
esac
exec "$gateway" --config "$config"
