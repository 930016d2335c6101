#!/usr/bin/env bash
# Create .venv and install every pinned Python dependency plus the suite's own packages
# (editable). Re-running is cheap: it only reinstalls when a requirements or pyproject file changed.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.mms-installed
want=$(cat requirements.txt requirements-dev.txt constraints.txt \
        libs/*/pyproject.toml services/*/pyproject.toml gateway/pyproject.toml 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
editables=(-e libs/event_contracts -e libs/servicekit)
for dir in services/*/ gateway/; do
  [ -f "$dir/pyproject.toml" ] && editables+=(-e "$dir")
done
.venv/bin/python -m pip install -q -r requirements-dev.txt -c constraints.txt "${editables[@]}"
echo "$want" > "$stamp"
