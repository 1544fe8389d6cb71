#!/usr/bin/env bash
# Create or update the warehouse virtualenv (.venv) from requirements/warehouse.lock. Idempotent: does nothing when
# the lock and pyproject.toml have not changed since the last successful run.
set -euo pipefail
cd "$(dirname "$0")/.."

# The warehouse runs on Python 3.11-3.13 (Debian 12: 3.11, Ubuntu 24.04: 3.12, Debian 13: 3.13).
supported='import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))'
python_bin=${PYTHON:-}
if [ -n "$python_bin" ]; then
  "$python_bin" -c "$supported" 2>/dev/null || { echo "setup: PYTHON=$python_bin is not Python 3.11-3.13" >&2; exit 1; }
else
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "$supported"; then
      python_bin=$candidate; break
    fi
  done
fi
if [ -z "$python_bin" ]; then
  echo "setup: Python 3.11, 3.12 or 3.13 is required (set PYTHON=/path/to/python3.x)" >&2
  exit 1
fi

# Data Docs pages load Bootstrap/jQuery/Vega from CDNs; the site is made offline with local copies from npm.
if [ ! -d expectations/assets/node_modules ] && command -v npm >/dev/null 2>&1; then
  npm ci --silent --no-audit --no-fund --ignore-scripts --prefix expectations/assets
fi

[ -x .venv/bin/python ] || "$python_bin" -m venv .venv
stamp=.venv/.crmwh-setup.sha256
want=$(cat requirements/warehouse.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
  exit 0
fi
echo "setup: installing the warehouse virtualenv (.venv) from requirements/warehouse.lock"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/warehouse.lock
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
echo "$want" > "$stamp"
echo "setup: .venv ready"
