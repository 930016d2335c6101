#!/usr/bin/env bash
# Create .venv and install every pinned Python dependency plus the suite's own packages
# (editable). Re-running is cheap: it only reinstalls when a requirements or pyproject file changed.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $("$PYTHON" --version)" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.mms-installed
want=$(cat requirements.txt requirements-dev.txt constraints.txt \
        libs/*/pyproject.toml services/*/pyproject.toml gateway/pyproject.toml 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
mkdir -p var
log=var/bootstrap.log
echo "installing the pinned Python packages into .venv (log: $log) ..." >&2
editables=(-e libs/event_contracts -e libs/servicekit)
for dir in services/*/ gateway/; do
  [ -f "$dir/pyproject.toml" ] && editables+=(-e "$dir")
done
if ! { .venv/bin/python -m pip install -q --upgrade pip &&
       .venv/bin/python -m pip install -q -r requirements-dev.txt -c constraints.txt "${editables[@]}"; } >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "pip install failed; the whole log is in $log" >&2
  exit 1
fi
echo "$want" > "$stamp"
