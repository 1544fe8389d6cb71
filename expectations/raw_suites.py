"""Raw-layer suites, one per extract, derived from the extract contracts and ``config.yaml``.

A suite validates the rows of the selected deliveries (batch ids) of one ``raw.<system>__<extract>`` table:

- the rows landed match the control file (``audit.delivery_files``);
- the contract's non-nullable columns are filled, its code columns hold listed codes, its key is unique per delivery;
- the contract's foreign keys resolve against what was loaded on or before the business date (the latest full snapshot
  for full-snapshot extracts), plus the cross-system references the config adds;
- amounts lie within the config's ranges and dates within the business date.

Only rows of LOADED deliveries count, on both sides of a reference: rows of REJECTED or SUPERSEDED batches may still
sit in the raw tables and must not make a check pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import great_expectations.expectations as gxe

from contracts.contract import DATE_TOKEN, Contract, ContractSet
from expectations import audit
from expectations.config import Bounds, QualityConfig, Reference
from expectations.model import Check, Severity, Suite, check, quote_ident, sql_literal

LINEAGE = ("_batch_id", "_business_date")


def raw_table(contract: Contract) -> str:
    return f"raw.{contract.raw_table}"


def suite_name(contract: Contract) -> str:
    return f"raw.{contract.raw_table}"


def _in_list(ids: Sequence[int]) -> str:
    return ", ".join(str(int(i)) for i in sorted(set(ids)))


def _key_select(contract: Contract, *extra: str) -> str:
    cols = [*contract.primary_key, *(c for c in extra if c not in contract.primary_key), *LINEAGE]
    return ", ".join(quote_ident(c) for c in cols)


def _unexpected(name: str, severity: Severity, description: str, query: str) -> Check:
    return check(gxe.UnexpectedRowsExpectation, name, severity, description, unexpected_rows_query=query)


def _row_count_check(contract: Contract, batch_ids: Sequence[int]) -> Check:
    prefix, suffix = contract.file.split(DATE_TOKEN)
    file_expr = f"{sql_literal(prefix)} || strftime(b.business_date, '%Y%m%d') || {sql_literal(suffix)}"
    delivered = "" if contract.frequency == "daily" else f" AND {_month_end_condition(contract)}"
    f = audit.FILES_COLUMNS
    query = f"""
WITH batches AS (
    SELECT batch_id, business_date FROM {audit.DELIVERIES}
    WHERE batch_id IN ({_in_list(batch_ids)}) AND system = {sql_literal(contract.system)}
      AND status = {sql_literal(audit.LOADED)}{delivered}
), files AS (
    SELECT b.batch_id, b.business_date, {file_expr} AS expected_file, f.{f.file_name} AS file_name,
           f.{f.control_count} AS control_count, f.{f.rows_read} AS rows_read,
           f.{f.rows_loaded} AS rows_loaded, f.{f.rows_rejected} AS rows_rejected
    FROM batches b LEFT JOIN {audit.DELIVERY_FILES} f
      ON f.{f.batch_id} = b.batch_id AND f.{f.file_name} = {file_expr}
), landed AS (
    SELECT _batch_id AS batch_id, count(*) AS rows_in_raw FROM {{batch}} GROUP BY _batch_id
)
SELECT files.*, coalesce(landed.rows_in_raw, 0) AS rows_in_raw
FROM files LEFT JOIN landed ON landed.batch_id = files.batch_id
WHERE {"false" if contract.on_change else "files.file_name IS NULL"}
   OR files.control_count IS DISTINCT FROM files.rows_read
   OR files.rows_read IS DISTINCT FROM files.rows_loaded + files.rows_rejected
   OR coalesce(landed.rows_in_raw, 0) IS DISTINCT FROM coalesce(files.rows_loaded, 0)
