#!/usr/bin/env bash
# Services for the dashboard tests (idempotent; run as root before pytest in CI):
#   installs Debian's `postgresql` and `chromium` when missing (`apt-get update` only then),
#   starts the newest PostgreSQL cluster, creates a throw-away role and database, and prints
#   ONE line on stdout for the caller to evaluate:
#     export PSOAS_TEST_POSTGRES_URL=postgresql+psycopg://psoas_test:...@127.0.0.1:PORT/psoas_test
# Usage:  eval "$(bash scripts/services.sh)"
# Everything else goes to stderr. The role may create databases: each test gets its own.
set -euo pipefail

log() { echo "services: $*" >&2; }

missing=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  log "creating PostgreSQL $version cluster main"
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  log "starting PostgreSQL $version cluster main"
  pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -q -p $port $*" >&2; }
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q -p $port" && break
  sleep 1
done
role=psoas_test
password=psoas_test
psql_admin "-c 'DROP DATABASE IF EXISTS $role WITH (FORCE)'"
psql_admin "-c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password'; END IF; END \\\$\\\$\""
# DROP DATABASE ... WITH (FORCE) must also end autovacuum workers busy in a test database,
# which belong to no role; only members of pg_signal_backend may (PostgreSQL's rule).
psql_admin "-c 'GRANT pg_signal_backend TO $role'"
psql_admin "-c 'CREATE DATABASE $role OWNER $role'"
log "PostgreSQL $version on port $port: database $role ready"
echo "export PSOAS_TEST_POSTGRES_URL=postgresql+psycopg://$role:$password@127.0.0.1:$port/$role"
