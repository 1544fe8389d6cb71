"""``crmwh generate``: the synthetic bank, written as daily deliveries exactly per the extract contracts.

    generate_bank(scale, start, days, seed, out, defects, progress, profile) -> Manifest

Layout: ``<out>/<system>/<YYYYMMDD>/<file>`` plus a control file per data file, and ``<out>/_manifest.json`` with the
true totals (rows and decimal sums per file, who churned, which loans defaulted, the card-to-core customer mapping,
the general ledger per month, the defects injected). Same seed, same bytes.
``profile`` names a generator profile (``synth.profiles``): another bank than the default, whose bank profile is
written as ``<out>/bank.yaml``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from tqdm import tqdm

from contracts.contract import Contract, control_name_for, load_contracts
from contracts.writer import WrittenFile, write_extract_days
from synth import GenerateError
from synth.customers import CHURN_CAUSES
from synth.defects import Defect, apply_defect, choose_target
from synth.extracts import SOURCE_BUILDERS, register_world, source_table
from synth.frame import NO_DAY
from synth.latin import latinize
from synth.ledger import LEDGER_BUILDERS, prepare_ledger
from synth.loans import EV_WRITE_OFF
from synth.manifest import MANIFEST_NAME, FileEntry, Manifest, read_manifest
from synth.marketing_extracts import MARKETING_BUILDERS, register_marketing
from synth.profiles import (
    DEFAULT,
    PROFILE_FILE_IN_LANDING,
    add_overdrafts,
    drop_card_centre,
    get_profile,
    keep_changes_only,
    reshape,
)
from synth.world import World, build_world, check_size

GENERATOR_VERSION = 1


@dataclass
class _Progress:
    bar: Any

    def stage(self, name: str) -> None:
        self.bar.set_description(f"generate: {name}")

    def file(self, _written: WrittenFile) -> None:
        self.bar.update(1)


def generate_bank(scale: float, start: date, days: int, seed: int, out: Path, defects: list[Defect] | None = None,
                  progress: bool = True, profile: str = DEFAULT) -> Manifest:
    check_size(scale, days)  # before any work, like a defect aimed outside the horizon
    gen_profile = get_profile(profile)
    bank_profile = gen_profile.bank_profile()
    contracts = load_contracts(profile=bank_profile) if bank_profile is not None else load_contracts()
    dates = [date.fromordinal(start.toordinal() + i) for i in range(days)]
    for defect in defects or []:
        choose_target(defect, contracts, dates)  # a defect aimed outside the horizon fails before any work
    out = Path(out)
    previous = _previous_files(out, contracts.systems)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    n_files = sum(1 for c in contracts.contracts for d in dates if c.delivered_on(d))
    with tqdm(total=n_files, unit="file", disable=not progress, desc="generate", leave=False) as bar:
        prog = _Progress(bar)
        world = build_world(scale, start, days, seed, step=prog.stage)
        if bank_profile is not None and bank_profile.system("cards") is None:
            drop_card_centre(world)
        if gen_profile.latin_names:
            latinize(world, world.rng("latin"))
        timings["simulate"] = time.perf_counter() - t0
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        try:
            prog.stage("shaping extracts")
            register_world(con, world)
            register_marketing(con, world)
            add_overdrafts(con, world, gen_profile.overdrafts)
            if bank_profile is not None and bank_profile.system("cards") is None:
                con.execute("DELETE FROM ctxn_t")  # a bank without a card system books no card income
            prepare_ledger(con, world)
            world.drop_activity()
            timings["shape"] = time.perf_counter() - t0 - timings["simulate"]
            parameters: dict[str, Any] = {"scale": scale, "seed": seed, "start": start.isoformat(), "days": days,
                                          "end": dates[-1].isoformat(), "generator_version": GENERATOR_VERSION}
            if profile != DEFAULT:
                parameters["profile"] = profile
            manifest = Manifest(parameters=parameters)
            t1 = time.perf_counter()
            made_dirs: set[str] = set()
            builders = {**SOURCE_BUILDERS, **LEDGER_BUILDERS, **MARKETING_BUILDERS}
            for system in contracts.systems:
                for contract in contracts.load_order(system):
                    prog.stage(f"writing {contract.key}")
                    if profile != DEFAULT and not contract.delivered:
                        continue  # a system or extract the bank does not have: nothing to shape or write
                    builders[contract.key](con, days)
                    if profile != DEFAULT:
                        reshape(con, source_table(contract.system, contract.extract), contract, dates, gen_profile)
                    if contract.on_change:
                        keep_changes_only(con, source_table(contract.system, contract.extract), contract)
                    _write(con, contract, dates, out, manifest, prog, made_dirs)
            timings["write"] = time.perf_counter() - t1
            manifest.truth = _truth(con, world)
        finally:
            con.close()
    _remove_stale(out, previous, manifest)
    if gen_profile.bank_file is not None:
        (out / PROFILE_FILE_IN_LANDING).write_bytes(gen_profile.bank_file.read_bytes())
    try:
        for defect in defects or []:
            manifest.defects.append(apply_defect(defect, out, contracts, dates))
    finally:
        manifest.write(out)  # even when a defect cannot be applied, the files on disk are accounted for
    timings["total"] = time.perf_counter() - t0
    manifest.timings = timings
    return manifest


def _files_under(root: str) -> set[str]:
    found: set[str] = set()
    for dirpath, _dirs, files in os.walk(root):
        found.update(os.path.join(dirpath, f) for f in files)
    return found


def _previous_files(out: Path, systems: tuple[str, ...]) -> set[str]:
    """Files an earlier generation wrote here (to be replaced); refuse to mix with deliveries we did not write."""
    out.mkdir(parents=True, exist_ok=True)
    root = str(out)
    previous: set[str] = set()
    if (out / MANIFEST_NAME).exists():
        for entry in read_manifest(out).get("files", []):
            previous.add(os.path.join(root, entry["file"]))
            previous.add(os.path.join(root, entry["control_file"]))
    on_disk: set[str] = set()
    for system in systems:
        on_disk |= _files_under(os.path.join(root, system))
    foreign = sorted(on_disk - previous)
    if foreign:
        raise GenerateError(
            f"{out} already holds files that no earlier generation recorded in {MANIFEST_NAME} "
            f"(e.g. {os.path.relpath(foreign[0], root)}); generate into an empty directory or remove them first"
        )
    return previous


def _remove_stale(out: Path, previous: set[str], manifest: Manifest) -> None:
    """Delete what an earlier, different generation left behind (e.g. later business dates)."""
    root = str(out)
    current = {os.path.join(root, f.file) for f in manifest.files}
    current |= {os.path.join(root, f.control_file) for f in manifest.files}
    for path in sorted(previous - current):
        if os.path.exists(path):
            os.unlink(path)
        parent = os.path.dirname(path)
        if os.path.isdir(parent) and not os.listdir(parent):
            os.rmdir(parent)


def _write(con: duckdb.DuckDBPyConnection, contract: Contract, dates: list[date], out: Path, manifest: Manifest,
           prog: _Progress, made_dirs: set[str]) -> None:
    src = source_table(contract.system, contract.extract)
    delivered = [d for d in dates if contract.delivered_on(d) and contract.calendar.is_business_day(d)]
    if contract.on_change:  # sent only on the days it changed (keep_changes_only left their rows)
        sent = {r[0] for r in con.execute(f"SELECT DISTINCT biz_date FROM {src}").fetchall()}
        delivered = [d for d in delivered if d in sent]
    written = write_extract_days(con, contract, src, "biz_date", delivered, out / contract.system, order_by="_ord",
                                 on_file=prog.file, made_dirs=made_dirs)
    decimals = [c for c in contract.columns if c.type == "decimal"]
    sums: dict[date, list[Decimal]] = {}
    if decimals:
        select = ", ".join(f'sum("{c.name}")' for c in decimals)
        for row in con.execute(f"SELECT biz_date, {select} FROM {src} GROUP BY biz_date").fetchall():
            sums[row[0]] = list(row[1:])
    con.execute(f"DROP TABLE {src}")  # written and summed: free its memory for the next extract
    totals = [Decimal(0)] * len(decimals)
    rows = 0
    for w in written:
        day = w.control.business_date
        values = sums.get(day, [None] * len(decimals))
        text = {}
        for i, (col, value) in enumerate(zip(decimals, values, strict=True)):
            exact = Decimal(value) if value is not None else Decimal(0)
            exact = exact.quantize(Decimal(1).scaleb(-(col.scale or 0)))
            text[col.name] = str(exact)
            totals[i] += exact
        rows += w.record_count
        folder = f"{contract.system}/{day:%Y%m%d}"
        manifest.files.append(FileEntry(
            system=contract.system, extract=contract.extract, business_date=day.isoformat(),
            file=f"{folder}/{w.control.file_name}", control_file=f"{folder}/{control_name_for(w.control.file_name)}",
            rows=w.record_count, bytes=w.control.byte_size, md5=w.control.md5, sums=text,
        ))
    manifest.extracts[contract.key] = {
        "files": len(written), "rows": rows,
        "sums": {c.name: str(t) for c, t in zip(decimals, totals, strict=True)},
    }


def _truth(con: duckdb.DuckDBPyConnection, world: World) -> dict[str, Any]:
    cal = world.cal
    c = world.customers
    churned = np.flatnonzero(world.churn_day < cal.days)
    loans = world.loans
    defaulted = np.flatnonzero(loans.default_day < cal.days)
    written_off = loans.ev_kind == EV_WRITE_OFF
    acct = world.accounts
    cs = world.cards
    card_map = {str(no): (str(c.cif_no[i]) if i >= 0 else None) for no, i in zip(cs.holder_no, cs.holder_cust,
                                                                                  strict=True)}
    conflicts = [str(cs.holder_no[h]) for h in np.flatnonzero(cs.holder_cust >= 0)
                 if cs.holder_name[h] != c.name[cs.holder_cust[h]]]

    rolled = acct.changes.arrays()

    def month_key(day: int) -> str:
        return cal.date_of(day).strftime("%Y-%m")

    gl: dict[str, dict[str, Any]] = {}
    for day, cc, account, cents in con.execute("""
        SELECT o.day, cc.cost_centre_code, o.account, o.cents FROM gl_opex_t o JOIN cc_t cc ON cc.idx = o.cc
    """).fetchall():
        month = gl.setdefault(month_key(day), {"opex": {}, "interest": {}, "fees": {}})
        key = f"{cc}|{account}"
        month["opex"][key] = month["opex"].get(key, 0) + cents
    for day, kind, account, cents in con.execute("SELECT day, kind, account, cents FROM gl_income_t").fetchall():
        month = gl.setdefault(month_key(day), {"opex": {}, "interest": {}, "fees": {}})
        bucket = month["interest"] if kind in (1, 6) else month["fees"]
        bucket[account] = bucket.get(account, 0) + cents
    gl_text = {
        m: {
            "opex": [{"cost_centre": k.split("|")[0], "account": k.split("|")[1], "amount": _money(v)}
                     for k, v in sorted(parts["opex"].items())],
            "interest": {k: _money(v) for k, v in sorted(parts["interest"].items())},
            "fees": {k: _money(v) for k, v in sorted(parts["fees"].items())},
        }
        for m, parts in sorted(gl.items())
    }
    return {
        "customers": len(c),
        "corporate_customers": int(c.corporate.sum()),
        "churned": [{"cif_no": str(c.cif_no[i]), "churn_date": cal.date_of(int(world.churn_day[i])).isoformat(),
                     "outcome": "closed" if world.churn_closed[i] else "dormant",
                     "cause": CHURN_CAUSES[int(world.churn_cause[i])]} for i in churned],
        "defaulted": [{"loan_account_no": str(acct.account_no[loans.acct[i]]),
                       "cif_no": str(c.cif_no[acct.cust[loans.acct[i]]]),
                       "default_date": cal.date_of(int(loans.default_day[i])).isoformat(),
                       "before_horizon": bool(loans.default_day[i] < 0)} for i in defaulted
                      if loans.default_day[i] != NO_DAY],
        # term deposits rolled over (自动转存) into a new term: FTP reprices them on these dates
        "rollovers": [{"account_no": str(acct.account_no[a]), "rolled_over_on": cal.date_of(int(d)).isoformat()}
                      for a, d in zip(rolled["acct"][rolled["maturity_day"] >= 0],
                                      rolled["day"][rolled["maturity_day"] >= 0], strict=True)],
        "written_off": [{"loan_account_no": str(acct.account_no[loans.acct[i]]),
                         "write_off_date": cal.date_of(int(d)).isoformat(), "amount": _money(int(amt))}
                        for i, d, amt in zip(loans.ev_loan[written_off], loans.ev_day[written_off],
                                             loans.ev_amount[written_off], strict=True)],
        "card_customers": card_map,
        "card_name_conflicts": conflicts,
        "gl": gl_text,
        # the campaigns' ground truth: each list member's group, segment, take-up probability without the campaign
        # and in its group, and the expected amount if taken (CNY)
        "campaigns": world.marketing.truth(c.cif_no),
    }


def _money(cents: int) -> str:
    return str((Decimal(int(cents)) / 100).quantize(Decimal("0.01")))

