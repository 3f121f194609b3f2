#!/bin/bash
# Runs on every boot before the containers start (oh-prepare.service): fetches the secrets into
# root-only files, reads the image versions from SSM, bootstraps the database through the RDS
# Proxy, and writes the service environments and the gateway configuration.
# OH_ROOT prefixes every path (tests run it in a temporary directory); OH_PHASES picks phases.
set -Eeuo pipefail
root=${OH_ROOT:-}
phases=${OH_PHASES:-secrets images db config}
etc=$root/etc/openhands
sec=$etc/secrets
data=${OH_DATA_DIR:-$root/data/openhands}
# shellcheck disable=SC1091
. "$etc/instance.env"
export AWS_DEFAULT_REGION=$REGION

notify() {
  aws sns publish --topic-arn "$ALERT_TOPIC_ARN" --subject "OpenHands boot services failed" \
    --message "$(hostname): $1" >/dev/null 2>&1 || true
}
trap 'notify "boot-services.sh line $LINENO in ${FUNCNAME[0]:-main}: $BASH_COMMAND (exit $?)"' ERR
# A failed step leaves no half-written secret file behind.
trap 'rm -f "$sec"/*.tmp "$sec"/gateway/*.tmp' EXIT

# Secret values go from the AWS CLI's stdout straight into a root-only file: never echoed,
# never in an argument list or an environment, never traced.
fetch_secret() { # ARN FILE [STAGE]
  set +x
  umask 077
  aws secretsmanager get-secret-value --secret-id "$1" --version-stage "${3:-AWSCURRENT}" \
    --query SecretString --output text >"$2.tmp"
  # Called as a condition (an optional AWSPREVIOUS) errexit is off in here: a failed fetch must
  # not move its empty file into place (an empty previous session secret would give the gateway
  # a cookie key anyone can compute).
  [ -s "$2.tmp" ] || { rm -f "$2.tmp"; return 1; }
  mv -f "$2.tmp" "$2"
}
# oh-gateway's 32-byte keys (64 hex digits) from the generated session secret: one per purpose
# (labels keep the cookie and ticket keys apart), the same on every instance.
derive_key() { # SOURCE LABEL DEST
  umask 077
  { printf 'oh-gateway %s key v1\n' "$2"; sed -z 's/\n$//' "$1"; } | openssl dgst -sha256 -r | cut -c1-64 >"$3.tmp"
  mv -f "$3.tmp" "$3"
}
# The gateway container runs as this uid (deploy/gateway.Dockerfile): its secrets are its own.
gateway_uid=${OH_GATEWAY_UID:-10001}
json_field() { # FILE KEY DEST: one field of a JSON secret into its own root-only file
  umask 077
  jq -er --arg k "$2" '.[$k]' "$1" >"$3.tmp"
  mv -f "$3.tmp" "$3"
}
ca_file=${OH_DB_CA_FILE:-/etc/pki/tls/certs/ca-bundle.crt}
parameter() { aws ssm get-parameter --name "$1" --query Parameter.Value --output text; }

phase_secrets() {
  umask 077
  mkdir -p "$sec/gateway"
  chmod 700 "$sec" "$sec/gateway"
  fetch_secret "$DB_ADMIN_SECRET_ARN" "$sec/db-admin.json"
  fetch_secret "$ORIGIN_SECRET_ARN" "$sec/gateway/origin-secret"
  # While an origin secret rotation is under way (docs/infra.md) CloudFront's edges move to the
  # new value over minutes: the gateway accepts the previous one too. Without one (no rotation,
  # or the rotation finished), the previous file holds the current value again.
  if ! fetch_secret "$ORIGIN_SECRET_ARN" "$sec/gateway/origin-previous-secret" AWSPREVIOUS 2>/dev/null; then
    rm -f "$sec/gateway/origin-previous-secret.tmp"
    cp "$sec/gateway/origin-secret" "$sec/gateway/origin-previous-secret"
  fi
  fetch_secret "$SESSION_KEY_SECRET_ARN" "$sec/session-key.source"
  derive_key "$sec/session-key.source" cookie "$sec/gateway/cookie-key"
  derive_key "$sec/session-key.source" ticket "$sec/gateway/ticket-key"
  # After a rotation the previous version still opens the cookies it sealed.
  rm -f "$sec/gateway/cookie-previous-key"
  if fetch_secret "$SESSION_KEY_SECRET_ARN" "$sec/session-key.previous" AWSPREVIOUS 2>/dev/null; then
    derive_key "$sec/session-key.previous" cookie "$sec/gateway/cookie-previous-key"
  fi
  rm -f "$sec/session-key.source" "$sec/session-key.previous" "$sec/session-key.previous.tmp"
  # The sign-in settings are JSON (issuer, clientId, clientSecret, domain); only the client
  # secret goes to the gateway, as its own file.
  fetch_secret "$AUTH_SECRET_ARN" "$sec/auth-settings.json"
  json_field "$sec/auth-settings.json" clientSecret "$sec/gateway/client-secret"
  chown -R "$gateway_uid:$gateway_uid" "$sec/gateway"
  # The application role's credentials: the secret RDS Proxy also holds (it admits only users
  # whose secret is in its Auth list), for the role the bootstrap manages.
  fetch_secret "$APP_DB_SECRET_ARN" "$sec/app-db.json"
  jq -e --arg role "${OH_APP_ROLE:-openhands_app}" '.username == $role' "$sec/app-db.json" >/dev/null \
    || { echo "boot-services: the application database secret is not for ${OH_APP_ROLE:-openhands_app}" >&2; return 1; }
  json_field "$sec/app-db.json" password "$sec/app-db-password"
}

