#!/bin/bash
# Runs on every boot before the gateway starts (oh-prepare.service): fetches the secrets into
# root-only files, reads the image versions from SSM, bootstraps the database through the RDS
# Proxy, and writes the services' environments and the gateway configuration. The gateway then
# starts every user's OpenHands app server and sandboxes itself (docs/instance.md).
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
# The gateway's database role (its secret is in the proxy's Auth list) and the sandbox store's
# database; the role also creates each user's database (db-bootstrap.sh).
db_role=${OH_APP_ROLE:-openhands_app}
store_db=${OH_STORE_DB:-oh_gateway}
# A key the gateway keeps across instances: 32 random bytes made once on EFS (root-only), copied
# into the gateway's secrets on every boot.
persistent_key() { # NAME
  umask 077
  mkdir -p "$data/keys"
  chmod 700 "$data/keys"
  if [ ! -s "$data/keys/$1" ]; then
    openssl rand -hex 32 >"$data/keys/$1.tmp"
    mv -f "$data/keys/$1.tmp" "$data/keys/$1"
  fi
  cp "$data/keys/$1" "$sec/gateway/$1.tmp"
  mv -f "$sec/gateway/$1.tmp" "$sec/gateway/$1"
}
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
  # The application role's credentials: the secret RDS Proxy also holds (it admits only users
  # whose secret is in its Auth list), for the role the bootstrap manages.
  fetch_secret "$APP_DB_SECRET_ARN" "$sec/app-db.json"
  jq -e --arg role "$db_role" '.username == $role' "$sec/app-db.json" >/dev/null \
    || { echo "boot-services: the application database secret is not for $db_role" >&2; return 1; }
  json_field "$sec/app-db.json" password "$sec/app-db-password"
  # The gateway signs in as that role (sandbox store, users' databases): a pgpass line (':' and
  # '\' escaped), from file to file.
  jq -Rr --arg role "$db_role" 'gsub("\\\\"; "\\\\\\\\") | gsub(":"; "\\:") | "*:*:*:" + $role + ":" + .' \
    "$sec/app-db-password" | head -n 1 >"$sec/gateway/pgpass.tmp"
  mv -f "$sec/gateway/pgpass.tmp" "$sec/gateway/pgpass"
  # The sandbox API's key secret and the key sealing sandboxes' secrets in the store.
  persistent_key sandbox-key
  persistent_key sandbox-seal-key
  persistent_key appserver-key
  persistent_key credentials-token-key
  chown -R "$gateway_uid:$gateway_uid" "$sec/gateway"
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
    echo "AGENT_SERVER_IMAGE=$runtime"
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
    OH_DB_ADMIN_JSON="$sec/db-admin.json" OH_DB_HOST="$DB_PROXY_ENDPOINT" OH_APP_PASSWORD_FILE="$sec/app-db-password" \
    OH_APP_ROLE="$db_role" OH_APP_DB="$store_db" "$root/opt/openhands/bin/db-bootstrap.sh"
}

phase_config() {
  umask 022
  # Every main host (phase_images read them; the primary first), as TOML lists.
  local host hosts="" suffixes="" origins="" main_hosts=()
  IFS=, read -r -a main_hosts <"$etc/main-hosts"
  [ ${#main_hosts[@]} -gt 0 ] || { echo "boot-services: no main host" >&2; return 1; }
  for host in "${main_hosts[@]}"; do
    [[ $host =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || { echo "boot-services: bad main host" >&2; return 1; }
    hosts+="${hosts:+, }\"$host\""
    suffixes+="${suffixes:+, }\"runtime.$host\""
    origins+="${origins:+, }\"https://$host\""
  done
  # The gateway's store (and OpenHands' pg8000, which has no TLS) reach the proxy, which admits
  # TLS only, through stunnel: it speaks the PostgreSQL TLS negotiation (protocol = pgsql) and
  # verifies the proxy's certificate.
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
  # Sandboxes' workspaces and users' persistence directories on EFS, created by the gateway (its
  # uid) per user and sandbox.
  mkdir -p "$data/workspaces" "$data/users"
  chown "$gateway_uid:$gateway_uid" "$data/workspaces" "$data/users"
  chmod 750 "$data/workspaces" "$data/users"
  umask 022
  local proxies="" auth=$sec/auth-settings.json pool client domain previous docker_gid agent_image app_image
  # The images phase_images read from SSM: the app servers' and the one sandboxes may run.
  app_image=$(sed -n 's/^OPENHANDS_IMAGE=//p' "$etc/images.env")
  agent_image=$(sed -n 's/^AGENT_SERVER_IMAGE=//p' "$etc/images.env")
  for value in "$app_image" "$agent_image"; do
    [[ $value =~ ^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9._-]+$ ]] || { echo "boot-services: bad image reference" >&2; return 1; }
  done
  [[ $DB_PROXY_ENDPOINT =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || { echo "boot-services: bad database endpoint" >&2; return 1; }
  [[ $BEDROCK_ROLE_ARN =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$ && $REGION =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || { echo "boot-services: bad Bedrock role or region" >&2; return 1; }
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
  # The gateway drives Docker (app servers, sandboxes) as a member of the socket's group.
  docker_gid=${OH_DOCKER_GID:-$(getent group docker | cut -d: -f3)}
  [[ $docker_gid =~ ^[0-9]+$ ]] || { echo "boot-services: no docker group" >&2; return 1; }
  printf 'DOCKER_GID=%s\nGATEWAY_UID=%s\n' "$docker_gid" "$gateway_uid" >"$etc/gateway.env"
  previous=""
  [ ! -s "$sec/gateway/cookie-previous-key" ] || previous='cookie_previous_key_file = "/etc/oh-gateway/secrets/cookie-previous-key"'
  sed -e "s|@GATEWAY_PORT@|$GATEWAY_PORT|g" -e "s|@TRUSTED_PROXIES@|$proxies|g" \
    -e "s|@AUTH_REGION@|${pool%%_*}|g" -e "s|@AUTH_USER_POOL_ID@|$pool|g" \
    -e "s|@AUTH_CLIENT_ID@|$client|g" -e "s|@AUTH_DOMAIN_PREFIX@|$domain|g" \
    -e "s|@CALLBACK_HOSTS@|$hosts|g" -e "s|@RUNTIME_SUFFIXES@|$suffixes|g" -e "s|@MAIN_HOST@|$MAIN_HOST|g" \
    -e "s|^@COOKIE_PREVIOUS_KEY@\$|$previous|" -e "s|@AGENT_SERVER_IMAGE@|$agent_image|g" \
    -e "s|@SANDBOX_API_ADDRESS@|${OH_SANDBOX_API_ADDRESS:-172.17.0.1}|g" -e "s|@DB_ROLE@|$db_role|g" -e "s|@STORE_DB@|$store_db|g" \
    -e "s|@OPENHANDS_IMAGE@|$app_image|g" -e "s|@OPENHANDS_VERSION@|${app_image##*:}|g" \
    -e "s|@CORS_ORIGINS@|$origins|g" \
    -e "s|@BEDROCK_ROLE_ARN@|$BEDROCK_ROLE_ARN|g" -e "s|@REGION@|$REGION|g" \
    -e "s|@DB_PROXY_ENDPOINT@|$DB_PROXY_ENDPOINT|g" -e "s|@DB_CA_FILE@|${OH_GATEWAY_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}|g" \
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
