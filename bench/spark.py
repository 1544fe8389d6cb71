"""Spark local versus DuckDB: the full dbt build on both engines, on copies of one ingested warehouse (issue 18).

    .venv/bin/python -m bench.spark --warehouse INGESTED.duckdb [--label "0.1 x 60"] [--repeat 1] \
        [--out bench/results-spark-0.1.json]

Each repetition, alternating, on a fresh copy of ``--warehouse`` (raw and audit, as `crmwh ingest` leaves it):

- ``duckdb``: the full dbt build `crmwh build` runs (``FULL_REFRESH_ARGS``, as bench/dbt_phase.py runs it);
- ``spark``: the phases of `crmwh build --engine spark` (crmwh/spark_build.py): ``lake`` (``sync_lake`` into a fresh
  lake, in this process), ``dbt_spark`` (crmwh/spark_dbt.py in a child: dbt on Spark local[2], the export as parquet),
  ``write_back`` (the exported tables into the DuckDB copy, in this process) and ``dbt_duckdb_after`` (the views and
  catalog tests dbt then runs on DuckDB).

Every phase: wall seconds, CPU seconds, peak memory, the load average when it started. A child's CPU is split into
the Python process's own and that of its descendants, read from /proc/<pid>/stat every ``SAMPLE_SECONDS`` (the JVM
Spark runs in is a grandchild the dbt process may never wait for, so ``os.wait4``'s rusage can miss it); the last
sample before a process ends is what is counted, so up to one interval of its CPU is lost. Then, from the last copies:
per-node seconds from dbt's run_results.json on both engines, and per-partition figures (rows and bytes per month of
the biggest models, per business date of the lake; seconds per partition = the node's seconds / its partitions).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from bench.dbt_phase import DBT, full_refresh_args
from bench.run import REPO

SAMPLE_SECONDS = 0.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MODEL_SCHEMAS = ("staging", "snapshots", "intermediate", "marts", "restricted_pii")
# the column a model is partitioned by on a cluster (by month): its first DATE column of these names, else its first
# DATE column
PARTITION_COLUMNS = ("month_end", "month", "month_start", "report_month", "business_date", "as_of_date",
                     "snapshot_date", "balance_date", "posting_date", "transaction_date", "valid_from")


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    cpu_ticks: int  # utime + stime of the process itself (its threads), not of its children
    rss_pages: int


def parse_proc_stat(text: str) -> ProcStat:
    """One /proc/<pid>/stat line. The command (field 2) is in parentheses and may hold spaces or parentheses, so the
    fields are counted from its last ``)``."""
    pid = int(text[:text.index(" ")])
    rest = text[text.rindex(")") + 2:].split()
    # rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24
    return ProcStat(pid=pid, ppid=int(rest[1]), cpu_ticks=int(rest[11]) + int(rest[12]), rss_pages=int(rest[21]))


def descendants(parents: dict[int, int], root: int) -> set[int]:
    """Every process below ``root`` in a pid -> parent pid map."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _proc_table() -> dict[int, ProcStat]:
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                    stat = parse_proc_stat(handle.read())
            except (OSError, ValueError, IndexError):
                continue
            table[stat.pid] = stat
    return table


@dataclass
class TreeSampler:
    """The CPU ticks and memory of a process and of its descendants, sampled until stopped."""

    root: int
    own_ticks: int = 0
    child_ticks: dict[int, int] = field(default_factory=dict)
    child_names: dict[int, str] = field(default_factory=dict)
    peak_rss_pages: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        table = _proc_table()
        below = descendants({pid: s.ppid for pid, s in table.items()}, self.root)
        if self.root in table:
            self.own_ticks = max(self.own_ticks, table[self.root].cpu_ticks)
        rss = table[self.root].rss_pages if self.root in table else 0
        for pid in below:
            self.child_ticks[pid] = max(self.child_ticks.get(pid, 0), table[pid].cpu_ticks)
            rss += table[pid].rss_pages
            if pid not in self.child_names:
                try:
                    self.child_names[pid] = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
                except OSError:
                    self.child_names[pid] = "?"
        self.peak_rss_pages = max(self.peak_rss_pages, rss)

    def run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Phase:
    name: str
    wall_s: float
    cpu_s: float  # everything: the Python process and its descendants (the JVM included)
    python_cpu_s: float
    jvm_cpu_s: float  # the descendants (Spark's JVM and its launcher), 0 for DuckDB phases
    peak_rss_mb: float
    load_avg: float
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"wall_s": round(self.wall_s, 2), "cpu_s": round(self.cpu_s, 2),
                "python_cpu_s": round(self.python_cpu_s, 2), "jvm_cpu_s": round(self.jvm_cpu_s, 2),
                "peak_rss_mb": round(self.peak_rss_mb), "load_avg": round(self.load_avg, 2), **self.detail}