phase_images() {
  local version runtime
  version=$(parameter "$OPENHANDS_VERSION_PARAMETER")
  runtime=$(parameter "$RUNTIME_IMAGE_PARAMETER")
  umask 022
  {
    echo "OPENHANDS_IMAGE=$OPENHANDS_IMAGE_REPOSITORY:$version"
    echo "AGENT_SERVER_IMAGE_REPOSITORY=${runtime%:*}"
    echo "AGENT_SERVER_IMAGE_TAG=${runtime##*:}"
    echo "GATEWAY_IMAGE=$GATEWAY_IMAGE"
  } >"$etc/images.env.tmp"
  mv -f "$etc/images.env.tmp" "$etc/images.env"
  # Every main host (all domains), which the config phase checks before use.
  if [ -n "$MAIN_HOSTS_PARAMETER" ]; then
    parameter "$MAIN_HOSTS_PARAMETER" >"$etc/main-hosts.tmp"
  else
    echo "$MAIN_HOST" >"$etc/main-hosts.tmp"
  fi
  mv -f "$etc/main-hosts.tmp" "$etc/main-hosts"
}

phase_db() {
  # The proxy's certificate is public (ACM): verify it and its name against the system CAs.
  PGSSLMODE=${PGSSLMODE:-verify-full} PGSSLROOTCERT=${PGSSLROOTCERT:-$ca_file} \
    OH_DB_ADMIN_JSON="$sec/db-admin.json" OH_DB_HOST="$DB_PROXY_ENDPOINT" OH_APP_PASSWORD_FILE="$sec/app-db-password" "$root/opt/openhands/bin/db-bootstrap.sh"
}

