"""``make bench``: throughput figures for the pipeline, printed and written to a JSON file.

Each step runs in a fresh child process so that wall time and peak memory (the child's own max RSS) are its own.
Steps that are compared run side by side in the same invocation, alternating, and the medians are quoted: the machines
are noisy, so ratios within one run mean more than absolute seconds across runs.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crmwh import dbt_runs

REPO = Path(__file__).resolve().parent.parent
DBT_PROJECT = REPO / "dbt_project"
PYTHON = sys.executable


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    stdout: str


def run_measured(args: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run ``args`` as a child process; its wall time and its own peak resident memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=REPO, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{out[-2000:]}\n{err[-4000:]}")
    return Measured(seconds=seconds, peak_rss_mb=usage.ru_maxrss / 1024, stdout=out)


def _crmwh(*args: str) -> list[str]:
    return [PYTHON, "-m", "crmwh.cli", *args]


def _plain_read_csv_script(landing: Path, db: Path) -> list[str]:
    """DuckDB's plain read_csv over every data file of the landing area, into a fresh database file.

    The baseline reads the same bytes with no checks: GBK files as latin-1 (no transcoding), fixed-width files as one
    text column per line.
    """
    code = f"""
import duckdb, sys
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
from contracts.contract import load_contracts
from contracts.control import read_control_file
cs = load_contracts()
con = duckdb.connect({str(db)!r})
n = 0
for system in cs.systems:
    for day_dir in sorted(Path({str(landing)!r}, system).glob('[0-9]' * 8)):
        for c in cs.load_order(system):
            f = day_dir / c.file_name(__import__('datetime').date(int(day_dir.name[:4]), int(day_dir.name[4:6]),
                                                               int(day_dir.name[6:])))
            # an empty file would make read_csv sniff a one-column table that later files cannot be appended to
            if not f.exists() or read_control_file(f.with_suffix('.flg')).record_count == 0:
                continue
            table = c.raw_table
            enc = 'latin-1' if c.format.encoding == 'gbk' else 'utf-8'
            if c.format.kind == 'fixed_width':
                opts = "delim=chr(1), header=false, columns={{'line': 'VARCHAR'}}, quote=''"
            else:
                header = 'true' if c.format.header else 'false'
                opts = f"delim='{{c.format.delimiter}}', header={{header}}"
            src = f"read_csv('{{f}}', {{opts}}, encoding='{{enc}}')"
            exists = con.execute("select count(*) from information_schema.tables where table_name = ?",
                                 [table]).fetchone()[0]
            if exists:
                con.execute(f"INSERT INTO {{table}} SELECT * FROM {{src}}")
            else:
                con.execute(f"CREATE TABLE {{table}} AS SELECT * FROM {{src}}")
            n += 1
con.execute('CHECKPOINT')
rows = sum(con.execute(f"select count(*) from {{t}}").fetchone()[0]
           for (t,) in con.execute("select table_name from information_schema.tables").fetchall())
