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

# PostgreSQL 15 with password authentication on loopback, as Aurora has.
admin_password=admin-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$work/pg" "$work/pgsock"
chown postgres "$work/pg" "$work/pgsock"
chmod 755 "$work"
printf '%s\n' "$admin_password" >"$work/pg.pw"
chown postgres "$work/pg.pw"
runuser -u postgres -- "$pgbin/initdb" -D "$work/pg" -U postgres --auth=scram-sha-256 --pwfile="$work/pg.pw" >"$results/initdb.log" 2>&1
rm -f "$work/pg.pw"
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -w -l "$work/pg/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p 5432 -k $work/pgsock" start >/dev/null

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
aws secretsmanager create-secret --name oh/auth --secret-string \
  '{"issuer":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc","clientId":"client123","clientSecret":"client-s3cr3t-xyz","domain":"auth.example.com"}' >/dev/null
aws ssm put-parameter --name /openhands/version --type String --value 1.3.0 >/dev/null
aws ssm put-parameter --name /openhands/runtime-image --type String \
  --value ghcr.io/openhands/agent-server:1.3.0-python >/dev/null
topic=$(aws sns create-topic --name oh-alerts --query TopicArn --output text)
queue=$(aws --endpoint-url "$AWS_ENDPOINT_URL" sqs create-queue --queue-name oh-alerts --query QueueUrl --output text)
queue_arn=$(aws --endpoint-url "$AWS_ENDPOINT_URL" sqs get-queue-attributes --queue-url "$queue" --attribute-names QueueArn --query Attributes.QueueArn --output text)
aws sns subscribe --topic-arn "$topic" --protocol sqs --notification-endpoint "$queue_arn" >/dev/null
sed -i "s|^ALERT_TOPIC_ARN=.*|ALERT_TOPIC_ARN=$topic|" "$work/root/etc/openhands/instance.env"

boot() { # LOG [VAR=VALUE...]
  local log=$1
  shift
  env OH_ROOT="$work/root" PGSSLMODE=disable "$@" bash "$work/root/opt/openhands/bin/boot-services.sh" >"$log" 2>&1
}
catalog() {
  PGPASSWORD=$admin_password psql -X -qtA -h 127.0.0.1 -p 5432 -U postgres -d postgres -c "
    SELECT 'role', xmin, rolname, rolcanlogin, rolsuper, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'openhands_app';
    SELECT 'db', xmin, datname, pg_get_userbyid(datdba), datacl FROM pg_database WHERE datname = 'openhands';
    SELECT 'member', xmin, roleid::regrole, member::regrole FROM pg_auth_members WHERE roleid::regrole::text = 'openhands_app';"
}

# First boot, then a second: the second must not change the catalogs.
boot "$results/boot1.log" && echo 0 >"$results/boot1.rc" || echo $? >"$results/boot1.rc"
catalog >"$results/catalog1.txt"
boot "$results/boot2.log" && echo 0 >"$results/boot2.rc" || echo $? >"$results/boot2.rc"
catalog >"$results/catalog2.txt"

# The application signs in with the password the boot services keep.
{ printf '*:*:*:*:'; cat "$work/root/etc/openhands/secrets/app-db-password"; } >"$work/app.pgpass"
chmod 600 "$work/app.pgpass"
PGPASSFILE=$work/app.pgpass psql -X -qtA -h 127.0.0.1 -p 5432 -U openhands_app -d openhands \
  -c "SELECT current_user || '@' || current_database()" >"$results/app-login.txt" 2>&1 || true

# A rotated password is applied on the next boot (the old one stops working).
openssl rand -hex 32 >"$work/root/data/openhands/.secrets/app-db-password"
boot "$results/boot3.log" && echo 0 >"$results/boot3.rc" || echo $? >"$results/boot3.rc"
{ printf '*:*:*:*:'; cat "$work/root/data/openhands/.secrets/app-db-password"; } >"$work/app.pgpass"
PGPASSFILE=$work/app.pgpass psql -X -qtA -h 127.0.0.1 -p 5432 -U openhands_app -d openhands \
  -c "SELECT 'rotated-ok'" >"$results/app-login-rotated.txt" 2>&1 || true

# A failing boot publishes its line to the alert topic.
cp "$work/root/etc/openhands/instance.env" "$work/instance.env.good"
sed -i "s|^ORIGIN_SECRET_ARN=.*|ORIGIN_SECRET_ARN=oh/missing|" "$work/root/etc/openhands/instance.env"
boot "$results/boot-fail.log" OH_PHASES=secrets && echo 0 >"$results/boot-fail.rc" || echo $? >"$results/boot-fail.rc"
cp "$work/instance.env.good" "$work/root/etc/openhands/instance.env"
aws --endpoint-url "$AWS_ENDPOINT_URL" sqs receive-message --queue-url "$queue" --max-number-of-messages 10 --wait-time-seconds 2 \
  --query 'Messages[].Body' --output json >"$results/alerts.json"
echo finished >"$results/finished"