"""
    return _unexpected(
        f"{suite_name(contract)}.row_count_matches_control",
        Severity.CRITICAL,
        f"every delivery has its {contract.file} recorded"
        f"{' (when sent: it comes only on change)' if contract.on_change else ''}; "
        "the control file's record count = rows read = rows loaded + rows rejected; the raw table holds exactly the "
        "rows loaded",
        query,
    )


def _month_end_condition(contract: Contract) -> str:
    """SQL: ``business_date`` is the last business day of its month in the contract's calendar."""
    cal = contract.calendar
    if cal.every_day:
        return "business_date = last_day(business_date)"
    days = ", ".join(f"DATE '{cal.last_business_day(y, m)}'" for y in range(2000, 2061) for m in range(1, 13))
    return f"business_date IN ({days})"


def _not_null_checks(contract: Contract) -> list[Check]:
    return [
        check(
            gxe.ExpectColumnValuesToNotBeNull,
            f"{suite_name(contract)}.not_null.{col.name}",
            Severity.CRITICAL,
            f"{col.name} is required by the contract",
            column=col.name,
        )
        for col in contract.columns
        if not col.nullable
    ]


def _code_checks(contract: Contract, contracts: ContractSet, cfg: QualityConfig) -> list[Check]:
    out = []
    for col in contract.columns:
        origin = cfg.raw.codes_from.get((contract.key, col.name))
        codes = contracts.get(origin[0]).column(origin[1]).codes if origin else col.codes
        if not codes:
            continue
        source = f" (the code list of {origin[0]}.{origin[1]})" if origin else ""
        out.append(
            check(
                gxe.ExpectColumnValuesToBeInSet,
                f"{suite_name(contract)}.codes.{col.name}",
                Severity.CRITICAL,
                f"{col.name} holds a code of the contract's list{source}",
                column=col.name,
                value_set=sorted(codes),
            )
        )
    return out


def _range_condition(column: str, bounds: Bounds) -> str:
    ident = quote_ident(column)
    parts = []
    if bounds.min is not None:
        parts.append(f"{ident} < {bounds.min}")
    if bounds.max is not None:
        parts.append(f"{ident} > {bounds.max}")
    return " OR ".join(parts)


def _range_checks(contract: Contract, cfg: QualityConfig) -> list[Check]:
    out = []
    for column, by_severity in cfg.raw.ranges.get(contract.key, {}).items():
        for severity, bounds in sorted(by_severity.items()):
            kind = "range" if severity is Severity.CRITICAL else "plausible"
            low = "" if bounds.min is None else f"≥ {bounds.min}"
            high = "" if bounds.max is None else f"≤ {bounds.max}"
            out.append(
                _unexpected(
                    f"{suite_name(contract)}.{kind}.{column}",
                    severity,
                    f"{column} {' and '.join(p for p in (low, high) if p)}",
                    f"SELECT {_key_select(contract, column)} FROM {{batch}} "
                    f"WHERE {_range_condition(column, bounds)}",
                )
            )
    return out


def _date_checks(contract: Contract, cfg: QualityConfig) -> list[Check]:
    raw = cfg.raw
    earliest = f"DATE '{raw.earliest_date.isoformat()}'"
    equal = set(raw.dates_equal_business_date.get(contract.key, ()))
    history = set(raw.history_in_first_delivery.get(contract.key, ()))
    month_start = set(raw.dates_month_start.get(contract.key, ()))
    first_delivery = (f"(SELECT min(business_date) FROM {audit.DELIVERIES} "
                      f"WHERE system = {sql_literal(contract.system)} AND status = {sql_literal(audit.LOADED)})")
    out = []
    for col in contract.columns:
        if col.type != "date":
            continue
        ident = quote_ident(col.name)
        if col.name in equal:
            rule, text = f"{ident} <> _business_date", "equals the delivery's business date"
        elif col.name in history:
            rule = (f"{ident} > _business_date OR {ident} < {earliest} "
                    f"OR ({ident} <> _business_date AND _business_date > {first_delivery})")
            text = "equals the delivery's business date (in the first delivery: on or before it, the history)"
        elif col.name in month_start:
            rule, text = f"{ident} <> date_trunc('month', _business_date)", "is the first day of the business month"
        elif raw.allows_future_date(contract.key, col.name):
            rule, text = f"{ident} < {earliest}", f"is not before {raw.earliest_date}"
        else:
            rule = f"{ident} > _business_date OR {ident} < {earliest}"
            text = f"lies between {raw.earliest_date} and the delivery's business date"
        out.append(
            _unexpected(
                f"{suite_name(contract)}.date.{col.name}",
                Severity.CRITICAL,
                f"{col.name} {text}",
                f"SELECT {_key_select(contract, col.name)} FROM {{batch}} WHERE {rule}",
            )
        )
    for earlier, later in raw.date_order.get(contract.key, ()):
        out.append(
            _unexpected(
                f"{suite_name(contract)}.date_order.{earlier}.{later}",
                raw.date_order_severity,
                f"{earlier} is not after {later}",
                f"SELECT {_key_select(contract, earlier, later)} FROM {{batch}} "
                f"WHERE {quote_ident(earlier)} > {quote_ident(later)}",
            )
        )
    return out