def run_child_measured(name: str, cmd: Sequence[str], env: dict[str, str], cwd: Path) -> Phase:
    """Run ``cmd``; its wall time, its CPU split into the Python process's and its descendants' (the JVM)."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    sampler = TreeSampler(proc.pid)
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    sampler.stop()
    thread.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name}: {' '.join(cmd)} failed:\n{output[-4000:]}")
    waited = usage.ru_utime + usage.ru_stime  # the child and the descendants it waited for
    python = sampler.own_ticks / CLOCK_TICKS
    # the descendants: Spark's launcher scripts (bash) that exec the JVM, so the JVM's pid first shows as bash
    jvm = sum(sampler.child_ticks.values()) / CLOCK_TICKS
    sampled = python + jvm
    return Phase(name, wall, max(waited, sampled), python, jvm,
                 max(sampler.peak_rss_pages * PAGE_BYTES / 2**20, usage.ru_maxrss / 1024), load,
                 {"rusage_cpu_s": round(waited, 2), "sampled_cpu_s": round(sampled, 2)})


def run_here_measured(name: str, step: Callable[[], Any]) -> tuple[Phase, Any]:
    """Run ``step`` in this process (DuckDB's threads included in its CPU)."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    value = step()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Phase(name, wall, cpu, cpu, 0.0, after.ru_maxrss / 1024, load), value


def _dbt_env(database: Path) -> dict[str, str]:
    from crmwh.build import dbt_env

    return {k: v for k, v in dbt_env(database).items() if os.environ.get(k) != v}


def duckdb_build(warehouse: Path, copy: Path) -> tuple[list[Phase], Path]:
    shutil.copyfile(warehouse, copy)
    args = full_refresh_args((REPO / "crmwh" / "dbt_runs.py").read_text(encoding="utf-8"))
    target = copy.with_suffix(".target")
    project = REPO / "dbt_project"
    phase = run_child_measured("dbt_duckdb", [DBT, *args, "--quiet", "--project-dir", str(project), "--profiles-dir",
                                              str(project), "--target-path", str(target)],
                               _dbt_env(copy), project)
    return [phase], target / "run_results.json"


def spark_build(warehouse: Path, copy: Path, lake: Path) -> tuple[list[Phase], Path, Path]:
    """The phases of crmwh/spark_build.py, one by one; the Spark run_results.json and the export folder."""
    from contracts.profile import load_profile
    from crmwh import spark_build as sb
    from ingest.lake import sync_lake

    shutil.copyfile(warehouse, copy)
    shutil.rmtree(lake, ignore_errors=True)
    profile = load_profile().spark

    def sync() -> Any:
        con = duckdb.connect(str(copy), read_only=True)
        try:
            return sync_lake(con, lake)
        finally:
            con.close()

    lake_phase, report = run_here_measured("lake", sync)
    lake_phase.detail = {"files": report.batches_written, "rows": report.rows_written,
                         "bytes": sum(p.stat().st_size for p in lake.rglob("*.parquet"))}
    spark_home = sb.spark_home_for(copy, profile)
    shutil.rmtree(spark_home, ignore_errors=True)
    spark_home.mkdir(parents=True)
    export = spark_home / "export"
    project = REPO / "dbt_project"
    target = copy.with_suffix(".spark-target")
    args = list(full_refresh_args((REPO / "crmwh" / "dbt_runs.py").read_text(encoding="utf-8")))
    args[args.index("--selector") + 1] = sb.SPARK_SELECTOR
    env = {**_dbt_env(copy), **sb.spark_env(profile, spark_home, lake), "DBT_TARGET_PATH": str(target)}
    dbt_phase = run_child_measured(
        "dbt_spark", [sys.executable, "-m", "crmwh.spark_dbt", "--export", str(export), "--", *args, "--target",
                      "spark", "--project-dir", str(project), "--profiles-dir", str(project)], env, spark_home)
    dbt_phase.detail["master"] = profile.master
    exported = json.loads((export / "exported.json").read_text(encoding="utf-8"))
    back_phase, tables = run_here_measured("write_back", lambda: sb.write_back(copy, exported))
    back_phase.detail = {"tables": tables}
    after_target = copy.with_suffix(".after-target")
    after = run_child_measured("dbt_duckdb_after", [DBT, *sb.DUCKDB_AFTER_SPARK_ARGS, "--quiet", "--project-dir",
                                                    str(project), "--profiles-dir", str(project), "--target-path",
                                                    str(after_target)], _dbt_env(copy), project)
    return [lake_phase, dbt_phase, back_phase, after], target / "run_results.json", export


def node_seconds(run_results: Path) -> dict[str, float]:
    """Seconds per node (model, seed, snapshot, test) of a dbt run, from its run_results.json."""
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    return {r["unique_id"]: round(float(r.get("execution_time") or 0.0), 3) for r in results}


def _biggest_tables(con: duckdb.DuckDBPyConnection, count: int) -> list[tuple[str, str, int]]:
    rows = con.execute(
        "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() WHERE schema_name IN "
        f"({', '.join('?' for _ in MODEL_SCHEMAS)}) ORDER BY estimated_size DESC LIMIT ?",
        [*MODEL_SCHEMAS, count]).fetchall()
    return [(s, t, int(n)) for s, t, n in rows]


def partition_column(columns: list[tuple[str, str]]) -> str | None:
    """The column a model is partitioned by month on: the first of PARTITION_COLUMNS it has as a DATE, else its
    first DATE column; None when it has no DATE column."""
    dates = [name for name, kind in columns if kind.upper() == "DATE"]
    for wanted in PARTITION_COLUMNS:
        if wanted in dates:
            return wanted
    return dates[0] if dates else None


def model_partitions(copy: Path, export: Path, duck_nodes: dict[str, float], spark_nodes: dict[str, float],
                     count: int) -> list[dict[str, Any]]:
    """Rows and bytes per month of the ``count`` biggest models, and seconds per month on both engines."""
    out = []
    con = duckdb.connect(str(copy), read_only=True)
    try:
        for schema, table, rows in _biggest_tables(con, count):
            columns = [(n, str(k)) for n, k in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND "
                "table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()]
            column = partition_column(columns)
            files = list((export / schema / table).glob("*.parquet"))
            size = sum(p.stat().st_size for p in files)
            per_month: list[int] = []
            if column:
                per_month = [int(n) for (n,) in con.execute(
                    f'SELECT count(*) FROM "{schema}"."{table}" GROUP BY date_trunc(\'month\', "{column}") '
                    "ORDER BY 1").fetchall()]
            node = next((k for k in duck_nodes if k.startswith("model.") and k.endswith(f".{table}")), None)
            months = max(1, len(per_month))
            duck_s, spark_s = duck_nodes.get(node or ""), spark_nodes.get(node or "")
            out.append({
                "model": f"{schema}.{table}", "rows": rows, "parquet_bytes": size, "columns": len(columns),
                "bytes_per_row": round(size / rows, 1) if rows else None, "partition_column": column,
                "months": len(per_month), "rows_per_month": {
                    "min": min(per_month, default=0), "median": statistics.median(per_month) if per_month else 0,
                    "max": max(per_month, default=0)},
                "duckdb_s": duck_s, "spark_s": spark_s,
                "duckdb_s_per_month": round(duck_s / months, 3) if duck_s is not None else None,
                "spark_s_per_month": round(spark_s / months, 3) if spark_s is not None else None,
                "spark_us_per_row": round(1e6 * spark_s / rows, 2) if spark_s is not None and rows else None,
                "duckdb_us_per_row": round(1e6 * duck_s / rows, 2) if duck_s is not None and rows else None,
            })
    finally:
        con.close()
    return out


def lake_partitions(lake: Path) -> dict[str, Any]:
    """Files, rows and bytes per business_date folder of the lake's raw tables."""
    per_day: dict[str, dict[str, int]] = {}
    for path in (lake / "raw").glob("*/business_date=*/*.parquet"):
        day = path.parent.name.split("=", 1)[1]
        entry = per_day.setdefault(day, {"files": 0, "bytes": 0, "rows": 0})
        entry["files"] += 1
        entry["bytes"] += path.stat().st_size
    con = duckdb.connect()
    try:
        for day, entry in per_day.items():
            pattern = str(lake / "raw" / "*" / f"business_date={day}" / "*.parquet").replace("'", "''")
            found = con.execute(f"SELECT sum(num_rows) FROM (SELECT DISTINCT file_name, row_group_id, "
                                f"row_group_num_rows AS num_rows FROM parquet_metadata('{pattern}'))").fetchone()
            entry["rows"] = int(found[0] or 0) if found else 0
    finally:
        con.close()
    days = sorted(per_day)

    def spread(key: str) -> dict[str, float]:
        values = [per_day[d][key] for d in days]
        return {"min": min(values, default=0), "median": statistics.median(values) if values else 0,
                "max": max(values, default=0), "total": sum(values)}

    return {"business_dates": len(days), "files": spread("files"), "rows": spread("rows"), "bytes": spread("bytes")}


def linear_fit(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Least squares ``y = fixed + per_x * x``: (fixed, per_x)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    per_x = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0
    return mean_y - per_x * mean_x, per_x


def node_cost_fit(copy: Path, duck_nodes: dict[str, float], spark_nodes: dict[str, float]) -> dict[str, Any]:
    """Per engine, a model's seconds as a fixed part plus a part per output row, fitted over every model built as
    a table (the fixed part is what a small model costs; the per-row part is what grows with the bank)."""
    con = duckdb.connect(str(copy), read_only=True)
    try:
        rows = {t: int(n) for t, n in con.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name IN "
            f"({', '.join('?' for _ in MODEL_SCHEMAS)})", list(MODEL_SCHEMAS)).fetchall()}
    finally:
        con.close()
    out: dict[str, Any] = {}
    for engine, nodes in (("duckdb", duck_nodes), ("spark", spark_nodes)):
        points = [(float(rows[n.rsplit(".", 1)[1]]), s) for n, s in nodes.items()
                  if n.startswith("model.") and n.rsplit(".", 1)[1] in rows]
        fixed, per_row = linear_fit(points)
        out[engine] = {"models": len(points), "fixed_s": round(fixed, 3), "us_per_row": round(per_row * 1e6, 3)}
    return out


def _summarise(runs: list[list[Phase]]) -> dict[str, Any]:
    names = [p.name for p in runs[0]]
    out: dict[str, Any] = {}
    for i, name in enumerate(names):
        phases = [run[i] for run in runs]
        out[name] = {"median_wall_s": round(statistics.median(p.wall_s for p in phases), 2),
                     "median_cpu_s": round(statistics.median(p.cpu_s for p in phases), 2),
                     "runs": [p.as_dict() for p in phases]}
    out["total"] = {"median_wall_s": round(statistics.median(sum(p.wall_s for p in r) for r in runs), 2),
                    "median_cpu_s": round(statistics.median(sum(p.cpu_s for p in r) for r in runs), 2),
                    "median_jvm_cpu_s": round(statistics.median(sum(p.jvm_cpu_s for p in r) for r in runs), 2)}
    return out


def _raw_rows(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall()]
        rows = sum(int(con.execute(f'SELECT count(*) FROM raw."{t}"').fetchone()[0]) for t in tables)  # type: ignore[index]
        days = con.execute("SELECT count(DISTINCT business_date) FROM audit.deliveries").fetchone()
        return {"raw_tables": len(tables), "raw_rows": rows, "business_dates": int(days[0]) if days else 0}
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spark", description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="an ingested warehouse (raw + audit)")
    parser.add_argument("--label", default="", help="what the warehouse is (scale x days), for the record")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--biggest", type=int, default=8, help="how many of the biggest models to break down")
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench-spark")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results-spark-0.1.json")
    parser.add_argument("--reuse", action="store_true",
                        help="no runs: analyse the copies of the last invocation again, keeping its timings (--out)")
    args = parser.parse_args(argv)
    warehouse, work = args.warehouse.absolute(), args.workdir.absolute()
    work.mkdir(parents=True, exist_ok=True)
    started = os.getloadavg()
    runs: dict[str, list[list[Phase]]] = {"duckdb": [], "spark": []}
    duck_results: Path | None = work / "duckdb.target" / "run_results.json"
    spark_results: Path | None = work / "spark.spark-target" / "run_results.json"
    export: Path | None = work / "spark.spark" / "export"
    measured: dict[str, Any] = {}
    if args.reuse:  # the runs of the last invocation, analysed again
        measured = {k: v for k, v in json.loads(args.out.read_text(encoding="utf-8")).items()
                    if k in ("duckdb", "spark", "machine")}
    for i in range(0 if args.reuse else args.repeat):
        order = ("duckdb", "spark") if i % 2 == 0 else ("spark", "duckdb")
        for engine in order:
            if engine == "duckdb":
                phases, duck_results = duckdb_build(warehouse, work / "duckdb.duckdb")
            else:
                phases, spark_results, export = spark_build(warehouse, work / "spark.duckdb", work / "lake")
            runs[engine].append(phases)
            for p in phases:
                print(f"{engine} run {i + 1} {p.name}: {p.wall_s:.1f} s wall, {p.cpu_s:.1f} s CPU "
                      f"(python {p.python_cpu_s:.1f}, jvm {p.jvm_cpu_s:.1f}), {p.peak_rss_mb:.0f} MB, "
                      f"load {p.load_avg:.1f}", flush=True)
    assert duck_results and spark_results and export
    if not args.reuse:
        measured = {"duckdb": _summarise(runs["duckdb"]), "spark": _summarise(runs["spark"]),
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "load_avg_start": started, "load_avg_end": os.getloadavg(),
                                "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}
        args.out.write_text(json.dumps(measured, indent=1) + "\n", encoding="utf-8")  # kept if the analysis fails
    duck_nodes, spark_nodes = node_seconds(duck_results), node_seconds(spark_results)
    kinds = ("model", "seed", "snapshot", "test")
    result: dict[str, Any] = {
        "warehouse": args.label or str(warehouse), **_raw_rows(warehouse),
        **measured,
        "node_seconds_by_kind": {
            engine: {k: round(sum(v for n, v in nodes.items() if n.startswith(k + ".")), 2) for k in kinds}
            for engine, nodes in (("duckdb", duck_nodes), ("spark", spark_nodes))},
        "nodes": {"duckdb": len(duck_nodes), "spark": len(spark_nodes)},
        "slowest_nodes": sorted(({"node": n, "duckdb_s": duck_nodes.get(n), "spark_s": s}
                                 for n, s in spark_nodes.items()), key=lambda d: -float(d["spark_s"] or 0))[:15],
        "model_partitions": model_partitions(work / "duckdb.duckdb", export, duck_nodes, spark_nodes, args.biggest),
        "lake_partitions": lake_partitions(work / "lake"),
        "model_cost_fit": node_cost_fit(work / "duckdb.duckdb", duck_nodes, spark_nodes),
    }
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
