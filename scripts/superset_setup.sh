#!/usr/bin/env bash
# Build or refresh .venv-superset, Superset's own virtualenv, from requirements/superset.lock.
# Idempotent: does nothing when the lock's hash matches the stamp written by the last complete install;
# when the lock changed, the virtualenv is rebuilt from scratch so it holds exactly what the lock says.
# Environment: CRMWH_SUPERSET_VENV (default <repo>/.venv-superset), CRMWH_PYTHON (default python3.11).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CRMWH_SUPERSET_VENV:-$ROOT/.venv-superset}"
LOCK="$ROOT/requirements/superset.lock"
STAMP="$VENV/.crmwh-lock.sha256"
PYTHON="${CRMWH_PYTHON:-python3.11}"

[[ -f "$LOCK" ]] || { echo "superset_setup: $LOCK is missing (run scripts/superset_lock.sh)" >&2; exit 1; }
want="$(sha256sum "$LOCK" | cut -d' ' -f1)"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" && -x "$VENV/bin/superset" ]]; then
  echo "superset_setup: $VENV is up to date with $(basename "$LOCK")"
  exit 0
fi

command -v "$PYTHON" >/dev/null || { echo "superset_setup: $PYTHON not found (Superset 6.1 needs Python 3.11)" >&2; exit 1; }
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
