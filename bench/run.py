"""``make bench``: throughput figures for the pipeline, printed and written to a JSON file.

Each step runs in a fresh child process so that wall time and peak memory (the child's own max RSS) are its own.
Steps that are compared run side by side in the same invocation, alternating, and the medians are quoted: the machines
are noisy, so ratios within one run mean more than absolute seconds across runs.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import contribution
from bench import postgres as pg
from contracts.contract import load_contracts
from crmwh import dbt_runs

REPO = Path(__file__).resolve().parent.parent
DBT_PROJECT = REPO / "dbt_project"
PYTHON = sys.executable


@dataclass
class Measured:
    seconds: float
    cpu_seconds: float  # user + system of the child (and its waited-for children), from os.wait4's rusage
    peak_rss_mb: float
    stdout: str
    load_avg: float  # 1-minute load average when the step started: wall time swings with it on a shared machine
    server_cpu_seconds: float | None = None  # PostgreSQL steps: the server's processes (bench.postgres)


def run_measured(args: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> Measured:
    """Run ``args`` as a child process; its wall time, its CPU time (user + system) and its own peak memory."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{out[-2000:]}\n{err[-4000:]}")
    return Measured(seconds=seconds, cpu_seconds=usage.ru_utime + usage.ru_stime, peak_rss_mb=usage.ru_maxrss / 1024,
                    stdout=out, load_avg=load)


def summary(runs: list[Measured]) -> dict[str, object]:
    """Medians and every run of a step: wall seconds, CPU seconds (user + system), peak memory, load when it ran."""
    out: dict[str, object] = {
        "median_seconds": round(statistics.median(m.seconds for m in runs), 2),
        "median_cpu_seconds": round(statistics.median(m.cpu_seconds for m in runs), 2),
        "all_seconds": [round(m.seconds, 2) for m in runs],
        "all_cpu_seconds": [round(m.cpu_seconds, 2) for m in runs],
        "peak_rss_mb": round(max(m.peak_rss_mb for m in runs)),
        "load_avg": [round(m.load_avg, 2) for m in runs],
    }
    if runs[0].server_cpu_seconds is not None:
        server = [m.server_cpu_seconds or 0.0 for m in runs]
        out["median_server_cpu_seconds"] = round(statistics.median(server), 2)
        out["all_server_cpu_seconds"] = [round(x, 2) for x in server]
        out["median_total_cpu_seconds"] = round(statistics.median(
            m.cpu_seconds + (m.server_cpu_seconds or 0.0) for m in runs), 2)
    return out


def _ratio(a: dict[str, object], b: dict[str, object], key: str = "median_seconds") -> float:
    return round(float(a[key]) / float(b[key]), 2)  # type: ignore[arg-type]


def _crmwh(*args: str) -> list[str]:
    return [PYTHON, "-m", "crmwh.cli", *args]