def _unique_key_check(contract: Contract) -> Check:
    return check(
        gxe.ExpectCompoundColumnsToBeUnique,
        f"{suite_name(contract)}.unique_key",
        Severity.CRITICAL,
        f"the key ({', '.join(contract.primary_key)}) is unique within each delivery",
        column_list=[*contract.primary_key, "_batch_id"],
    )


def _loaded_batches() -> str:
    return f"SELECT batch_id FROM {audit.DELIVERIES} WHERE status = {sql_literal(audit.LOADED)}"


def _unmatched_query(
    columns: Sequence[str], target: Contract, target_columns: Sequence[str], extra_select: Sequence[str] = ()
) -> str:
    """Rows of ``{batch}`` whose ``columns`` the target extract does not hold as of their business date.

    Incremental targets count every LOADED delivery on or before the business date; full-snapshot targets count the
    latest LOADED snapshot on or before it.
    """
    child_cols = [*extra_select, *(c for c in columns if c not in extra_select)]
    select_child = ", ".join(quote_ident(c) for c in [*child_cols, *LINEAGE])
    not_null = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in columns)
    match = " AND ".join(
        f"t.{quote_ident(tc)} = c.{quote_ident(cc)}" for cc, tc in zip(columns, target_columns, strict=True)
    )
    target_select = ", ".join(quote_ident(c) for c in target_columns)
    child = f"child AS (\n    SELECT {select_child} FROM {{batch}} WHERE {not_null}\n)"
    if target.load_type == "incremental":
        # A key is known from the first business date it was delivered on: one row per key and an equi-join instead
        # of an anti-join with a date range per row (several times faster on the big extracts; the same rows).
        return f"""
WITH target AS (
    SELECT {target_select}, min(_business_date) AS first_date FROM {raw_table(target)}
    WHERE _batch_id IN ({_loaded_batches()})
    GROUP BY ALL
), {child}
SELECT c.* FROM child c LEFT JOIN target t ON {match}
WHERE NOT coalesce(t.first_date <= c._business_date, false)"""
    # Only the snapshots some child row is checked against are read from the target.
    return f"""
WITH {child}, snapshot AS (
    SELECT d.business_date, max(s.snapshot_date) AS snapshot_date
    FROM (SELECT DISTINCT _business_date AS business_date FROM child) d
    JOIN (
        SELECT DISTINCT _business_date AS snapshot_date FROM {raw_table(target)}
        WHERE _batch_id IN ({_loaded_batches()})
    ) s ON s.snapshot_date <= d.business_date
    GROUP BY d.business_date
), target AS (
    SELECT DISTINCT {target_select}, _business_date FROM {raw_table(target)}
    WHERE _batch_id IN ({_loaded_batches()}) AND _business_date IN (SELECT snapshot_date FROM snapshot)
)
SELECT c.* FROM child c LEFT JOIN snapshot s ON s.business_date = c._business_date
WHERE NOT EXISTS (SELECT 1 FROM target t WHERE {match} AND t._business_date = s.snapshot_date)"""


