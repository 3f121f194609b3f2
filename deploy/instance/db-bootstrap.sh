#!/bin/bash
# Creates the gateway's database role and its sandbox store's database if missing, with psql and
# the admin secret, instead of a Lambda. The role may create databases and roles (CREATEDB,
# CREATEROLE: the gateway gives each user's app server a database and role of its own) and is
# never a superuser. Idempotent: a second run changes nothing in the catalogs.
#   OH_DB_ADMIN_JSON      the admin secret (RDS JSON: username, password, port, dbname)
#   OH_DB_HOST            where to connect (the RDS Proxy endpoint); OH_DB_PORT overrides the port
#   OH_APP_PASSWORD_FILE  the application role's password (one line)
#   OH_APP_ROLE, OH_APP_DB  names (openhands_app, openhands; the instance passes oh_gateway as
#                         the database); PGSSLMODE defaults to require
# The password reaches the server only as a SCRAM verifier computed here, so no statement,
# argument list or server log ever carries it.
set -Eeuo pipefail
role=${OH_APP_ROLE:-openhands_app}
db=${OH_APP_DB:-openhands}
admin_json=${OH_DB_ADMIN_JSON:?OH_DB_ADMIN_JSON is required}
host=${OH_DB_HOST:-$(jq -r '.host // empty' "$admin_json")}
port=${OH_DB_PORT:-$(jq -r '.port // 5432' "$admin_json")}
admin_db=$(jq -r '.dbname // "postgres"' "$admin_json")
admin_user=$(jq -er '.username' "$admin_json")
password_file=${OH_APP_PASSWORD_FILE:?OH_APP_PASSWORD_FILE is required}
export PGSSLMODE=${PGSSLMODE:-require} PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-15}
for name in "$role" "$db"; do
  [[ $name =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { echo "db-bootstrap: invalid name: $name" >&2; exit 2; }
done
[ -n "$host" ] || { echo "db-bootstrap: no database host" >&2; exit 2; }

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# pgpass lines escape ':' and '\'; the values go from file to file, never through a variable.
escape='gsub("\\\\"; "\\\\\\\\") | gsub(":"; "\\:")'
jq -r ".password | $escape | \"*:*:*:*:\" + ." "$admin_json" >"$work/admin.pgpass"
jq -Rr "$escape | \"*:*:*:*:\" + ." "$password_file" | head -n 1 >"$work/app.pgpass"

as_admin() { PGPASSFILE=$work/admin.pgpass psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$admin_user" -d "$admin_db" "$@"; }
app_login() { PGPASSFILE=$work/app.pgpass psql -X -q -tA -h "$host" -p "$port" -U "$role" -d "$db" -c 'SELECT 1' >/dev/null 2>&1; }

as_admin -v role="$role" -v db="$db" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I CREATEDB CREATEROLE', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role' AND rolcreatedb AND rolcreaterole) \gexec
SELECT format('GRANT %I TO %I', :'role', current_user)
 WHERE NOT pg_has_role(current_user, :'role', 'MEMBER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db')
 WHERE has_database_privilege('public', :'db', 'CONNECT') \gexec
SQL

# Set the password only when the role cannot sign in with it (new role, new or rotated secret).
if app_login; then
  echo "db-bootstrap: role $role and database $db are ready"
  exit 0
fi
verifier=$(python3 -c '
import base64, hashlib, hmac, os, sys
password = open(sys.argv[1], "rb").read().splitlines()[0]
salt, rounds = os.urandom(16), 4096
salted = hashlib.pbkdf2_hmac("sha256", password, salt, rounds)
client = hmac.new(salted, b"Client Key", "sha256").digest()
server = hmac.new(salted, b"Server Key", "sha256").digest()
b64 = lambda b: base64.b64encode(b).decode()
print("SCRAM-SHA-256$%d:%s$%s:%s" % (rounds, b64(salt), b64(hashlib.sha256(client).digest()), b64(server)))
' "$password_file")
as_admin -v role="$role" -v verifier="$verifier" <<'SQL'
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'verifier') \gexec
SQL
app_login || { echo "db-bootstrap: role $role still cannot sign in" >&2; exit 1; }
echo "db-bootstrap: password of $role set; role and database $db are ready"
