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

# Secret values go from the AWS CLI's stdout straight into a root-only file: never echoed,
# never in an argument list or an environment, never traced.
fetch_secret() { # ARN FILE
  set +x
  umask 077
  aws secretsmanager get-secret-value --secret-id "$1" --query SecretString --output text >"$2.tmp"
  mv -f "$2.tmp" "$2"
}
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
  # The gateway wants a 32-byte key (64 hex digits); any generated secret becomes one as its
  # SHA-256, the same on every instance.
  fetch_secret "$SESSION_KEY_SECRET_ARN" "$sec/session-key.source"
  sed -z 's/\n$//' "$sec/session-key.source" | openssl dgst -sha256 -r | cut -c1-64 >"$sec/gateway/session-key.tmp"
  mv -f "$sec/gateway/session-key.tmp" "$sec/gateway/session-key"
  rm -f "$sec/session-key.source"
  fetch_secret "$AUTH_SECRET_ARN" "$sec/gateway/auth-settings.json"
  # The sign-in settings are JSON; the client secret also gets its own file for the gateway.
  if jq -e 'type == "object" and has("clientSecret")' "$sec/gateway/auth-settings.json" >/dev/null; then
    json_field "$sec/gateway/auth-settings.json" clientSecret "$sec/gateway/client-secret"
  fi
  # The application's database password: its own secret when the stacks give one (RDS Proxy
  # only admits users whose secret it knows), else generated once on the encrypted EFS.
  if [ -n "$APP_DB_SECRET_ARN" ]; then
    fetch_secret "$APP_DB_SECRET_ARN" "$sec/app-db.json"
    json_field "$sec/app-db.json" password "$sec/app-db-password"
  else
    echo "boot-services: no application database secret; using a password kept on EFS" \
      "(RDS Proxy admits it only if a proxy secret holds it: docs/instance.md)" >&2
    mkdir -p "$data/.secrets"
    chmod 700 "$data/.secrets"
    if [ ! -s "$data/.secrets/app-db-password" ]; then
      openssl rand -hex 32 >"$data/.secrets/app-db-password.tmp"
      mv -f "$data/.secrets/app-db-password.tmp" "$data/.secrets/app-db-password"
    fi
    cp "$data/.secrets/app-db-password" "$sec/app-db-password"
  fi
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
}

phase_db() {
  # The proxy's certificate is public (ACM): verify it and its name against the system CAs.
  PGSSLMODE=${PGSSLMODE:-verify-full} PGSSLROOTCERT=${PGSSLROOTCERT:-$ca_file} \
    OH_DB_ADMIN_JSON="$sec/db-admin.json" OH_DB_HOST="$DB_PROXY_ENDPOINT" OH_APP_PASSWORD_FILE="$sec/app-db-password" "$root/opt/openhands/bin/db-bootstrap.sh"
}

phase_config() {
  umask 022
  # OpenHands reads these (docs/instance.md says where each one comes from in its source).
  cat >"$etc/openhands.env.tmp" <<EOF
LLM_MODEL=$LLM_MODEL
AWS_REGION=$REGION
AWS_REGION_NAME=$REGION
AWS_DEFAULT_REGION=$REGION
WEB_HOST=$MAIN_HOST
OH_WEB_URL=https://$MAIN_HOST
PERMITTED_CORS_ORIGINS=https://$MAIN_HOST
SANDBOX_CONTAINER_URL_PATTERN=$SANDBOX_URL_PATTERN
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
  local proxies="" auth=$sec/gateway/auth-settings.json pool client domain
  [ -z "$VPC_CIDR" ] || proxies="\"$VPC_CIDR\""
  # The sign-in settings that are not secret (Cognito pool, region, domain prefix, client id).
  pool=$(jq -r '.issuer // "" | sub(".*/"; "")' "$auth")
  client=$(jq -r '.clientId // ""' "$auth")
  domain=$(jq -r '.domain // "" | sub("[.].*"; "")' "$auth")
  for value in "$pool" "$client" "$domain"; do
    [[ $value =~ ^[A-Za-z0-9_-]*$ ]] || { echo "boot-services: unexpected sign-in setting" >&2; return 1; }
  done
  printf 'AUTH_REGION=%s\nAUTH_USER_POOL_ID=%s\nAUTH_CLIENT_ID=%s\nAUTH_DOMAIN_PREFIX=%s\n' \
    "${pool%%_*}" "$pool" "$client" "$domain" >"$etc/gateway-auth.env"
  sed -e "s|@GATEWAY_PORT@|$GATEWAY_PORT|g" -e "s|@TRUSTED_PROXIES@|$proxies|g" \
    -e "s|@AUTH_REGION@|${pool%%_*}|g" -e "s|@AUTH_USER_POOL_ID@|$pool|g" \
    -e "s|@AUTH_CLIENT_ID@|$client|g" -e "s|@AUTH_DOMAIN_PREFIX@|$domain|g" \
    "$root/opt/openhands/gateway.toml.in" >"$etc/gateway.toml.tmp"
  mv -f "$etc/gateway.toml.tmp" "$etc/gateway.toml"
}

for phase in $phases; do
  "phase_$phase"
done
