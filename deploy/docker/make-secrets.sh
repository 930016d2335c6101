#!/bin/sh
# Prepare docker compose on a fresh checkout: a .env with random passwords (from .env.example)
# and the secret files compose mounts. Existing files are kept, so it is safe to re-run.
#
#   deploy/docker/make-secrets.sh [secrets-dir]     (default: ./var/compose-secrets)
#   MMS_ENV_FILE=path  writes the env file there instead of ./.env
#
# The identity key pair is Ed25519 (the gateway signs with the private key; every service
# verifies with the public key). The same commands generate a new pair for a rotation.
set -eu
cd "$(dirname "$0")/../.."
dir=${1:-${MMS_SECRETS_DIR:-./var/compose-secrets}}
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"

secret() {  # a random value, URL-safe
    openssl rand -hex 32
}

if [ ! -f "$dir/identity_private_key.pem" ]; then
    openssl genpkey -algorithm ed25519 -out "$dir/identity_private_key.pem"
    openssl pkey -in "$dir/identity_private_key.pem" -pubout -out "$dir/identity_public_key.pem"
    echo "wrote $dir/identity_private_key.pem and identity_public_key.pem"
fi
for name in jwt_secret tracking_secret webhook_secret_key; do
    if [ ! -f "$dir/$name" ]; then
        secret > "$dir/$name"
        echo "wrote $dir/$name"
    fi
done
# The containers run as uid 10001: the files must be readable inside them. The directory
# (0700) keeps other users of this machine out.
chmod 0644 "$dir"/*

env_file=${MMS_ENV_FILE:-.env}
if [ ! -f "$env_file" ]; then
    while IFS= read -r line; do
        case "$line" in
            *=CHANGE-ME) printf '%s=%s\n' "${line%%=*}" "$(secret)" ;;
            MMS_SECRETS_DIR=*) printf 'MMS_SECRETS_DIR=%s\n' "$dir" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done < .env.example > "$env_file"
    chmod 0600 "$env_file"
    echo "wrote $env_file (random passwords; the admin password is in MMS_ADMIN_PASSWORD)"
fi