def export_ref(ref: str, workdir: Path) -> Path:
    """The source tree of git revision ``ref`` in ``workdir`` (for the old loader run side by side)."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout.strip()
    target = workdir / f"ref-{sha[:12]}"
    if not (target / "ingest").is_dir():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", sha, "ingest", "contracts", "crmwh", "synth"], cwd=REPO,
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def _landing_bytes(landing: Path) -> int:
    return sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())


def _remove_warehouse(path: Path) -> None:
    """A warehouse `crmwh ingest` published: the served link, its versions and its lock (or a plain file)."""
    from crmwh import publish

    shutil.rmtree(publish.versions_dir(path), ignore_errors=True)
    for leftover in (path, publish.lock_path(path)):
        leftover.unlink(missing_ok=True)


def _loaded_rows(db: Path) -> int:
    import duckdb  # the child wrote it; read how many rows landed

    with duckdb.connect(str(db), read_only=True) as con:
        return int(con.execute(
            "SELECT sum(rows_loaded) FROM audit.deliveries WHERE status = 'LOADED'").fetchone()[0])  # type: ignore[index]


def _postgres_step(server: pg.Server, args: list[str]) -> Measured:
    before_pids = pg.server_pids()
    before = pg.server_cpu_seconds()
    measured = run_measured(args)
    pg.settle(before_pids)
    measured.server_cpu_seconds = pg.server_cpu_seconds() - before
    return measured


def bench_scale(scale: float, days: int, repeat: int, workdir: Path, sections: set[str],
                ref: str | None = None, pg_dsn: str = pg.DEFAULT_DSN) -> dict[str, object]:
    landing = workdir / f"landing-{scale}-{days}"
    manifest_path = landing / "_manifest.json"
    gen = None
    if not manifest_path.exists():  # same scale, days and seed: same bytes, so an earlier landing is reused
        shutil.rmtree(landing, ignore_errors=True)
        gen = run_measured(
            _crmwh("generate", "--scale", str(scale), "--days", str(days), "--seed", "7", "--landing", str(landing),
                   "--quiet")
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    gen_rows = int(manifest["totals"]["rows"])
    size_mb = _landing_bytes(landing) / 1e6
    ref_dir = export_ref(ref, workdir) if ref else None

    server = pg.Server(pg_dsn)
    postgres = "postgres" in sections
    skipped: dict[str, str] = {}
    if postgres and (why := server.available()) is not None:
        skipped["postgres"] = f"PostgreSQL at '{pg_dsn}' does not answer ({why}); set BENCH_PG"
        print(f"bench: postgres section skipped: {skipped['postgres']}", flush=True)
        postgres = False
    pg_db = f"crmwh_bench_{os.getpid()}"
    pg_script = workdir / "pg-load.sql"
    query_file = workdir / "contribution.sql"
    if postgres:
        script, _ = pg.load_script(landing)
        pg_script.write_text(script, encoding="utf-8")
        query_file.write_text(contribution.CHECKSUM.format(query=contribution.QUERY) + ";\n", encoding="utf-8")

    runs: dict[str, list[Measured]] = {}
    ingest_rows = 0
    checks: dict[str, str] = {}
    floor_db = workdir / f"floor-{scale}.duckdb"
    warehouse = workdir / f"ingest-{scale}.duckdb"
    for _ in range(repeat):
        # alternating, so that a burst of load from other users of the machine hits every step alike
        floor_db.unlink(missing_ok=True)
        runs.setdefault("floor", []).append(
            run_measured([PYTHON, "-m", "bench.floor", "--landing", str(landing), "--db", str(floor_db)]))
        if postgres:
            q = run_measured([PYTHON, "-m", "bench.contribution", "--db", str(floor_db)])
            # the query alone, as the child timed it: Python's start-up is no part of DuckDB's answer time
            q.seconds, q.cpu_seconds = (float(x) for x in q.stdout.split()[:2])
            runs.setdefault("duckdb_query", []).append(q)
            checks["duckdb"] = " ".join(q.stdout.split()[2:])
        floor_db.unlink(missing_ok=True)
        for name, cwd in (("ingest", REPO), ("ingest_ref", ref_dir)):
            if cwd is None:
                continue
            _remove_warehouse(warehouse)
            env = {"PYTHONPATH": str(cwd)} if cwd != REPO else None
            runs.setdefault(name, []).append(run_measured(
                _crmwh("ingest", "--landing", str(landing), "--warehouse", str(warehouse), "--quiet"),
                env=env, cwd=cwd))
            rows = _loaded_rows(warehouse)
            if name == "ingest":
                ingest_rows = rows
            elif rows != ingest_rows:
                raise SystemExit(f"bench: the reference loader loaded {rows} rows, this one {ingest_rows}")
        if postgres:
            server.execute("postgres", f"DROP DATABASE IF EXISTS {pg_db}")
            server.execute("postgres", f"CREATE DATABASE {pg_db}")
            try:
                runs.setdefault("postgres_load", []).append(
                    _postgres_step(server, server.psql(pg_db, "-f", str(pg_script))))
                q = _postgres_step(server, server.psql(pg_db, "-At", "-F", " ", "-f", str(query_file)))
                runs.setdefault("postgres_query", []).append(q)
                checks["postgres"] = q.stdout.strip()
            finally:
                server.execute("postgres", f"DROP DATABASE IF EXISTS {pg_db}")
    if postgres and checks["duckdb"] != checks["postgres"]:
        raise SystemExit(f"bench: the contribution query disagrees: DuckDB {checks['duckdb']}, "
                         f"PostgreSQL {checks['postgres']}")

    steps = {name: summary(measured) for name, measured in runs.items()}
    floor, ingest = steps["floor"], steps["ingest"]
    ingest_s = float(ingest["median_seconds"])  # type: ignore[arg-type]
    ingest.update(rows=ingest_rows, rows_per_s=round(ingest_rows / ingest_s))
    ratios: dict[str, float] = {
        "ingest_vs_floor": _ratio(ingest, floor),
        "ingest_vs_floor_cpu": _ratio(ingest, floor, "median_cpu_seconds"),
    }
    if ref_dir is not None:
        ratios["ingest_ref_vs_floor"] = _ratio(steps["ingest_ref"], floor)
        ratios["ingest_ref_vs_floor_cpu"] = _ratio(steps["ingest_ref"], floor, "median_cpu_seconds")
        ratios["ingest_vs_ingest_ref"] = _ratio(ingest, steps["ingest_ref"])
        ratios["ingest_vs_ingest_ref_cpu"] = _ratio(ingest, steps["ingest_ref"], "median_cpu_seconds")
    if postgres:
        load, query = steps["postgres_load"], steps["postgres_query"]
        ratios["postgres_load_vs_floor"] = _ratio(load, floor)
        ratios["postgres_load_vs_floor_cpu"] = round(
            float(load["median_total_cpu_seconds"]) / float(floor["median_cpu_seconds"]), 2)  # type: ignore[arg-type]
        ratios["postgres_query_vs_duckdb_query"] = _ratio(query, steps["duckdb_query"])
        ratios["postgres_query_vs_duckdb_query_cpu"] = round(
            float(query["median_total_cpu_seconds"])  # type: ignore[arg-type]
            / float(steps["duckdb_query"]["median_cpu_seconds"]), 2)  # type: ignore[arg-type]
        steps["contribution_checksum"] = {"rows_and_rounded_total": checks["duckdb"]}  # type: ignore[assignment]

    # the last ingest's warehouse stays for the later sections
    later: dict[str, object] = {}
    if "build" in sections:
        later.update(bench_build_and_validate(warehouse))
        build = later["dbt_build"]
        ratios["build_vs_floor"] = _ratio(build, floor)  # type: ignore[arg-type]
        ratios["build_vs_floor_cpu"] = _ratio(build, floor, "median_cpu_seconds")  # type: ignore[arg-type]
        # the share of validation in the whole build from scratch (ingest + dbt build + validate), as `crmwh build` runs
        whole = ingest_s + float(build["median_seconds"]) + float(later["validate"]["median_seconds"])  # type: ignore[index]
        later["validate_vs_whole_build"] = round(float(later["validate"]["median_seconds"]) / whole, 3)  # type: ignore[index]
    if "superset" in sections:
        later["superset_chart_latency"] = bench_superset(warehouse, workdir)
    _remove_warehouse(warehouse)
    return {
        "scale": scale,
        "days": days,
        "repeat": repeat,
        "landing_mb": round(size_mb, 1),
        "files": sum(1 for p in landing.rglob("*") if p.is_file() and p.suffix != ".flg" and p.name[0] != "_"),
        "rows": gen_rows,
        "ref": ref,
        "generate": None if gen is None else {
            "seconds": round(gen.seconds, 2),
            "cpu_seconds": round(gen.cpu_seconds, 2),
            "rows_per_s": round(gen_rows / gen.seconds),
            "peak_rss_mb": round(gen.peak_rss_mb),
        },
        **steps,
        "ratios": ratios,
        "skipped": skipped,
        **later,
    }


def _dbt(*args: str) -> list[str]:
    dbt = Path(PYTHON).with_name("dbt")
    project = str(DBT_PROJECT)
    return [str(dbt), *args, "--project-dir", project, "--profiles-dir", project]


def bench_build_and_validate(warehouse: Path) -> dict[str, object]:
    """Full `dbt build` (models and data tests, as `crmwh build` runs it) on the ingested warehouse, then validation.

    Validation records its results, as `crmwh build` does: the data-quality dashboard of the latency bench reads them.
    """
    env = {"CRMWH_DBT_DATABASE": str(warehouse), "DO_NOT_TRACK": "1"}
    # the command `crmwh build` runs for a full refresh (generic tests folded into one node, no unit tests)
    build = run_measured(_dbt(*dbt_runs.FULL_REFRESH_ARGS, "--quiet"), env=env)
    validate = run_measured(
        _crmwh("validate", "--warehouse", str(warehouse), "--quiet")
    )
    return {
        "dbt_build": summary([build]),
        "validate": summary([validate]),
        "validate_vs_build": round(validate.seconds / build.seconds, 3),
    }


def bench_superset(warehouse: Path, workdir: Path) -> dict[str, object]:
    out = workdir / "superset-latency.json"
    run_measured([PYTHON, "-m", "bench.charts", "--warehouse", str(warehouse), "--rounds", "3", "--json", str(out)])
    figures = json.loads(out.read_text(encoding="utf-8"))
    return {k: figures[k] for k in ("charts", "requests", "p50_ms", "p95_ms", "database") if k in figures}


def _build_steps(output: str) -> dict[str, float]:
    """The wall seconds of each step of a `crmwh build`, from its summary line: "build published (ingest 5.6s, …)"."""
    match = re.search(r"build published \((.*?)\)\n", output)
    steps: dict[str, float] = {}
    for part in match.group(1).split(", ") if match else []:
        name, _, seconds = part.rpartition(" ")
        if seconds.endswith("s"):
            steps[name] = float(seconds[:-1])
    return steps


def _build_figures(m: Measured) -> dict[str, object]:
    return {"wall_seconds": round(m.seconds, 2), "cpu_seconds": round(m.cpu_seconds, 2),
            "peak_rss_mb": round(m.peak_rss_mb), "load_avg": round(m.load_avg, 2),
            "steps_wall_seconds": _build_steps(m.stdout)}


def bench_incremental(scale: float, history_days: int, workdir: Path, repeat: int) -> dict[str, object]:
    """What a bank runs: `crmwh build` end to end (ingest, dbt, validate, publish) on a history, then on one more day.

    On a bank of ``history_days`` days (seed 7, the last generated day held back): the first build (ingest of the whole
    history, full dbt build, validation, publish); a full rebuild of the same warehouse (`--no-ingest --full-refresh`:
    the dbt build and the validation of the marts, the raw deliveries already validated), the reference the daily
    build is quoted against; the daily build once the held day is landed (its ingest, the incremental dbt build,
    validation, publish); then the same command with nothing new (the cost a daily build has whatever the day holds:
    dbt's start-up, the working copy of the served file, the tables rebuilt whole, the checks). CPU seconds include
    dbt and every other child the build waits for. Runs once each (``repeat`` is not used: a scale-1 full build takes
    minutes); read the CPU seconds, the wall seconds swing with the machine's load.
    """
    del repeat
    landing = workdir / f"landing-inc-{scale}-{history_days}"
    held = workdir / f"held-{scale}-{history_days}"
    db = workdir / f"inc-{scale}-{history_days}.duckdb"
    models = workdir / "no-models"  # no trained models: scoring is measured by bench.models
    models.mkdir(parents=True, exist_ok=True)
    if not (landing / "_manifest.json").exists():  # same scale, days and seed: same bytes, reused
        shutil.rmtree(landing, ignore_errors=True)
        run_measured(_crmwh("generate", "--scale", str(scale), "--days", str(history_days + 1), "--seed", "7",
                            "--landing", str(landing), "--quiet"))
    _remove_warehouse(db)
    shutil.rmtree(held, ignore_errors=True)
    # every system of the contracts that delivered (marketing included), not a list that falls behind them
    systems = [s for s in load_contracts().systems if (landing / s).is_dir()]
    last_days = [max(d for d in (landing / s).iterdir() if d.is_dir()) for s in systems]
    for day in last_days:
        (held / day.parent.name).mkdir(parents=True, exist_ok=True)
        day.rename(held / day.parent.name / day.name)
    build = ("build", "--warehouse", str(db), "--models", str(models), "--quiet")
    try:
        first = run_measured(_crmwh(*build, "--landing", str(landing)))
        full = run_measured(_crmwh(*build, "--no-ingest", "--full-refresh"))
    finally:
        for day in last_days:
            if (held / day.parent.name / day.name).exists():
                (held / day.parent.name / day.name).rename(day)
        shutil.rmtree(held, ignore_errors=True)
    daily = run_measured(_crmwh(*build, "--landing", str(landing)))
    if "(incremental)" not in daily.stdout:
        raise SystemExit(f"bench: expected an incremental dbt build on the new day, got:\n{daily.stdout[-1000:]}")
    nothing_new = run_measured(_crmwh(*build, "--landing", str(landing)))
    _remove_warehouse(db)
    return {
        "scale": scale,
        "history_days": history_days,
        "first_build": _build_figures(first),
        "full_rebuild": _build_figures(full),
        "daily_build": _build_figures(daily),
        "nothing_new_build": _build_figures(nothing_new),
        "daily_vs_full_rebuild_cpu": round(daily.cpu_seconds / full.cpu_seconds, 3),
        "daily_vs_full_rebuild_wall": round(daily.seconds / full.seconds, 3),
        "daily_vs_first_build_cpu": round(daily.cpu_seconds / first.cpu_seconds, 3),
        "nothing_new_vs_full_rebuild_cpu": round(nothing_new.cpu_seconds / full.cpu_seconds, 3),
    }


def run(
    out: Path, scales: list[float], days: int, repeat: int, sections: set[str], incremental: list[tuple[float, int]],
    workdir: Path = REPO / "bench" / "out", ref: str | None = None, pg_dsn: str = pg.DEFAULT_DSN,
) -> None:
    """Every section asked for, at every scale; figures printed and written to ``out`` as they come."""
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "sections": sorted(sections),
        "scales": [],
    }
    for scale in scales:
        print(f"bench: scale {scale}, {days} days, {repeat} side-by-side runs …", flush=True)
        figures = bench_scale(scale, days, repeat, workdir, sections, ref=ref, pg_dsn=pg_dsn)
        results["scales"].append(figures)  # type: ignore[union-attr]
        _print_scale(figures)
        _write(out, results)
    if "incremental" in sections:
        results["incremental"] = []
        for inc_scale, inc_days in incremental:
            print(f"bench: one-day incremental build after {inc_days} days at scale {inc_scale} …", flush=True)
            inc = bench_incremental(inc_scale, inc_days, workdir, repeat)
            results["incremental"].append(inc)  # type: ignore[union-attr]
            full, day = inc["full_rebuild"], inc["daily_build"]
            print(f"    full rebuild {full['cpu_seconds']} s CPU ({full['wall_seconds']} s wall); one more day "
                  f"{day['cpu_seconds']} s CPU ({day['wall_seconds']} s wall) = {inc['daily_vs_full_rebuild_cpu']:.1%} "
                  f"of the full rebuild's CPU (target ≤ 10 %, issue 12); nothing new "
                  f"{inc['nothing_new_build']['cpu_seconds']} s CPU", flush=True)
            _write(out, results)
    results["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]  # type: ignore[index]
    _write(out, results)
    print(f"bench: wrote {out}")


def _write(out: Path, results: dict[str, object]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _line(name: str, step: dict[str, object]) -> str:
    text = (f"    {name:<15} {step['median_seconds']:>8} s wall  {step['median_cpu_seconds']:>8} s CPU"
            f"  peak {step['peak_rss_mb']} MB  load {step['load_avg']}")
    if "median_server_cpu_seconds" in step:
        text += f"  (server CPU {step['median_server_cpu_seconds']} s)"
    return text


def _print_scale(f: dict[str, object]) -> None:
    print(f"  scale {f['scale']} x {f['days']} days: {f['files']} files, {f['rows']:,} rows, {f['landing_mb']} MB "
          f"(medians of {f['repeat']})", flush=True)
    for name in ("floor", "ingest", "ingest_ref", "postgres_load", "duckdb_query", "postgres_query", "dbt_build",
                 "validate"):
        if isinstance(f.get(name), dict):
            print(_line(name, f[name]), flush=True)  # type: ignore[arg-type]
    for name, value in f["ratios"].items():  # type: ignore[union-attr]
        print(f"    {name:<36} {value}", flush=True)
    if "superset_chart_latency" in f:
        lat = f["superset_chart_latency"]
        print(f"    charts     p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms over {lat['requests']} requests "  # type: ignore[index]
              "(target p95 < 1 s)", flush=True)
