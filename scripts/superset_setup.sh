#!/usr/bin/env bash
# Build or refresh .venv-superset, Superset's own virtualenv, from requirements/superset.lock.
# Idempotent: does nothing when the lock's hash matches the stamp written by the last complete install;
# when the lock changed, the virtualenv is rebuilt from scratch so it holds exactly what the lock says.
# Environment: CRMWH_SUPERSET_VENV (default <repo>/.venv-superset), CRMWH_SUPERSET_PYTHON (default: the first of
# python3.11, python3.12 found). Superset 6.1 pins pandas <2.2 and numpy <2.3, which have no wheels for Python 3.13.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CRMWH_SUPERSET_VENV:-$ROOT/.venv-superset}"
LOCK="$ROOT/requirements/superset.lock"
STAMP="$VENV/.crmwh-lock.sha256"

[[ -f "$LOCK" ]] || { echo "superset_setup: $LOCK is missing (run scripts/superset_lock.sh)" >&2; exit 1; }
want="$(sha256sum "$LOCK" | cut -d' ' -f1)"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" && -x "$VENV/bin/superset" ]]; then
  echo "superset_setup: $VENV is up to date with $(basename "$LOCK")"
  exit 0
fi

supported='import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))'
PYTHON="${CRMWH_SUPERSET_PYTHON:-}"
if [[ -n "$PYTHON" ]]; then
  "$PYTHON" -c "$supported" 2>/dev/null || {
    echo "superset_setup: CRMWH_SUPERSET_PYTHON=$PYTHON is not Python 3.11 or 3.12 (Superset 6.1's pins have no 3.13 wheels)" >&2
    exit 1
  }
else
  for candidate in python3.11 python3.12; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "$supported"; then PYTHON=$candidate; break; fi
  done
  [[ -n "$PYTHON" ]] || {
    echo "superset_setup: Superset 6.1 needs Python 3.11 or 3.12 (none found; set CRMWH_SUPERSET_PYTHON=/path/to/python3.12)" >&2
    exit 1
  }
fi
started=$SECONDS
if [[ -e "$VENV" ]]; then
  echo "superset_setup: $(basename "$LOCK") changed or the last install did not finish: rebuilding $VENV"
  rm -rf "$VENV"
fi
"$PYTHON" -m venv "$VENV"
# --no-deps: the lock is the complete closure, so nothing unpinned can slip in.
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --no-deps --progress-bar off \
  --require-virtualenv -r "$LOCK"
"$VENV/bin/python" -m pip check --disable-pip-version-check
echo "$want" > "$STAMP"
echo "superset_setup: installed $VENV from $(basename "$LOCK") in $((SECONDS - started)) s"
