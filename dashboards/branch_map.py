"""Which branch each branch manager (支行行长) sees, read from the published warehouse.

A user holding the 支行行长 role sees the subtree of exactly one branch (分行, 支行 or 网点), found in this order:

1. the **managers file** (``--managers`` / ``CRMWH_BRANCH_MANAGERS``), a CSV with the header
   ``username,branch_code``, for managers who are not on the RM roster;
2. the **demo user** (``branch_manager``) gets the demo branch (``CRMWH_SUPERSET_DEMO_BRANCH``, default the first
   支行 of the warehouse);
3. the **RM roster**: a user whose name is the staff id (``rm_id``) of an active relationship manager in
   ``marts.dim_relationship_manager`` gets that RM's branch.

A user holding the 客户经理 (relationship manager) role and named after the staff id of an active RM sees that RM's
own customers (``active_rms``).

Every branch code must be a region, branch or sub-branch of ``marts.dim_branch`` (the head office is no subtree: a
head-office user needs the analyst role). A manager found nowhere gets no branch, and row-level security then gives
them no rows (``dashboards.security``). Standard library and duckdb only: used by bootstrap and ``crmwh users sync``
inside Superset's virtualenv, and by the unit tests in the warehouse's.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from contracts.errors import CrmwhError, ExitCode
from dashboards import settings

ENV_DEMO_BRANCH = "CRMWH_SUPERSET_DEMO_BRANCH"
SOURCE_FILE = "managers file"
SOURCE_DEMO = "demo user"
SOURCE_ROSTER = "RM roster"
SCOPE_LEVELS = ("REGION", "BRANCH", "SUB")
HEADER = ("username", "branch_code")


class BranchMapError(CrmwhError):
    """The branch mapping cannot be read (no warehouse, no branch dimension, an unreadable managers file)."""


@dataclass(frozen=True)
class Branch:
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Assignment:
    username: str
    branch: Branch
    source: str


@dataclass
class BranchMap:
    """Every user that can be mapped, by user name, plus the lines of the managers file that were not used."""

    assignments: dict[str, Assignment] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)
    from_file: set[str] = field(default_factory=set)
    # the staff ids of the active RMs: a 客户经理 user named so sees that RM's own customers (dashboards.security)
    active_rms: set[str] = field(default_factory=set)


@dataclass
class SyncReport:
    """What ``crmwh users sync`` (or bootstrap) left in Superset; the same state always prints the same text."""

    mapped: list[Assignment]
    unmapped: list[str]
    rejected: list[str]
    not_managers: list[str]
    rms_mapped: list[str] = field(default_factory=list)  # 客户经理 users who are active RMs (their own customers)
    rms_unmapped: list[str] = field(default_factory=list)  # 客户经理 users who are not: they see no rows

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.REJECTED if self.unmapped or self.rejected else ExitCode.OK

    def lines(self) -> list[str]:
        out = [f"branch managers: {len(self.mapped)} mapped, {len(self.unmapped)} without a branch (they see no rows)"]
        for a in sorted(self.mapped, key=lambda a: a.username):
            out.append(f"  {a.username} → {a.branch.code} {a.branch.name} ({a.source})")
        for name in sorted(self.unmapped):
            out.append(f"  {name}: no branch: not in the managers file and not the staff id of an active RM")
        if self.rejected:
            out.append(f"managers file: {len(self.rejected)} lines not used")
            out.extend(f"  {reason}" for reason in self.rejected)
        if self.not_managers:
            ignored = ", ".join(sorted(self.not_managers))
            out.append(f"managers file: not a 支行行长 user in Superset (ignored): {ignored}")
        if self.rms_mapped or self.rms_unmapped:
            out.append(f"relationship managers: {len(self.rms_mapped)} see their own customers, "
                       f"{len(self.rms_unmapped)} are not the staff id of an active RM (they see no rows)")
            out.extend(f"  {name}: not the staff id of an active RM" for name in sorted(self.rms_unmapped))
        return out


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The published warehouse, read-only, configured like Superset's own connections."""
    path = Path(settings.current_warehouse_file(str(warehouse)))
    if not path.exists():
        raise BranchMapError(f"the warehouse {warehouse} does not exist: build it first (crmwh build)")
    try:
        return duckdb.connect(str(path), read_only=True, config=dict(settings.DUCKDB_CONNECT_CONFIG))
    except duckdb.Error as exc:
        raise BranchMapError(f"the warehouse {warehouse} cannot be opened: {exc}") from None


