"""Time from trigger to delivered mail for the monthly management pack (经营分析月报), on the production profile.

    .venv/bin/python -m bench.reports --warehouse var/warehouse/crmwh.duckdb --repeat 3 --out bench/results-reports.json

Starts the production profile (gunicorn, Celery worker and beat; PostgreSQL and Redis on 127.0.0.1) over the
warehouse with an aiosmtpd sink, then per repetition sends the pack's Celery task (what beat does when it is due) and
waits for the .eml in the sink's outbox: wall seconds from the send to the file, and the CPU seconds (user + sys) the
Superset process tree spent meanwhile (Chromium included). Medians are reported. The pack's calendar condition is made
true and its grace period zero (tests/support/reports_harness.py), so every repetition sends.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from dashboards import mailsink
from tests.support import reports_harness as rh
from tests.support import superset_harness as harness

REDIS_DB = 12
MAIL_TIMEOUT_S = 300.0


def _tree_cpu(root: int) -> float:
    """User + system CPU seconds of a process and its live descendants (children's reaped time included)."""
    total = 0.0
    try:
        procs = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            continue
    return total


def measure(warehouse: Path, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        work = Path(tmp)
        reports = rh.reports_dir(work / "reports", pack_grace_hours=0)
        runs: list[dict[str, float]] = []
        with (
            mailsink.MailSink(work / "outbox", port=harness.free_port()) as sink,
            rh.production(work / "superset", warehouse, sink, reports, REDIS_DB, work / "serve.log") as server,
        ):
            api = server.client()
            report_id = rh.schedule_ids(api)[rh.PACK]
            for n in range(1, repeat + 1):
                before = len(list(sink.outbox.glob("*.eml")))
                cpu0, started = _tree_cpu(server.process.pid), time.perf_counter()
                rh.trigger(server, report_id)
                while len(list(sink.outbox.glob("*.eml"))) <= before:
                    if time.perf_counter() - started > MAIL_TIMEOUT_S:
                        raise harness.HarnessError(f"no mail within {MAIL_TIMEOUT_S:.0f} s:\n{server.log_tail()}")
                    time.sleep(0.2)
                wall = time.perf_counter() - started
                cpu = _tree_cpu(server.process.pid) - cpu0
                runs.append({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)})
                print(f"  run {n}: monthly pack delivered {wall:.1f} s after the trigger, {cpu:.1f} CPU s", flush=True)
            startup = server.startup_s
    return {
        "what": "monthly pack (经营分析月报, A4 PDF by Chromium): Celery task sent -> .eml in the SMTP sink",
        "warehouse": str(warehouse),
        "repeat": repeat,
        "runs": runs,
        "median_wall_s": statistics.median(r["wall_s"] for r in runs),
        "median_cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "superset_startup_s": round(startup, 1),
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="a built warehouse (crmwh build)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results-reports.json"))
    args = parser.parse_args(argv)
    if not rh.services_reachable():
        print("bench.reports: PostgreSQL :5432 and Redis :6379 must be running", file=sys.stderr)
        return 2
    figures = measure(args.warehouse.absolute(), args.repeat)
    args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"median {figures['median_wall_s']} s wall, {figures['median_cpu_s']} CPU s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