def _foreign_key_checks(contract: Contract, contracts: ContractSet, cfg: QualityConfig) -> list[Check]:
    out = []
    for fk in contract.foreign_keys:
        target = contracts.get(fk.ref_key)
        cols = "+".join(fk.columns)
        severity = cfg.raw.foreign_key_severity.get(f"{contract.key}.{cols}", Severity.CRITICAL)
        scope = "on or before the business date" if target.load_type == "incremental" else (
            "in the latest snapshot on or before the business date"
        )
        out.append(
            _unexpected(
                f"{suite_name(contract)}.fk.{cols}",
                severity,
                f"({', '.join(fk.columns)}) exists in {target.key} ({', '.join(fk.ref_columns)}) {scope}",
                _unmatched_query(fk.columns, target, fk.ref_columns, contract.primary_key),
            )
        )
    return out


def _reference_check(contract: Contract, ref: Reference, contracts: ContractSet) -> Check:
    unmatched = _unmatched_query(ref.columns, contracts.get(ref.target), ref.target_columns, contract.primary_key)
    not_null = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in ref.columns)
    # The unmatched rows are reported only when they are more than the tolerated share of the rows.
    query = f"""
WITH unmatched AS ({unmatched})
SELECT * FROM unmatched
WHERE (SELECT count(*) FROM unmatched)
    > {ref.max_unmatched_share} * (SELECT count(*) FROM {{batch}} WHERE {not_null})"""
    tolerance = "" if ref.max_unmatched_share == 0 else f" for all but {ref.max_unmatched_share:%} of the rows"
    return _unexpected(
        f"{suite_name(contract)}.ref.{ref.name}",
        ref.severity,
        f"({', '.join(ref.columns)}) found in {ref.target} ({', '.join(ref.target_columns)}){tolerance}: {ref.why}",
        query,
    )


def _redelivery_check(contract: Contract, severity: Severity) -> Check:
    match = " AND ".join(f"p.{quote_ident(k)} = c.{quote_ident(k)}" for k in contract.primary_key)
    return _unexpected(
        f"{suite_name(contract)}.not_redelivered",
        severity,
        f"a key ({', '.join(contract.primary_key)}) is delivered once: it is in no other loaded delivery",
        f"""
WITH c AS (SELECT * FROM {{batch}})
SELECT {", ".join("c." + quote_ident(c) for c in [*contract.primary_key, *LINEAGE])} FROM c
WHERE EXISTS (
    SELECT 1 FROM {raw_table(contract)} p
    WHERE {match} AND p._batch_id <> c._batch_id AND p._batch_id IN ({_loaded_batches()})
)""",
    )


def build_raw_suite(
    contract: Contract, contracts: ContractSet, cfg: QualityConfig, batch_ids: Sequence[int]
) -> Suite:
    checks: list[Check] = [_row_count_check(contract, batch_ids)]
    checks += _not_null_checks(contract)
    checks += _code_checks(contract, contracts, cfg)
    checks.append(_unique_key_check(contract))
    checks += _foreign_key_checks(contract, contracts, cfg)
    checks += [_reference_check(contract, r, contracts) for r in cfg.raw.references if r.source == contract.key]
    checks += _range_checks(contract, cfg)
    checks += _date_checks(contract, cfg)
    if contract.key in cfg.raw.unique_across_deliveries:
        checks.append(_redelivery_check(contract, cfg.raw.unique_across_deliveries[contract.key]))
    return Suite(
        stage="raw",
        name=suite_name(contract),
        query=f"SELECT * FROM {raw_table(contract)} WHERE _batch_id IN ({_in_list(batch_ids)})",
        checks=tuple(checks),
    )


def build_raw_suites(
    contracts: ContractSet, cfg: QualityConfig, batches_by_system: dict[str, Sequence[int]]
) -> list[Suite]:
    """One suite per extract of every system that has selected deliveries (``batches_by_system``: LOADED only)."""
    return [
        build_raw_suite(c, contracts, cfg, batches_by_system[c.system])
        for system in contracts.systems
        if batches_by_system.get(system)
        for c in contracts.for_system(system)
    ]