def load_branch_map(warehouse: Path, managers: Path | None = None, demo_user: str | None = None) -> BranchMap:
    con = connect(warehouse)
    try:
        branches = {
            code: Branch(code, name, level)
            for code, name, level in con.execute(
                "SELECT branch_code, branch_name, branch_level_code FROM marts.dim_branch"
            ).fetchall()
        }
        roster = con.execute(
            "SELECT rm_id, branch_code FROM marts.dim_relationship_manager WHERE is_active ORDER BY rm_id"
        ).fetchall()
    except duckdb.Error as exc:
        raise BranchMapError(
            f"the warehouse {warehouse} has no readable branch or RM dimension ({str(exc).splitlines()[0]})"
        ) from None
    finally:
        con.close()

    result = BranchMap(active_rms={str(rm_id) for rm_id, _ in roster})
    for rm_id, code in roster:
        if code in branches and branches[code].level in SCOPE_LEVELS:
            result.assignments[str(rm_id)] = Assignment(str(rm_id), branches[code], SOURCE_ROSTER)
    if demo_user:
        demo = demo_branch(branches)
        if demo is not None:
            result.assignments[demo_user] = Assignment(demo_user, demo, SOURCE_DEMO)
    if managers is not None:
        for username, code, line in read_managers_file(managers):
            where = f"{managers.name} line {line}"
            if username in result.from_file:
                result.rejected.append(f"{where}: {username} is listed twice")
                continue
            result.from_file.add(username)
            branch = branches.get(code)
            if branch is None:
                result.rejected.append(f"{where}: {username}: branch {code!r} is not in marts.dim_branch")
                result.assignments.pop(username, None)  # a wrong line never falls back to another source
            elif branch.level not in SCOPE_LEVELS:
                result.rejected.append(
                    f"{where}: {username}: {code} {branch.name} is the head office, not a branch subtree "
                    "(a user who sees every branch needs the 分析师 role)"
                )
                result.assignments.pop(username, None)
            else:
                result.assignments[username] = Assignment(username, branch, SOURCE_FILE)
    return result


def demo_branch(branches: dict[str, Branch]) -> Branch | None:
    configured = os.environ.get(ENV_DEMO_BRANCH, "").strip()
    if configured:
        branch = branches.get(configured)
        if branch is None or branch.level not in SCOPE_LEVELS:
            raise BranchMapError(f"{ENV_DEMO_BRANCH}={configured!r} is not a branch of marts.dim_branch")
        return branch
    codes = sorted(code for code, branch in branches.items() if branch.level == "BRANCH")
    return branches[codes[0]] if codes else None


def read_managers_file(path: Path) -> list[tuple[str, str, int]]:
    """(username, branch_code, line number) for each line of the managers file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BranchMapError(f"the managers file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BranchMapError(f"the managers file {path} cannot be read as UTF-8 text ({exc})") from None
    rows = list(csv.reader(text.splitlines()))
    header = tuple(cell.strip().lower() for cell in rows[0]) if rows else ()
    if header[:2] != HEADER:
        raise BranchMapError(f"the managers file {path} must start with the header line 'username,branch_code'")
    out = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise BranchMapError(f"{path} line {number}: expected 'username,branch_code', got {','.join(row)!r}")
        out.append((cells[0], cells[1], number))
    return out
