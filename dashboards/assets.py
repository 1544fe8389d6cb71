"""Generate the Superset import bundle (datasets, charts, dashboards) from the cubes of the dbt yml.

    .venv/bin/python -m dashboards.assets            # writes dashboards/assets/bundle/
    .venv/bin/python -m dashboards.assets --check    # exits 1 when the committed bundle is out of date

A thin command over ``dashboards.bundle`` (``write_bundle``, ``check_bundle``). The dashboards themselves are in
``dashboards/boards/``, one module each; the chart kinds in ``dashboards/charts.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dashboards.bundle import ASSETS_DIR, check_bundle, write_bundle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards.assets", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ASSETS_DIR, help="bundle folder [dashboards/assets/bundle]")
    parser.add_argument("--check", action="store_true", help="only compare with the folder; exit 1 if it differs")
    args = parser.parse_args(argv)
    if args.check:
        changed = check_bundle(args.out)
        if changed:
            print(
                f"{args.out} is out of date ({len(changed)} files, e.g. {changed[:3]}): "
                "run .venv/bin/python -m dashboards.assets",
                file=sys.stderr,
            )
            return 1
        print(f"{args.out} is up to date")
        return 0
    files = write_bundle(args.out)
    kinds = {k: sum(1 for f in files if f.startswith(k)) for k in ("datasets/", "charts/", "dashboards/")}
    print(f"wrote {len(files)} files into {args.out}: " + ", ".join(f"{n} {k.rstrip('/')}" for k, n in kinds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
