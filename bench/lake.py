"""What the lake costs (ingest/lake.py): the raw layer written as parquet, one file per delivery batch and raw table.

    .venv/bin/python -m bench.lake [--scales 0.01,0.1] [--days 30] [--repeat 2] [--out bench/results-lake.json]

Per scale: a generated bank (bench/out/landing-<scale>-<days>, reused) is ingested except its last business date;
then, alternating per repetition into fresh lake folders,

- ``sync_full``: ``sync_lake`` writing every batch of that warehouse (the first Spark build, or ``crmwh lake`` on an
  existing warehouse),
- ``baseline``: the fastest export of the same rows DuckDB offers, one ``COPY ... (PARTITION_BY _business_date)`` per
  raw table (no per-batch files, so no exact mirror of reloads and withdrawals);

and once, after the last business date is ingested too, ``sync_day``: the sync a daily Spark build does (that day's
batches only). Each figure: wall seconds, CPU seconds (user+sys of this process, DuckDB's threads included), files,
rows, bytes; per batch file the wall and CPU milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from ingest.lake import sync_lake

OUT_DIR = Path(__file__).resolve().parent / "out"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measure(step: Callable[[], dict[str, object]]) -> dict[str, object]:
    wall, cpu = time.perf_counter(), _cpu()
    figures = step()
    figures.update(wall_s=round(time.perf_counter() - wall, 3), cpu_s=round(_cpu() - cpu, 3))
    files = figures.get("files") or 0
    if isinstance(files, int) and files:
        figures.update(wall_ms_per_file=round(1000 * float(figures["wall_s"]) / files, 2),  # type: ignore[arg-type]
                       cpu_ms_per_file=round(1000 * float(figures["cpu_s"]) / files, 2))  # type: ignore[arg-type]
    return figures


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.parquet"))


def _landing(scale: float, days: int) -> Path:
    landing = OUT_DIR / f"landing-{scale}-{days}"
    if not (landing / "_manifest.json").is_file():
        subprocess.run([sys.executable, "-m", "crmwh.cli", "generate", "--scale", str(scale), "--days", str(days),
                        "--landing", str(landing), "--quiet"], check=True)
    return landing


def _partial_landing(landing: Path, target: Path, last_day: str | None) -> None:
    """``target`` holds every delivery of ``landing`` up to and excluding ``last_day`` (all of them when None)."""
    shutil.rmtree(target, ignore_errors=True)
    for system in (p for p in landing.iterdir() if p.is_dir()):
        for day in (p for p in system.iterdir() if p.is_dir()):
            if last_day is None or day.name < last_day:
                shutil.copytree(day, target / system.name / day.name)


def _baseline(warehouse: Path, lake: Path) -> dict[str, object]:
    lake.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall()]
        rows = 0
        for table in tables:
            rows += con.execute(f'SELECT count(*) FROM raw."{table}"').fetchone()[0]  # type: ignore[index]
            con.execute(f"COPY raw.\"{table}\" TO '{lake / table}' (FORMAT parquet, COMPRESSION zstd, "
                        "PARTITION_BY (_business_date), OVERWRITE_OR_IGNORE)")
    finally:
        con.close()
    return {"files": len(list(lake.rglob("*.parquet"))), "rows": rows, "bytes": _size(lake)}


def _sync(warehouse: Path, lake: Path) -> dict[str, object]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        report = sync_lake(con, lake)
    finally:
        con.close()
    return {"files": report.batches_written, "rows": report.rows_written, "bytes": _size(lake / "raw")}


def bench_scale(scale: float, days: int, repeat: int, work: Path) -> dict[str, object]:
    from ingest.loader import ingest_landing

    landing = _landing(scale, days)
    last_day = max(p.name for p in (landing / "core").iterdir() if p.is_dir())
    partial = work / "landing"
    _partial_landing(landing, partial, last_day)
    warehouse = work / "warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    ingest_landing(landing=partial, warehouse=warehouse, reload=False, systems=None, progress=False)
    runs: list[dict[str, object]] = []
    for run in range(repeat):
        for kind, step in (("sync_full", _sync), ("baseline", _baseline)):
            lake = work / f"lake-{kind}-{run}"
            shutil.rmtree(lake, ignore_errors=True)
            runs.append({"kind": kind, "run": run, **_measure(lambda s=step, w=warehouse, lk=lake: s(w, lk))})
            shutil.rmtree(lake, ignore_errors=True)
    lake = work / "lake-day"
    shutil.rmtree(lake, ignore_errors=True)
    _sync(warehouse, lake)
    _partial_landing(landing, partial, None)
    ingest_landing(landing=partial, warehouse=warehouse, reload=False, systems=None, progress=False)
    runs.append({"kind": "sync_day", "run": 0, **_measure(lambda: _sync(warehouse, lake))})
    shutil.rmtree(work, ignore_errors=True)
    return {"scale": scale, "days": days, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="0.01,0.1")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results-lake.json")
    args = parser.parse_args(argv)
    results = {"load_average_start": os.getloadavg(), "cores": os.cpu_count(), "scales": []}
    for scale in (float(s) for s in args.scales.split(",")):
        figures = bench_scale(scale, args.days, args.repeat, OUT_DIR / f"lake-work-{scale}")
        results["scales"].append(figures)  # type: ignore[attr-defined]
        for run in figures["runs"]:  # type: ignore[attr-defined]
            print(f"scale {scale}: {run}")
    results["load_average_end"] = os.getloadavg()
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
