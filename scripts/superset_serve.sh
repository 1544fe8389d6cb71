#!/usr/bin/env bash
# `make serve`: make sure .venv-superset matches its lock, then run Superset in the foreground.
# Ctrl-C or SIGTERM stops it cleanly. Settings come from the environment: see docs/superset.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CRMWH_SUPERSET_VENV:-$ROOT/.venv-superset}"
bash "$ROOT/scripts/superset_setup.sh"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$VENV/bin/python" -m dashboards.serve "$@"