print(n, rows)
"""
    return [PYTHON, "-c", code]


def _landing_bytes(landing: Path) -> int:
    return sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())


def bench_scale(scale: float, days: int, repeat: int, workdir: Path, sections: set[str]) -> dict[str, object]:
    landing = workdir / f"landing-{scale}"
    shutil.rmtree(landing, ignore_errors=True)
    gen = run_measured(
        _crmwh("generate", "--scale", str(scale), "--days", str(days), "--seed", "7", "--landing", str(landing),
               "--quiet")
    )
    manifest = json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))
    gen_rows = int(manifest["totals"]["rows"])
    size_mb = _landing_bytes(landing) / 1e6

    ingest_runs: list[Measured] = []
    plain_runs: list[Measured] = []
    ingest_rows = 0
    for i in range(repeat):
        db = workdir / f"ingest-{scale}-{i}.duckdb"
        db.unlink(missing_ok=True)
        ingest_runs.append(run_measured(_crmwh("ingest", "--landing", str(landing), "--warehouse", str(db), "--quiet")))
        import duckdb  # the child wrote it; read how many rows landed

        with duckdb.connect(str(db), read_only=True) as con:
            ingest_rows = int(
                con.execute("SELECT sum(rows_loaded) FROM audit.deliveries WHERE status = 'LOADED'").fetchone()[0]  # type: ignore[index]
            )
        if i < repeat - 1:
            db.unlink(missing_ok=True)
        plain_db = workdir / f"plain-{scale}-{i}.duckdb"
        plain_db.unlink(missing_ok=True)
        plain_runs.append(run_measured(_plain_read_csv_script(landing, plain_db)))
        plain_db.unlink(missing_ok=True)

    ingest_s = statistics.median(m.seconds for m in ingest_runs)
    plain_s = statistics.median(m.seconds for m in plain_runs)
    warehouse = workdir / f"ingest-{scale}-{repeat - 1}.duckdb"
    later: dict[str, object] = {}
    if "build" in sections:
        later.update(bench_build_and_validate(warehouse))
        # the share of validation in the whole build from scratch (ingest + dbt build + validate), as `crmwh build` runs
        whole = ingest_s + later["dbt_build"]["seconds"] + later["validate"]["seconds"]  # type: ignore[index]
        later["validate_vs_whole_build"] = round(later["validate"]["seconds"] / whole, 3)  # type: ignore[index]
    if "superset" in sections:
        later["superset_chart_latency"] = bench_superset(warehouse, workdir)
    warehouse.unlink(missing_ok=True)
    return {
        "scale": scale,
        "days": days,
        "landing_mb": round(size_mb, 1),
        "generate": {
            "seconds": round(gen.seconds, 2),
            "rows": gen_rows,
            "rows_per_s": round(gen_rows / gen.seconds),
            "peak_rss_mb": round(gen.peak_rss_mb),
        },
        "ingest": {
            "repeat": repeat,
            "median_seconds": round(ingest_s, 2),
            "all_seconds": [round(m.seconds, 2) for m in ingest_runs],
            "rows": ingest_rows,
            "rows_per_s": round(ingest_rows / ingest_s),
            "peak_rss_mb": round(max(m.peak_rss_mb for m in ingest_runs)),
        },
        "plain_read_csv": {
            "median_seconds": round(plain_s, 2),
            "all_seconds": [round(m.seconds, 2) for m in plain_runs],
            "rows_per_s": round(ingest_rows / plain_s),
            "peak_rss_mb": round(max(m.peak_rss_mb for m in plain_runs)),
        },
        "ingest_throughput_vs_plain_read_csv": round(plain_s / ingest_s, 3),
        "generate_seconds_vs_ingest": round(gen.seconds / ingest_s, 3),
        **later,
    }


def _dbt(*args: str) -> list[str]:
    dbt = Path(PYTHON).with_name("dbt")
    project = str(DBT_PROJECT)
    return [str(dbt), *args, "--project-dir", project, "--profiles-dir", project]


def bench_build_and_validate(warehouse: Path) -> dict[str, object]:
    """Full `dbt build` (models and tests) on the ingested warehouse, then validation, on the same file.

    Validation records its results, as `crmwh build` does: the data-quality dashboard of the latency bench reads them.
    """
    env = {"CRMWH_DBT_DATABASE": str(warehouse), "DO_NOT_TRACK": "1"}
    build = run_measured(_dbt("build", "--full-refresh", "--quiet"), env=env)
    validate = run_measured(
        _crmwh("validate", "--warehouse", str(warehouse), "--quiet")
    )
    return {
        "dbt_build": {"seconds": round(build.seconds, 2), "peak_rss_mb": round(build.peak_rss_mb)},
        "validate": {"seconds": round(validate.seconds, 2), "peak_rss_mb": round(validate.peak_rss_mb)},
        "validate_vs_build": round(validate.seconds / build.seconds, 3),
    }


def bench_superset(warehouse: Path, workdir: Path) -> dict[str, object]:
    out = workdir / "superset-latency.json"
    run_measured([PYTHON, "-m", "bench.charts", "--warehouse", str(warehouse), "--rounds", "3", "--json", str(out)])
    figures = json.loads(out.read_text(encoding="utf-8"))
    return {k: figures[k] for k in ("charts", "requests", "p50_ms", "p95_ms") if k in figures}


def bench_incremental(scale: float, history_days: int, workdir: Path, repeat: int) -> dict[str, object]:
    """Build ``history_days`` days in full, then time ingest + `dbt build` of the one day after them.

    The one-day build runs ``repeat`` times, each from a copy of the warehouse as it was before it (the day ingested,
    not built); the median is quoted. The full build runs once: at scale 1 it takes minutes.
    """
    landing = workdir / f"landing-inc-{scale}-{history_days}"
    held = workdir / f"held-{scale}-{history_days}"
    db = workdir / f"inc-{scale}-{history_days}.duckdb"
    before_day = db.with_suffix(".before-day.duckdb")
    for path in (landing, held):
        shutil.rmtree(path, ignore_errors=True)
    for path in (db, before_day):
        path.unlink(missing_ok=True)
    run_measured(_crmwh("generate", "--scale", str(scale), "--days", str(history_days + 1), "--seed", "7",
                        "--landing", str(landing), "--quiet"))
    last_days = [max(d for d in (landing / s).iterdir() if d.is_dir()) for s in ("ref", "core", "cards", "accounting")]
    for day in last_days:
        (held / day.parent.name).mkdir(parents=True, exist_ok=True)
        day.rename(held / day.parent.name / day.name)
    env = {"CRMWH_DBT_DATABASE": str(db), "DO_NOT_TRACK": "1"}
    run_measured(_crmwh("ingest", "--landing", str(landing), "--warehouse", str(db), "--quiet"))
    # the dbt commands `crmwh build` chooses (crmwh/dbt_runs.py): a full refresh first, then the daily selector
    full_plan = dbt_runs.plan_build(db, DBT_PROJECT, force_full=True)
    full_started = dbt_runs.now()
    full = run_measured(_dbt(*full_plan.dbt_args, "--quiet"), env=env)
    # recorded as `crmwh build` does: the daily build's data tests read the rows of the deliveries after this build's
    dbt_runs.record_build(db, full_plan, full_started, full.seconds)
    for day in last_days:
        (held / day.parent.name / day.name).rename(day)
    ingest_day = run_measured(_crmwh("ingest", "--landing", str(landing), "--warehouse", str(db), "--quiet"))
    day_plan = dbt_runs.plan_build(db, DBT_PROJECT)
    if day_plan.mode != dbt_runs.INCREMENTAL:
        raise SystemExit(f"bench: expected a daily build after the full one, got {day_plan.mode} ({day_plan.reason})")
    shutil.copyfile(db, before_day)
    day_runs: list[Measured] = []
    for i in range(max(repeat, 1)):
        if i:
            shutil.copyfile(before_day, db)
        day_runs.append(run_measured(_dbt(*day_plan.dbt_args, "--quiet"), env=env))
    day_s = statistics.median(m.seconds for m in day_runs)
    shutil.rmtree(landing, ignore_errors=True)
    shutil.rmtree(held, ignore_errors=True)
    for path in (db, before_day):
        path.unlink(missing_ok=True)
    return {
        "scale": scale,
        "history_days": history_days,
        "full_build_seconds": round(full.seconds, 2),
        "one_day_ingest_seconds": round(ingest_day.seconds, 2),
        "one_day_build_seconds": round(day_s, 2),
        "one_day_build_all_seconds": [round(m.seconds, 2) for m in day_runs],
        "one_day_build_vs_full": round(day_s / full.seconds, 3),
        "full_build_peak_rss_mb": round(full.peak_rss_mb),
        "one_day_build_peak_rss_mb": round(max(m.peak_rss_mb for m in day_runs)),
    }


def run(
    out: Path, scales: list[float], days: int, repeat: int, sections: set[str], incremental: list[tuple[float, int]],
    workdir: Path = REPO / "bench" / "out",
) -> None:
    """Every section asked for, at every scale; figures printed and written to ``out`` as they come."""
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "scales": [],
    }
    for scale in scales:
        print(f"bench: scale {scale}, {days} days, {repeat} side-by-side runs …", flush=True)
        figures = bench_scale(scale, days, repeat, workdir, sections)
        results["scales"].append(figures)  # type: ignore[union-attr]
        _print_scale(figures)
        _write(out, results)
    if "incremental" in sections:
        results["incremental"] = []
        for inc_scale, inc_days in incremental:
            print(f"bench: one-day incremental build after {inc_days} days at scale {inc_scale} …", flush=True)
            inc = bench_incremental(inc_scale, inc_days, workdir, repeat)
            results["incremental"].append(inc)  # type: ignore[union-attr]
            print(f"    full build {inc['full_build_seconds']} s; one more day: "
                  f"ingest {inc['one_day_ingest_seconds']} s, build {inc['one_day_build_seconds']} s "
                  f"= {inc['one_day_build_vs_full']:.1%} of the full build (target ≤ 5 %)", flush=True)
            _write(out, results)
    print(f"bench: wrote {out}")


def _write(out: Path, results: dict[str, object]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _print_scale(f: dict[str, object]) -> None:
    g, i, p = f["generate"], f["ingest"], f["plain_read_csv"]
    print(
        f"  scale {f['scale']}: {f['landing_mb']} MB of extracts\n"
        f"    generate   {g['seconds']:>8} s  {g['rows_per_s']:>10,} rows/s  peak {g['peak_rss_mb']} MB\n"  # type: ignore[index]
        f"    ingest     {i['median_seconds']:>8} s  {i['rows_per_s']:>10,} rows/s  peak {i['peak_rss_mb']} MB"  # type: ignore[index]
        f"  (median of {i['repeat']})\n"  # type: ignore[index]
        f"    read_csv   {p['median_seconds']:>8} s  {p['rows_per_s']:>10,} rows/s  peak {p['peak_rss_mb']} MB\n"  # type: ignore[index]
        f"    ingest throughput = {f['ingest_throughput_vs_plain_read_csv']:.0%} of plain read_csv (target ≥ 60 %)",
        flush=True,
    )
    if "dbt_build" in f:
        b, v = f["dbt_build"], f["validate"]
        print(f"    dbt build  {b['seconds']:>8} s  peak {b['peak_rss_mb']} MB\n"  # type: ignore[index]
              f"    validate   {v['seconds']:>8} s  = {f['validate_vs_build']:.0%} of the dbt build, "  # type: ignore[index]
              f"{f['validate_vs_whole_build']:.0%} of ingest + dbt build + validate (target < 20 %)",
              flush=True)
    if "superset_chart_latency" in f:
        lat = f["superset_chart_latency"]
        print(f"    charts     p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms over {lat['requests']} requests "  # type: ignore[index]
              "(target p95 < 1 s)", flush=True)

