#!/usr/bin/env bash
# Add the Spark engine to the warehouse virtualenv (.venv): Java 17 (Debian's openjdk-17-jre-headless, installed with
# apt when missing and allowed), then pyspark and dbt-spark from requirements/spark.txt, constrained by
# requirements/warehouse.lock so that dbt-core and everything DuckDB uses keep their locked versions. Idempotent: does
# nothing when Java is there and the requirements have not changed since the last successful run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup-spark: installing openjdk-17-jre-headless (Debian)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless
  else
    echo "setup-spark: Java 17 is required: sudo apt-get install openjdk-17-jre-headless (or set JAVA_HOME)" >&2
    exit 1
  fi
fi

stamp=.venv/.crmwh-spark.sha256
want=$(cat requirements/spark.txt requirements/warehouse.lock | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
  exit 0
fi
echo "setup-spark: installing pyspark and dbt-spark into .venv (requirements/spark.txt)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/spark.txt \
  -c requirements/warehouse.lock
.venv/bin/python -c 'import pyspark, dbt.adapters.spark; from importlib.metadata import version as v; \
assert v("dbt-core").startswith("1.11."), v("dbt-core")'
echo "$want" > "$stamp"
echo "setup-spark: Spark engine ready in .venv"
