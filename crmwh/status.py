"""``crmwh status``: what the operator needs to know each morning, from the served warehouse (read-only).

Per system and business date: loaded (with its rejected rows and volume warnings), held, refused, rejected, withdrawn,
missing (a gap: no delivery at all while later dates exist), pending (in the landing area, not ingested yet); per
system a summary; and the last publish and build. Read from ``audit`` of the version served now, never written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from crmwh import publish

LOADED = "LOADED"
HELD = "HELD"
REFUSED = "REFUSED"
REJECTED = "REJECTED"
WITHDRAWN = "WITHDRAWN"
MISSING = "MISSING"
PENDING = "PENDING"
STATES = (LOADED, HELD, REFUSED, REJECTED, WITHDRAWN, MISSING, PENDING)
# States that mean a delivery the bank sent (or should have sent) is not in the warehouse: `crmwh status` exits 1.
NOT_LOADED = frozenset({HELD, REFUSED, REJECTED, MISSING})

# audit.deliveries reason codes of a delivery that is not loaded → the state shown (see ingest.audit)
_STATE_OF_CODE = {"CHECK_FAILED": REJECTED, "ERROR": REJECTED, "HELD": HELD, "GAP": HELD,
                  "CHANGED_REDELIVERY": REFUSED, "OUT_OF_ORDER": REFUSED, "WITHDRAWN": REFUSED}


@dataclass(frozen=True)
class Day:
    system: str
    business_date: date
    state: str
    detail: str = ""
    batch_id: int | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0

    @property
    def needs_attention(self) -> bool:
        return self.state != LOADED or bool(self.detail)


@dataclass
class Status:
    served: Path
    version: Path | None
    published: str | None = None  # UTC time the version was made the served one
    previous: Path | None = None
    last_build: str | None = None
    unbuilt: int = 0  # deliveries loaded after the newest batch the last build saw
    days: list[Day] = field(default_factory=list)

    @property
    def not_loaded(self) -> list[Day]:
        return [d for d in self.days if d.state in NOT_LOADED]

    @property
    def attention(self) -> list[Day]:
        return [d for d in self.days if d.needs_attention]

    def by_system(self) -> dict[str, list[Day]]:
        out: dict[str, list[Day]] = {}
        for d in self.days:
            out.setdefault(d.system, []).append(d)
        return out

    def render(self, show_all: bool = False) -> str:
        lines = [f"warehouse {self.served}"]
        if self.version is None:
            lines.append("  nothing published yet")
        else:
            lines.append(f"  serves {self.version.name}" + (f", published {self.published}" if self.published else "")
                         + (f"; previous version {self.previous.name} (crmwh restore)" if self.previous else ""))
        lines.append(f"  last build: {self.last_build or 'none yet (run `crmwh build`)'}")
        if self.unbuilt:
            lines.append(f"  {self.unbuilt} deliveries loaded since the last build: run `crmwh build`")
        lines.append("")
        lines.append(f"{'system':<11}{'first':<11} {'last loaded':<11} {'loaded':>6} {'held':>5} {'refused':>7} "
                     f"{'rejected':>8} {'withdrawn':>9} {'missing':>7} {'pending':>7} {'rows rejected':>13}")
        for system, days in self.by_system().items():
            count = {s: sum(d.state == s for d in days) for s in STATES}
            loaded = [d.business_date for d in days if d.state == LOADED]
            first = f"{days[0].business_date:%Y-%m-%d}"
            last = f"{max(loaded):%Y-%m-%d}" if loaded else "-"
            lines.append(f"{system:<11}{first:<11} {last:<11} {count[LOADED]:>6} {count[HELD]:>5} "
                         f"{count[REFUSED]:>7} {count[REJECTED]:>8} {count[WITHDRAWN]:>9} {count[MISSING]:>7} "
                         f"{count[PENDING]:>7} {sum(d.rows_rejected for d in days):>13,}")
        shown = self.days if show_all else self.attention
        if shown:
            lines.append("")
            lines.append("by business date" + ("" if show_all else " (what needs attention; --all for every day)")
                         + ":")
            for d in sorted(shown, key=lambda d: (d.business_date, d.system)):
                batch = f" (batch {d.batch_id})" if d.batch_id is not None else ""
                lines.append(f"  {d.business_date:%Y-%m-%d} {d.system:<10} {d.state}{batch}"
                             + (f": {d.detail}" if d.detail else ""))
        elif self.days:
            lines += ["", "every delivery is loaded, without gaps"]
        return "\n".join(lines)


def read_status(served: Path, landing: Path | None = None, systems: Sequence[str] | None = None) -> Status:
    version = publish.resolve_served(served) if served.exists() else None
    status = Status(served, version)
    if version is None:
        return status
    history = publish.served_history(served)
    status.published = next((t for t, name in reversed(history) if name == version.name), None)
    status.previous = publish.previous_version(served)
    con = duckdb.connect(str(version), read_only=True)
    try:
        tables = {t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'audit'").fetchall()}
        if "dbt_builds" in tables:
            row = con.execute("SELECT mode, reason, started_at, max_batch_id FROM audit.dbt_builds "
                              "ORDER BY build_id DESC LIMIT 1").fetchone()
            if row is not None:
                status.last_build = f"{row[2]:%Y-%m-%d %H:%M} UTC, {row[0]} ({row[1]}), deliveries up to batch {row[3]}"
                if "deliveries" in tables:
                    status.unbuilt = int(con.execute(  # type: ignore[index]
                        "SELECT count(*) FROM audit.deliveries WHERE status = 'LOADED' AND batch_id > ?",
                        [row[3]]).fetchone()[0])
        rows = _latest_attempts(con) if "deliveries" in tables else []
        warnings = dict(con.execute(  # type: ignore[arg-type]
            "SELECT batch_id, string_agg(message, '; ' ORDER BY file_name) FROM audit.delivery_warnings "
            "GROUP BY batch_id").fetchall()) if "delivery_warnings" in tables else {}
    finally:
        con.close()
    from contracts.contract import load_contracts

    order = {s: i for i, s in enumerate(load_contracts().systems)}
    status.days = sorted(_days(rows, _landing_days(landing, systems), systems, warnings),
                         key=lambda d: (order.get(d.system, len(order)), d.system, d.business_date))
    return status


def _latest_attempts(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        """
        WITH ranked AS (
            SELECT *, row_number() OVER (PARTITION BY system, business_date ORDER BY batch_id DESC) AS rank
            FROM audit.deliveries
        )
        SELECT a.system, a.business_date, a.status, a.reason_code, a.reason, a.batch_id,
               l.batch_id, coalesce(l.rows_loaded, 0), coalesce(l.rows_rejected, 0)
        FROM ranked a
        LEFT JOIN audit.deliveries l
            ON l.system = a.system AND l.business_date = a.business_date AND l.status = 'LOADED'
        WHERE a.rank = 1
        ORDER BY a.business_date, a.system
        """).fetchall()


def _landing_days(landing: Path | None, systems: Sequence[str] | None) -> set[tuple[str, date]]:
    if landing is None or not landing.is_dir():
        return set()
    from contracts.contract import load_contracts
    from ingest.landing import discover

    deliveries, _ = discover(landing, load_contracts(), systems)
    return {(d.system, d.business_date) for d in deliveries}


def _days(rows: list[tuple], in_landing: set[tuple[str, date]], systems: Sequence[str] | None,
          warnings: dict[int, str] | None = None) -> list[Day]:
    days: dict[tuple[str, date], Day] = {}
    for system, day, status, code, reason, batch_id, loaded_batch, rows_loaded, rows_rejected in rows:
        if systems and system not in systems:
            continue
        if loaded_batch is not None:
            detail = f"{rows_rejected:,} rows rejected (audit.rejected_rows)" if rows_rejected else ""
            # a volume or continuity warning (ingest.volume): loaded, but the operator should look at the file
            if warnings and loaded_batch in warnings:
                detail = (detail + "; " if detail else "") + f"volume warning: {warnings[loaded_batch]}"
            if batch_id != loaded_batch and code == "CHANGED_REDELIVERY":
                detail = (detail + "; " if detail else "") + f"a changed redelivery was refused: {reason}"
            days[(system, day)] = Day(system, day, LOADED, detail, loaded_batch, rows_loaded, rows_rejected)
        elif status == "WITHDRAWN":
            days[(system, day)] = Day(system, day, WITHDRAWN, reason or "", batch_id)
        else:
            days[(system, day)] = Day(system, day, _STATE_OF_CODE.get(code or "", REJECTED), reason or "", batch_id)
    for system, day in sorted(in_landing - set(days)):
        days[(system, day)] = Day(system, day, PENDING, "in the landing area, not ingested yet")
    # a gap: no delivery at all for a business day (bank profile calendar) between a system's first one and the newest
    # date of any system; days off and systems whose extracts come only on change are never missing
    from contracts.contract import load_contracts

    contracts = load_contracts()
    horizon = max((d for _, d in days), default=None)
    firsts: dict[str, date] = {}
    for system, day in days:
        firsts[system] = min(day, firsts.get(system, day))
    for system, first in firsts.items():
        day = first
        while horizon is not None and day <= horizon:
            if (system, day) not in days and (system not in contracts.systems
                                              or contracts.expects_delivery(system, day)):
                days[(system, day)] = Day(system, day, MISSING, "no delivery: later dates of the system wait for it")
            day += timedelta(days=1)
    return list(days.values())

