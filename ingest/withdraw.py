"""Taking a delivery out again: ``crmwh withdraw SYSTEM DATE``, for a delivery that was wrongly dated or wrong.

What goes, in one transaction:

- the delivery itself: its loaded batch (if it loaded) leaves raw; if it never loaded (held, refused) it is only
  marked, so that it cannot load later;
- everything that depends on it: the later loaded days of the same system (they were loaded on top of it), and the
  same and later days of every system whose foreign keys point at it (``ref`` for all the others).

Each withdrawn delivery gets a marker row in ``audit.deliveries`` (status ``WITHDRAWN``, a batch id of its own;
``replaced_batch_id`` names the batch taken out) and a row in ``audit.withdrawals`` (who, when, why, rows removed);
the loaded batch itself turns ``WITHDRAWN`` too, its files ``WITHDRAWN``. Nothing is deleted from the landing area or
from ``audit``. Afterwards:

- the withdrawn delivery is refused while its files stay the same (reason code ``WITHDRAWN``); a corrected delivery of
  that date (changed files) loads. With ``requeue`` it is not refused: it loads again in its place, after the days
  before it (the repair of a day loaded before an earlier, late one);
- the dependent deliveries load again on the next run, in date order, from the landing area;
- the next build recomputes the marts from raw (``crmwh.dbt_runs``: a withdrawal since the last build means a full
  refresh), since incremental models only ever add what is new.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import date

import duckdb

from contracts.contract import ContractSet
from contracts.errors import CrmwhError
from ingest import audit
from ingest.attempt import now


class WithdrawError(CrmwhError):
    """Nothing to withdraw (no such delivery); nothing was changed."""


@dataclass(frozen=True)
class Withdrawn:
    system: str
    business_date: date
    dependent: bool
    batch_id: int | None  # the loaded batch taken out; None when the delivery had not loaded
    rows_removed: int


@dataclass
class WithdrawReport:
    system: str
    business_date: date
    withdrawn: list[Withdrawn] = field(default_factory=list)
    already: bool = False  # it was withdrawn before, and nothing loaded since: nothing done

    def summary(self) -> str:
        head = f"{self.system} {self.business_date:%Y-%m-%d}"
        if self.already:
            return f"{head} is already withdrawn; nothing changed"
        lines = [f"withdrew {head} and {sum(w.dependent for w in self.withdrawn)} deliveries that depend on it; "
                 f"{sum(w.rows_removed for w in self.withdrawn):,} raw rows removed"]
        for w in self.withdrawn:
            state = f"batch {w.batch_id}, {w.rows_removed:,} rows" if w.batch_id is not None else "not loaded"
            role = "depends on it, loads again on the next run" if w.dependent else "withdrawn"
            lines.append(f"  {w.system:<10} {w.business_date:%Y-%m-%d} ({state}): {role}")
        lines.append("run `crmwh build` to load again what depends on it and rebuild the marts from raw")
        return "\n".join(lines)


def dependents(contracts: ContractSet, system: str) -> list[str]:
    """The systems whose foreign keys point at ``system``, directly or through others (in system order)."""
    found: set[str] = set()
    frontier = {system}
    while frontier:
        frontier = {s for s in contracts.systems for c in contracts.for_system(s) for fk in c.foreign_keys
                    if fk.ref_system in frontier and s != fk.ref_system and s not in found and s != system}
        found |= frontier
    return [s for s in contracts.systems if s in found]


def withdraw(con: duckdb.DuckDBPyConnection, contracts: ContractSet, system: str, day: date, reason: str,
             *, requeue: bool = False) -> WithdrawReport:
    """Withdraw ``system``'s delivery of ``day`` and what depends on it (see the module); one transaction."""
    if system not in contracts.systems:
        raise WithdrawError(f"unknown system {system!r}; the contracts define {', '.join(contracts.systems)}")
    if not reason.strip():
        raise WithdrawError("say why (--reason): the reason is kept in audit.withdrawals")
    audit.ensure_schema(con, contracts.contracts)
    result = WithdrawReport(system, day)
    attempts = con.execute(
        "SELECT batch_id, status, reason_code, fingerprint FROM audit.deliveries WHERE system = ? "
        "AND business_date = ? ORDER BY batch_id", [system, day]).fetchall()
    if not attempts:
        raise WithdrawError(f"no delivery of {system} for {day:%Y-%m-%d} in audit.deliveries: nothing to withdraw "
                            "(`crmwh status` lists what there is)")
    loaded = [a for a in attempts if a[1] == audit.LOADED]
    code = audit.WITHDRAWN_WITH if requeue else audit.WITHDRAWN_BY_OPERATOR
    for _, status, reason_code, _ in reversed(attempts):
        if status == audit.LOADED:
            break
        if status == audit.WITHDRAWN:
            if reason_code == code:
                result.already = True
                return result
            break
    affected = [system, *dependents(contracts, system)]
    marks = ", ".join("?" for _ in affected)
    batches = con.execute(
        f"SELECT batch_id, system, business_date, fingerprint FROM audit.deliveries WHERE status = 'LOADED' "
        f"AND system IN ({marks}) AND (business_date > ? OR (business_date = ? AND system <> ?)) "
        f"ORDER BY business_date, batch_id", [*affected, day, day, system]).fetchall()
    targets: list[tuple[int | None, str, date, str | None, bool]] = []
    if loaded:
        targets.append((loaded[0][0], system, day, loaded[0][3], False))
    else:  # never loaded: mark it with the fingerprint it was last seen with
        targets.append((None, system, day, attempts[-1][3], False))
    targets += [(b, s, d, fp, True) for b, s, d, fp in batches]
    at = now()
    who = _user()
    con.execute("BEGIN TRANSACTION")
    try:
        next_batch = int(con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM audit.deliveries").fetchone()[0])  # type: ignore[index]
        withdrawal_id = int(con.execute(
            "SELECT coalesce(max(withdrawal_id), 0) + 1 FROM audit.withdrawals").fetchone()[0])  # type: ignore[index]
        for i, (batch_id, s, d, fp, dependent) in enumerate(targets):
            marker = next_batch + i
            removed = _remove_rows(con, contracts, s, batch_id) if batch_id is not None else 0
            row_code = audit.WITHDRAWN_WITH if dependent else code
            why = (f"withdrawn with {system} {day:%Y-%m-%d}: {reason}" if dependent else f"withdrawn: {reason}")
            if batch_id is not None:
                con.execute(
                    "UPDATE audit.deliveries SET status = ?, reason_code = ?, reason = ?, superseded_by_batch_id = ?, "
                    "superseded_at = ? WHERE batch_id = ?", [audit.WITHDRAWN, row_code, why, marker, at, batch_id])
                con.execute("UPDATE audit.delivery_files SET status = ? WHERE batch_id = ?",
                            [audit.FILE_WITHDRAWN, batch_id])
            audit.insert_delivery(con, {
                "batch_id": marker, "system": s, "business_date": d, "status": audit.WITHDRAWN,
                "reason_code": row_code, "reason": why, "started_at": at, "finished_at": at,
                "duration_seconds": 0.0, "reload": False, "replaced_batch_id": batch_id, "fingerprint": fp,
                "rows_loaded": 0,
            })
            con.execute(
                "INSERT INTO audit.withdrawals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [withdrawal_id, at, who, system, day, reason, s, d, dependent, batch_id, marker, removed])
            result.withdrawn.append(Withdrawn(s, d, dependent, batch_id, removed))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result


def _remove_rows(con: duckdb.DuckDBPyConnection, contracts: ContractSet, system: str, batch_id: int) -> int:
    removed = 0
    for contract in contracts.for_system(system):
        row = con.execute(f"DELETE FROM {audit.raw_table_ref(contract)} WHERE _batch_id = ?", [batch_id]).fetchone()
        removed += int(row[0]) if row else 0
    return removed


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
