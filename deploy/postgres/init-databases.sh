#!/bin/bash
# One PostgreSQL database and one login role per service, each role owning only its database.
#
# Run by the postgres image on first start (mounted into /docker-entrypoint-initdb.d/), or by
# hand against any server:  PGHOST=... PGUSER=postgres deploy/postgres/init-databases.sh
# Idempotent: existing roles and databases are kept (their passwords are reset to the given ones).
#
#   MMS_DATABASES              services to create (default: the five services and the gateway)
#   MMS_<SERVICE>_DB_PASSWORD  each role's password, or MMS_<SERVICE>_DB_PASSWORD_FILE
#   MMS_DB_PREFIX              optional prefix of role and database names (e.g. "mms_")
set -euo pipefail

services=${MMS_DATABASES:-customer sales campaign support analytics gateway}
prefix=${MMS_DB_PREFIX:-}
psql_base=(psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet)
[ -n "${POSTGRES_USER:-}" ] && psql_base+=(--username "$POSTGRES_USER")
psql_base+=(--dbname "${POSTGRES_DB:-postgres}")

for service in $services; do
    upper=${service^^}
    var="MMS_${upper}_DB_PASSWORD"
    file_var="${var}_FILE"
    password=${!var:-}
    if [ -z "$password" ] && [ -n "${!file_var:-}" ]; then
        password=$(<"${!file_var}")
    fi
    if [ -z "$password" ]; then
        echo "init-databases: $var (or ${file_var}) is not set" >&2
        exit 1
    fi
    name="${prefix}${service}"
    # Names and passwords travel as psql variables and are quoted by format(): no injection.
    "${psql_base[@]}" -v name="$name" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L',
              :'name', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0',
              :'name', :'name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name') \gexec
SELECT format('GRANT ALL ON DATABASE %I TO %I', :'name', :'name') \gexec
SQL
    echo "init-databases: database and role ${name} ready"
done
