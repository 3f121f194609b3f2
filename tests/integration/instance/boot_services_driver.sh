#!/bin/bash
# Runs the instance's boot services (deploy/instance/boot-services.sh, as embedded in the user
# data) against real peers inside a private network namespace: moto_server answers Secrets
# Manager, SSM, SNS and SQS; a PostgreSQL 15 started here stands in for Aurora behind the proxy.
# Usage (as root): boot_services_driver.sh WORK   where WORK/root holds the files the user data
# writes (opt/openhands/..., etc/openhands/instance.env). Results go to WORK/results/.
# Everything started here is stopped by PID on exit.
set -euo pipefail
work=$1
if [ -z "${OH_IN_NETNS:-}" ]; then
  exec env OH_IN_NETNS=1 unshare -n bash "$0" "$@"
fi
ip link set lo up
results=$work/results
mkdir -p "$results"
pgbin=$(ls -d /usr/lib/postgresql/15/bin)
pids=()
cleanup() {
  if [ -f "$work/pg/postmaster.pid" ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# PostgreSQL 15 that, like the proxy, admits only TLS with passwords, with a certificate for
# "localhost" from a CA of the test's own.
mkdir -p "$work/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$work/tls/key.pem" -out "$work/tls/cert.pem" 2>/dev/null
chown postgres "$work/tls/key.pem"
chmod 600 "$work/tls/key.pem"
admin_password=admin-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$work/pg" "$work/pgsock"
chown postgres "$work/pg" "$work/pgsock"
chmod 755 "$work"
printf '%s\n' "$admin_password" >"$work/pg.pw"
chown postgres "$work/pg.pw"
runuser -u postgres -- "$pgbin/initdb" -D "$work/pg" -U postgres --auth=scram-sha-256 --pwfile="$work/pg.pw" >"$results/initdb.log" 2>&1
rm -f "$work/pg.pw"
printf 'hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n' >"$work/pg/pg_hba.conf"
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -w -l "$work/pg/server.log" \
  -o "-c listen_addresses=localhost -p 5432 -k $work/pgsock -c ssl=on -c ssl_cert_file=$work/tls/cert.pem -c ssl_key_file=$work/tls/key.pem" \
  start >/dev/null

moto_server -H 127.0.0.1 -p 5000 >"$work/moto.log" 2>&1 &
pids+=($!)
export AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_DEFAULT_REGION=eu-central-1
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null && break
  sleep 0.1
done

# The stacks' resources, as the Compute stack's outputs name them.
aws secretsmanager create-secret --name oh/db-admin --secret-string \
  "{\"username\":\"postgres\",\"password\":\"$admin_password\",\"engine\":\"postgres\",\"port\":5432,\"dbname\":\"postgres\"}" >/dev/null
aws secretsmanager create-secret --name oh/origin --secret-string "origin-s3cr3t-value-0123456789" >/dev/null
aws secretsmanager create-secret --name oh/session-key --secret-string "session-key-s3cr3t-abcdefabcdef" >/dev/null
app_password=app-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
aws secretsmanager create-secret --name oh/app-db --secret-string \
  "{\"username\":\"openhands_app\",\"password\":\"$app_password\"}" >/dev/null
aws secretsmanager create-secret --name oh/auth --secret-string \
  '{"issuer":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc","clientId":"client123","clientSecret":"client-s3cr3t-xyz","domain":"auth.example.com"}' >/dev/null
aws ssm put-parameter --name /openhands/version --type String --value 1.7.0 >/dev/null
aws ssm put-parameter --name /openhands/runtime-image --type String \
  --value ghcr.io/openhands/agent-server:1.20.1-python >/dev/null
aws ssm put-parameter --name /openhands/main-hosts --type String --value openhands.example.com >/dev/null
topic=$(aws sns create-topic --name oh-alerts --query TopicArn --output text)
queue=$(aws --endpoint-url "$AWS_ENDPOINT_URL" sqs create-queue --queue-name oh-alerts --query QueueUrl --output text)
queue_arn=$(aws --endpoint-url "$AWS_ENDPOINT_URL" sqs get-queue-attributes --queue-url "$queue" --attribute-names QueueArn --query Attributes.QueueArn --output text)
aws sns subscribe --topic-arn "$topic" --protocol sqs --notification-endpoint "$queue_arn" >/dev/null
sed -i "s|^ALERT_TOPIC_ARN=.*|ALERT_TOPIC_ARN=$topic|" "$work/root/etc/openhands/instance.env"

boot() { # LOG [VAR=VALUE...]
  local log=$1
  shift
  env OH_ROOT="$work/root" OH_DB_CA_FILE="$work/tls/cert.pem" OH_DOCKER_GID=994 "$@" bash "$work/root/opt/openhands/bin/boot-services.sh" >"$log" 2>&1
}
catalog() {
  PGSSLMODE=require PGPASSWORD=$admin_password psql -X -qtA -h 127.0.0.1 -p 5432 -U postgres -d postgres -c "
    SELECT 'role', xmin, rolname, rolcanlogin, rolsuper, rolpassword IS NOT NULL, rolcreatedb, rolcreaterole FROM pg_authid WHERE rolname = 'openhands_app';
    SELECT 'db', xmin, datname, pg_get_userbyid(datdba), datacl FROM pg_database WHERE datname = 'oh_gateway';
    SELECT 'member', xmin, roleid::regrole, member::regrole FROM pg_auth_members WHERE roleid::regrole::text = 'openhands_app';"
}

# First boot, then a second: the second must not change the catalogs.
boot "$results/boot1.log" && echo 0 >"$results/boot1.rc" || echo $? >"$results/boot1.rc"
catalog >"$results/catalog1.txt"
# The gateway's keys kept on EFS: the second and third boots must copy the same ones.
cat "$work/root/etc/openhands/secrets/gateway/"{sandbox-key,sandbox-seal-key,appserver-key,credentials-token-key} \
  >"$results/sandbox-keys1.txt" 2>&1 || true
# Before any rotation the gateway's previous origin secret is the current one again.
cat "$work/root/etc/openhands/secrets/gateway/origin-secret" >"$results/origin-current1.txt" 2>&1 || true
cat "$work/root/etc/openhands/secrets/gateway/origin-previous-secret" >"$results/origin-previous1.txt" 2>&1 || true
# Nor is there a previous cookie key (no AWSPREVIOUS session secret yet).
ls "$work/root/etc/openhands/secrets/gateway" >"$results/gateway-files1.txt" 2>&1 || true
boot "$results/boot2.log" && echo 0 >"$results/boot2.rc" || echo $? >"$results/boot2.rc"
catalog >"$results/catalog2.txt"

# The application signs in with the password the boot services keep.
{ printf '*:*:*:*:'; cat "$work/root/etc/openhands/secrets/app-db-password"; } >"$work/app.pgpass"
chmod 600 "$work/app.pgpass"
PGSSLMODE=require PGPASSFILE=$work/app.pgpass psql -X -qtA -h 127.0.0.1 -p 5432 -U openhands_app -d oh_gateway \
  -c "SELECT current_user || '@' || current_database()" >"$results/app-login.txt" 2>&1 || true

# The gateway's own way in: its store URL from gateway.toml (libpq, TLS with the certificate and
# name verified; the image's CA file replaced by the test's CA) and its pgpass file. As that role
# it creates a user's database and login role (what the app-server pool does on a first start;
# PostgreSQL 15 wants the creator to be a member of the owner it names),
# and cannot make itself or anyone a superuser.
store_url=$(sed -n 's/^store_url = "\(.*\)"$/\1/p' "$work/root/etc/openhands/gateway.toml")
store_url=${store_url//\/etc\/ssl\/certs\/ca-certificates.crt/$work/tls/cert.pem}
PGPASSFILE=$work/root/etc/openhands/secrets/gateway/pgpass psql -X -qtA -v ON_ERROR_STOP=1 "$store_url" \
  -c "SELECT current_user || '@' || current_database() || ':' || (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())" \
  -c "CREATE ROLE oh_user_0123 LOGIN" -c "GRANT oh_user_0123 TO current_user" -c "CREATE DATABASE oh_user_0123 OWNER oh_user_0123" \
  -c "SELECT 'created:' || count(*) FROM pg_database WHERE datname = 'oh_user_0123'" >"$results/gateway-login.txt" 2>&1 || true
PGPASSFILE=$work/root/etc/openhands/secrets/gateway/pgpass psql -X -qtA "$store_url" \
  -c "ALTER ROLE oh_user_0123 SUPERUSER" >"$results/gateway-superuser.txt" 2>&1 || true
PGPASSFILE=$work/root/etc/openhands/secrets/gateway/pgpass psql -X -qtA "$store_url" \
  -c "DROP DATABASE oh_user_0123" -c "DROP ROLE oh_user_0123" >/dev/null 2>&1 || true

# OpenHands' way in: no TLS of its own (pg8000), through stunnel with the rendered db-tls.conf,
# which negotiates TLS and verifies the server. Without stunnel the server refuses it.
stunnel "$work/root/etc/openhands/db-tls.conf" >"$results/stunnel.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/6432) 2>/dev/null && break
  sleep 0.1
done
# asyncpg (OpenHands' async driver; Debian's python3-asyncpg) stands in for its client: psql
# refuses a server that offers SCRAM-SHA-256-PLUS over what it sees as plain TCP.
/usr/bin/python3 - "$work/root/etc/openhands/secrets/app-db-password" >"$results/app-login-tunnel.txt" 2>&1 <<'PY' || true
import asyncio, sys
import asyncpg
async def main():
    password = open(sys.argv[1]).read().strip()
    conn = await asyncpg.connect(host="127.0.0.1", port=6432, user="openhands_app", password=password,
                                 database="oh_gateway", ssl=False)
    ssl = await conn.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    print("tunnel:" + ("t" if ssl else "f"))
    await conn.close()
asyncio.run(main())
PY
PGSSLMODE=disable PGPASSFILE=$work/app.pgpass psql -X -qtA -h 127.0.0.1 -p 5432 -U openhands_app -d oh_gateway \
  -c "SELECT 1" >"$results/app-login-plain.txt" 2>&1 || true

# Rotated secrets are applied on the next boot: the application password (the old one stops
# working) and the session key (the previous one still opens cookies).
rotated_password=rotated-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
aws secretsmanager put-secret-value --secret-id oh/app-db --secret-string \
  "{\"username\":\"openhands_app\",\"password\":\"$rotated_password\"}" >/dev/null
aws secretsmanager put-secret-value --secret-id oh/session-key --secret-string "session-key-r0tated-fedcbafedcba" >/dev/null
# The origin secret's rotation (docs/infra.md): the new value is AWSCURRENT, the old AWSPREVIOUS.
aws secretsmanager put-secret-value --secret-id oh/origin --secret-string "origin-r0tated-value-9876543210" >/dev/null
boot "$results/boot3.log" && echo 0 >"$results/boot3.rc" || echo $? >"$results/boot3.rc"
cat "$work/root/etc/openhands/secrets/gateway/"{sandbox-key,sandbox-seal-key,appserver-key,credentials-token-key} \
  >"$results/sandbox-keys3.txt" 2>&1 || true
printf '*:*:*:*:%s\n' "$rotated_password" >"$work/app.pgpass"
PGSSLMODE=require PGPASSFILE=$work/app.pgpass psql -X -qtA -h 127.0.0.1 -p 5432 -U openhands_app -d oh_gateway \
  -c "SELECT 'rotated-ok'" >"$results/app-login-rotated.txt" 2>&1 || true
# ... and the gateway's pgpass follows the rotation.
PGPASSFILE=$work/root/etc/openhands/secrets/gateway/pgpass psql -X -qtA "$store_url" \
  -c "SELECT 'gateway-rotated-ok'" >"$results/gateway-login-rotated.txt" 2>&1 || true

# A failing boot publishes its line to the alert topic.
cp "$work/root/etc/openhands/instance.env" "$work/instance.env.good"
sed -i "s|^ORIGIN_SECRET_ARN=.*|ORIGIN_SECRET_ARN=oh/missing|" "$work/root/etc/openhands/instance.env"
boot "$results/boot-fail.log" OH_PHASES=secrets && echo 0 >"$results/boot-fail.rc" || echo $? >"$results/boot-fail.rc"
cp "$work/instance.env.good" "$work/root/etc/openhands/instance.env"
aws --endpoint-url "$AWS_ENDPOINT_URL" sqs receive-message --queue-url "$queue" --max-number-of-messages 10 --wait-time-seconds 2 \
  --query 'Messages[].Body' --output json >"$results/alerts.json"
echo finished >"$results/finished"