phase_config() {
  umask 022
  # Every main host (phase_images read them; the primary first), as origins and TOML lists.
  local host origins="" hosts="" suffixes="" main_hosts=()
  IFS=, read -r -a main_hosts <"$etc/main-hosts"
  [ ${#main_hosts[@]} -gt 0 ] || { echo "boot-services: no main host" >&2; return 1; }
  for host in "${main_hosts[@]}"; do
    [[ $host =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || { echo "boot-services: bad main host" >&2; return 1; }
    origins+="${origins:+,}https://$host"
    hosts+="${hosts:+, }\"$host\""
    suffixes+="${suffixes:+, }\"runtime.$host\""
  done
  # OpenHands reads these (docs/instance.md says where each one comes from in its source).
  cat >"$etc/openhands.env.tmp" <<EOF
LLM_MODEL=$LLM_MODEL
AWS_REGION=$REGION
AWS_REGION_NAME=$REGION
AWS_DEFAULT_REGION=$REGION
WEB_HOST=$MAIN_HOST
OH_WEB_URL=https://$MAIN_HOST
PERMITTED_CORS_ORIGINS=$origins
SANDBOX_CONTAINER_URL_PATTERN=$SANDBOX_URL_PATTERN
OH_SANDBOX_CONTAINER_URL_PATTERN=$SANDBOX_URL_PATTERN
SANDBOX_VOLUMES=/data/openhands/workspace:/workspace:rw
OH_PERSISTENCE_DIR=/.openhands
FILE_STORE=s3
FILE_STORE_PATH=$DATA_BUCKET
DB_HOST=127.0.0.1
DB_PORT=6432
DB_NAME=${OH_APP_DB:-openhands}
DB_USER=${OH_APP_ROLE:-openhands_app}
LOG_ALL_EVENTS=true
EOF
  mv -f "$etc/openhands.env.tmp" "$etc/openhands.env"
  # OpenHands' migrations use pg8000 without TLS, which the proxy refuses: stunnel speaks the
  # PostgreSQL TLS negotiation for it (protocol = pgsql) and verifies the proxy's certificate.
  cat >"$etc/db-tls.conf.tmp" <<EOF
foreground = yes
pid =
[postgres]
client = yes
protocol = pgsql
accept = 127.0.0.1:6432
connect = $DB_PROXY_ENDPOINT:5432
verifyChain = yes
CAfile = $ca_file
checkHost = $DB_PROXY_ENDPOINT
EOF
  mv -f "$etc/db-tls.conf.tmp" "$etc/db-tls.conf"
  mkdir -p "$data/workspace" "$data/persistence"
  umask 077
  # The one secret OpenHands needs arrives as a root-only env file read by docker run.
  { printf 'DB_PASS='; cat "$sec/app-db-password"; } >"$sec/openhands-db.env.tmp"
  mv -f "$sec/openhands-db.env.tmp" "$sec/openhands-db.env"
  umask 022
  local proxies="" auth=$sec/auth-settings.json pool client domain previous docker_gid
  [ -z "$VPC_CIDR" ] || proxies="\"$VPC_CIDR\""
  # The sign-in settings that are not secret (Cognito pool, region, domain prefix, client id).
  pool=$(jq -r '.issuer // "" | sub(".*/"; "")' "$auth")
  client=$(jq -r '.clientId // ""' "$auth")
  domain=$(jq -r '.domain // "" | sub("[.].*"; "")' "$auth")
  for value in "$pool" "$client" "$domain"; do
    [[ $value =~ ^[A-Za-z0-9_-]+$ ]] || { echo "boot-services: missing or unexpected sign-in setting" >&2; return 1; }
  done
  printf 'AUTH_REGION=%s\nAUTH_USER_POOL_ID=%s\nAUTH_CLIENT_ID=%s\nAUTH_DOMAIN_PREFIX=%s\n' \
    "${pool%%_*}" "$pool" "$client" "$domain" >"$etc/gateway-auth.env"
  # The gateway reads the Docker socket (runtime index) as a member of its group.
  docker_gid=${OH_DOCKER_GID:-$(getent group docker | cut -d: -f3)}
  [[ $docker_gid =~ ^[0-9]+$ ]] || { echo "boot-services: no docker group" >&2; return 1; }
  printf 'DOCKER_GID=%s\nGATEWAY_UID=%s\n' "$docker_gid" "$gateway_uid" >"$etc/gateway.env"
  previous=""
  [ ! -s "$sec/gateway/cookie-previous-key" ] || previous='cookie_previous_key_file = "/etc/oh-gateway/secrets/cookie-previous-key"'
  sed -e "s|@GATEWAY_PORT@|$GATEWAY_PORT|g" -e "s|@TRUSTED_PROXIES@|$proxies|g" \
    -e "s|@AUTH_REGION@|${pool%%_*}|g" -e "s|@AUTH_USER_POOL_ID@|$pool|g" \
    -e "s|@AUTH_CLIENT_ID@|$client|g" -e "s|@AUTH_DOMAIN_PREFIX@|$domain|g" \
    -e "s|@CALLBACK_HOSTS@|$hosts|g" -e "s|@RUNTIME_SUFFIXES@|$suffixes|g" -e "s|@MAIN_HOST@|$MAIN_HOST|g" \
    -e "s|^@COOKIE_PREVIOUS_KEY@\$|$previous|" \
    "$root/opt/openhands/gateway.toml.in" >"$etc/gateway.toml.tmp"
  if grep -q '^[^#]*@[A-Z_]*@' "$etc/gateway.toml.tmp"; then
    echo "boot-services: gateway.toml has an unfilled placeholder" >&2
    return 1
  fi
  mv -f "$etc/gateway.toml.tmp" "$etc/gateway.toml"
}

for phase in $phases; do
  "phase_$phase"
done
