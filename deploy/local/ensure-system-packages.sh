#!/usr/bin/env bash
# Install the Debian packages the suite runs on, when they are missing: rabbitmq-server (and, for
# the tests, postgresql). As root this uses apt-get directly; otherwise sudo when it is available.
# Nothing is started here: the local runner and the test runner start private instances.
set -euo pipefail

missing=()
for pkg in "$@"; do
  case "$pkg" in
    rabbitmq-server) [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=("$pkg") ;;
    postgresql) compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=("$pkg") ;;
    *) dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "Missing packages: ${missing[*]}. Install them (apt-get install ${missing[*]}) or run as root." >&2
  exit 1
fi
# The packages' own init scripts must not start system-wide instances: we run private ones.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ "$created_policy" -eq 1 ]; then $SUDO rm -f "$policy"; fi
