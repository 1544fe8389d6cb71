"""The PostgreSQL peer: the same files loaded with COPY, and the same contribution query, through ``psql``.

What a bank's team would otherwise use. The bench creates a database of its own on the server it is pointed at
(``BENCH_PG``, default ``host=127.0.0.1 port=5432 user=postgres``, trust authentication), loads every data file of the
landing area with one ``\\copy`` per file into typed tables (PostgreSQL transcodes GBK itself: ``ENCODING 'GBK'``;
fixed-width files go in as whole lines and are cut with ``substr`` in one statement per extract, as the DuckDB floor
does), runs ``bench.contribution.QUERY`` and drops the database.

The server's processes are not children of the bench, so their CPU time is read from ``/proc``: the live ``postgres``
processes' own time plus what the postmaster collected from backends that exited (``cutime`` + ``cstime``), before and
after each step. Other sessions on the same server would be counted too; the bench's own database is the only one
busy during a step on this machine.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from contracts.contract import Contract, load_contracts

DEFAULT_DSN = "host=127.0.0.1 port=5432 user=postgres"


@dataclass(frozen=True)
class Server:
    dsn: str  # libpq keyword/value string, without dbname

    def psql(self, dbname: str, *args: str) -> list[str]:
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"{self.dsn} dbname={dbname}", *args]

    def available(self) -> str | None:
        """None when the server answers; else why not."""
        try:
            done = subprocess.run(self.psql("postgres", "-Atc", "SELECT 1"), capture_output=True, text=True,
                                  timeout=20)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if done.returncode == 0 and done.stdout.strip() == "1" else (done.stderr.strip() or "no answer")

    def execute(self, dbname: str, sql: str) -> str:
        done = subprocess.run(self.psql(dbname, "-Atc", sql), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"psql: {sql}: {done.stderr.strip()}")
        return done.stdout.strip()


def server_cpu_seconds() -> float:
    """CPU seconds (user + system) the PostgreSQL server's processes have used so far, exited backends included."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1: text.rindex(")")]
        if comm != "postgres":
            continue
        fields = text[text.rindex(")") + 2:].split()
        # fields[0] is state (field 3); utime, stime, cutime, cstime are fields 14-17
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        total += utime + stime + cutime + cstime
    return total / tick


def server_pids() -> set[int]:
    pids = set()
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                pids.add(int(comm.parent.name))
        except OSError:
            continue
    return pids


def settle(before: set[int], timeout: float = 30.0) -> None:
    """Wait until the backends a step started have exited (and so their CPU time is in the postmaster's)."""
    deadline = time.monotonic() + timeout
    while server_pids() - before and time.monotonic() < deadline:
        time.sleep(0.05)


def _pg_type(contract: Contract, name: str) -> str:
    column = contract.column(name)
    return {"string": "text", "integer": "bigint", "date": "date"}.get(column.type) or \
        f"numeric({column.precision},{column.scale})"


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load_script(landing: Path) -> tuple[str, int]:
    """The psql script that creates the tables and loads every data file; and the number of files."""
    contracts = load_contracts()
    lines = ["SET client_min_messages = warning;"]
    n = 0
    for c in contracts.contracts:
        pattern = c.file.replace("{yyyymmdd}", "[0-9]" * 8)
        files = sorted(p for p in (landing / c.system).glob(f"[0-9]*/{pattern}") if p.stat().st_size > 0)
        cols = ", ".join(f"{col.name} {_pg_type(c, col.name)}" for col in c.columns)
        lines.append(f"CREATE TABLE {c.raw_table} ({cols}, filename text);")
        fixed = c.format.kind == "fixed_width"
        target = f"_lines_{c.raw_table}" if fixed else c.raw_table
        if fixed:
            lines.append(f"CREATE TEMP TABLE {target} (line text, filename text);")
            opts = "FORMAT csv, DELIMITER E'\\x1e', QUOTE E'\\x1f', HEADER false"
            columns = "(line)"
        else:
            opts = f"FORMAT csv, DELIMITER {_q(c.format.delimiter or ',')}, HEADER {str(c.format.header).lower()}"
            columns = "(" + ", ".join(c.column_names) + ")"
        opts += f", ENCODING {_q(c.format.encoding.upper().replace('-', ''))}"
        for f in files:
            lines.append(f"ALTER TABLE {target} ALTER COLUMN filename SET DEFAULT {_q(str(f))};")
            lines.append(f"\\copy {target} {columns} FROM {shlex.quote(str(f))} WITH ({opts})")
            n += 1
        if fixed:
            cut = ", ".join(
                f"CAST(NULLIF(trim(substr(line, {col.start}, {col.width})), '') AS {_pg_type(c, col.name)})"
                for col in c.columns)
            lines.append(f"INSERT INTO {c.raw_table} SELECT {cut}, filename FROM {target};")
            lines.append(f"DROP TABLE {target};")
    return "\n".join(lines) + "\n", n
