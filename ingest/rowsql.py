"""SQL that turns a landed extract (every field as text) into typed rows, and finds the rows to reject.

The land table is what DuckDB's ``read_csv`` read (all VARCHAR), one row per accepted record, in file order, so its
``rowid`` is the record's ordinal among the rows the reader kept. Rows the reader or the file scan set aside are
"skipped lines"; a small map of them turns an ordinal back into the record's line number in the original file.

Typing is strict on purpose. DuckDB's own casts are lenient where a bank's money must not be: ``'12.345'`` becomes
``12.35`` in a DECIMAL(18,2), ``'1e3'`` becomes 1000, ``'2.0'`` an integer 2. So every value must first match the
contract's pattern (sign, digits, at most ``scale`` decimals; dates exactly in the contract's format) and then cast
without loss; anything else is rejected with the column and the offending value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.audit import quote_ident
from ingest.contract import Column, Contract, ForeignKey

REJECTS = "_crmwh_rejects"

TYPE = "TYPE"
NOT_NULL = "NOT_NULL"
DUPLICATE_KEY = "DUPLICATE_KEY"
ORPHAN_FOREIGN_KEY = "ORPHAN_FOREIGN_KEY"

_DATE_TOKENS = {"%Y": ("[0-9]{4}", "YYYY"), "%m": ("[0-9]{2}", "MM"), "%d": ("[0-9]{2}", "DD")}


def sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def date_pattern(date_format: str) -> tuple[str, str]:
    """(RE2 pattern, human-readable form) of a strftime date format made of %Y, %m, %d and literals."""
    pattern, human, i = [], [], 0
    while i < len(date_format):
        token = date_format[i: i + 2]
        if date_format[i] == "%":
            if token not in _DATE_TOKENS:
                raise ValueError(f"date format {date_format!r}: only %Y, %m and %d are supported, not {token!r}")
            pattern.append(_DATE_TOKENS[token][0])
            human.append(_DATE_TOKENS[token][1])
            i += 2
        else:
            pattern.append(re.escape(date_format[i]))
            human.append(date_format[i])
            i += 1
    return "".join(pattern), "".join(human)


@dataclass(frozen=True)
class ColumnSql:
    column: Column
    text: str  # the field as text, NULL when empty
    valid_type: str | None  # true when the (non-NULL) text is a valid value of the type; None: any text is
    type_reason: str | None  # SQL text expression: why it is not
    cast: str  # strict cast, for rows known to be valid
    try_cast: str  # NULL instead of an error

    @property
    def valid(self) -> str:
        """True when the field is acceptable: typed right, and present if the contract requires it."""
        parts = []
        if not self.column.nullable:
            parts.append(f"{self.text} IS NOT NULL")
        if self.valid_type is not None:
            parts.append(f"({self.text} IS NULL OR ({self.valid_type}))")
        return " AND ".join(parts) if parts else "true"


def column_sql(column: Column, contract: Contract, alias: str = "") -> ColumnSql:
    ident = f"{alias}{quote_ident(column.name)}"
    if contract.format.kind == "fixed_width":
        # Mainframe fields are padded with blanks: strings are left-aligned, numbers and dates right-aligned.
        text = f"NULLIF(rtrim({ident}), '')" if column.type == "string" else f"NULLIF(trim({ident}), '')"
    else:
        text = ident

    def reason(what: str) -> str:
        return f"concat({sql_str(column.name + ': ')}, '''', left({text}, 60), ''' ', {sql_str(what)})"

    if column.type == "string":
        return ColumnSql(column, text, None, None, text, text)
    if column.type == "integer":
        valid = f"regexp_full_match({text}, '[+-]?[0-9]+') AND TRY_CAST({text} AS BIGINT) IS NOT NULL"
        return ColumnSql(column, text, valid, reason("is not an integer"), f"CAST({text} AS BIGINT)",
                         f"TRY_CAST({text} AS BIGINT)")
    if column.type == "decimal":
        dtype = column.duckdb_type
        fraction = f"(\\.[0-9]{{1,{column.scale}}})?" if column.scale else ""
        valid = f"regexp_full_match({text}, '[+-]?[0-9]+{fraction}') AND TRY_CAST({text} AS {dtype}) IS NOT NULL"
        rule = (f"digits with an optional sign and at most {column.scale} decimal places" if column.scale
                else "digits with an optional sign")
        return ColumnSql(column, text, valid, reason(f"is not a {dtype} ({rule})"), f"CAST({text} AS {dtype})",
                         f"TRY_CAST({text} AS {dtype})")
    pattern, human = date_pattern(contract.format.date_format)
    fmt = sql_str(contract.format.date_format)
    valid = f"regexp_full_match({text}, {sql_str(pattern)}) AND try_strptime({text}, {fmt}) IS NOT NULL"
    return ColumnSql(column, text, valid, reason(f"is not a date in the format {human}"),
                     f"CAST(strptime({text}, {fmt}) AS DATE)", f"CAST(try_strptime({text}, {fmt}) AS DATE)")


def contract_sql(contract: Contract, alias: str = "") -> dict[str, ColumnSql]:
    return {c.name: column_sql(c, contract, alias) for c in contract.columns}


def valid_row(contract: Contract, alias: str = "") -> str:
    parts = [cs.valid for cs in contract_sql(contract, alias).values() if cs.valid != "true"]
    return " AND ".join(parts) if parts else "true"


def land_select(contract: Contract) -> str:
    """The projection over ``read_csv`` that lands a file: every field as text, plus ``_ok`` (all fields valid).

    Every text column is projected as well, which keeps DuckDB from pushing the TRY_CASTs into the CSV reader
    (where a failed cast raises instead of giving NULL).
    """
    return f"*, {valid_row(contract)} AS _ok"


def numbered_land(land: str, header_lines: int, skip_map: str | None) -> str:
    """The land table with each row's ordinal (``_ord``) and line number in the original file (``_line``)."""
    if skip_map is None:
        return f"SELECT rowid AS _ord, rowid + {1 + header_lines} AS _line, * FROM {land}"
    return (
        f"SELECT l._ord, l._ord + {1 + header_lines} + coalesce(s.n, 0) AS _line, l.* EXCLUDE (_ord) "
        f"FROM (SELECT rowid AS _ord, * FROM {land}) l ASOF LEFT JOIN {skip_map} s ON l._ord >= s.g"
    )


def skip_map_sql(skip_map: str, file_idx: int, header_lines: int) -> str:
    """For each skipped line: how many kept rows come before it (g) and how many lines were skipped so far (n)."""
    return (
        f"CREATE OR REPLACE TEMP TABLE {skip_map} AS "
        f"SELECT g, max(n) AS n FROM ("
        f"  SELECT line - {header_lines} - row_number() OVER (ORDER BY line) AS g,"
        f"         row_number() OVER (ORDER BY line) AS n"
        f"  FROM (SELECT DISTINCT line_number AS line FROM {REJECTS} WHERE file_idx = {file_idx} AND ordinal IS NULL)"
        f") GROUP BY g"
    )


def kept_ordinals(file_idx: int) -> str:
    return f"SELECT ordinal FROM {REJECTS} WHERE file_idx = {file_idx} AND ordinal IS NOT NULL"


@dataclass(frozen=True)
class ReferenceSource:
    """Where the keys a foreign key may point at live: the raw table, and the referenced file of this delivery."""

    contract: Contract
    land: str | None  # land table of the referenced extract in this delivery, if delivered
    file_idx: int | None
    is_self: bool


def check_rows_sql(contract: Contract, file_idx: int, land: str, header_lines: int, skip_map: str | None,
                   references: dict[str, ReferenceSource], exclude_batch: int) -> str:
    """One INSERT into the rejects table: type and NOT NULL problems, duplicate keys, orphan foreign keys."""
    cols = contract_sql(contract)
    ok = "_ok"
    problems = []
    for cs in cols.values():
        name = sql_str(cs.column.name)
        if not cs.column.nullable:
            problems.append(
                f"CASE WHEN {cs.text} IS NULL THEN {{'column_name': {name}, 'reason_code': '{NOT_NULL}', "
                f"'reason': {sql_str(cs.column.name + ' is empty but the contract requires a value (NOT NULL)')}}} END"
            )
        if cs.valid_type is not None:
            problems.append(
                f"CASE WHEN {cs.text} IS NOT NULL AND NOT ({cs.valid_type}) THEN {{'column_name': {name}, "
                f"'reason_code': '{TYPE}', 'reason': {cs.type_reason}}} END"
            )
    key_cols = list(dict.fromkeys(list(contract.primary_key) + [c for fk in contract.foreign_keys for c in fk.columns]))
    typed = ", ".join(f"{cols[c].try_cast} AS {quote_ident(c)}" for c in key_cols)
    parts = []
    if problems:
        parts.append(
            f"SELECT _ord, _line, e.column_name, e.reason_code, e.reason FROM ("
            f"  SELECT _ord, _line, unnest(list_filter([{', '.join(problems)}], lambda x: x IS NOT NULL)) AS e"
            f"  FROM numbered WHERE NOT ({ok}))"
        )
    pk = [quote_ident(c) for c in contract.primary_key]
    if pk:
        pk_list = ", ".join(contract.primary_key)
        values = "concat_ws(', ', " + ", ".join(f"CAST(t.{c} AS VARCHAR)" for c in pk) + ")"
        join = " AND ".join(f"t.{c} = d.{c}" for c in pk)
        parts.append(
            f"SELECT t._ord, t._line, NULL, '{DUPLICATE_KEY}', concat({sql_str(f'primary key ({pk_list}) = (')}, "
            f"{values}, ') appears ', d.copies, ' times in the file, on lines ', "
            f"array_to_string(d.lines[1:10], ', '), CASE WHEN d.copies > 10 THEN ', …' ELSE '' END) "
            f"FROM typed t JOIN (SELECT {', '.join(pk)}, count(*) AS copies, list(_line ORDER BY _line) AS lines "
            f"FROM typed WHERE _ok GROUP BY ALL HAVING count(*) > 1) d ON {join} WHERE t._ok"
        )
    for fk in contract.foreign_keys:
        union = _reference_union(fk, references[fk.ref_key], exclude_batch, exact=True)
        match = " AND ".join(f"r.{quote_ident(rc)} = t.{quote_ident(c)}"
                             for c, rc in zip(fk.columns, fk.ref_columns, strict=True))
        present = " AND ".join(f"t.{quote_ident(c)} IS NOT NULL" for c in fk.columns)
        values = "concat_ws(', ', " + ", ".join(f"CAST(t.{quote_ident(c)} AS VARCHAR)" for c in fk.columns) + ")"
        fk_cols = ", ".join(fk.columns)
        parts.append(
            f"SELECT t._ord, t._line, {sql_str(fk_cols)}, '{ORPHAN_FOREIGN_KEY}', "
            f"concat({sql_str(f'foreign key ({fk_cols}) = (')}, {values}, "
            f"{sql_str(f') not found in {fk.ref_key} (neither in this delivery nor already loaded)')}) "
            f"FROM typed t WHERE t._ok AND {present} AND NOT EXISTS (SELECT 1 FROM ({union}) r WHERE {match})"
        )
    if not parts:
        return ""
    return (
        f"INSERT INTO {REJECTS} (file_idx, ordinal, line_number, column_name, reason_code, reason) "
        f"WITH numbered AS ({numbered_land(land, header_lines, skip_map)}), "
        f"typed AS (SELECT _ord, _line, _ok{', ' + typed if typed else ''} FROM numbered) "
        f"SELECT {file_idx}, * FROM ({' UNION ALL '.join(parts)})"
    )


def _reference_union(fk: ForeignKey, source: ReferenceSource, exclude_batch: int, exact: bool) -> str:
    """The keys ``fk`` may point at: rows already in raw (but the batch being replaced) and valid rows delivered now.

    ``exact``: leave out the referenced file's rejected rows (known once that file was checked); the quick count
    that runs before any file is checked cannot, and only decides whether the exact checks are needed.
    """
    ref_cols = contract_sql(source.contract)
    raw_cols = ", ".join(quote_ident(c) for c in fk.ref_columns)
    union = [f"SELECT {raw_cols} FROM raw.{quote_ident(source.contract.raw_table)} WHERE _batch_id <> {exclude_batch}"]
    ref_select = ", ".join(f"{ref_cols[c].try_cast} AS {quote_ident(c)}" for c in fk.ref_columns)
    if source.is_self:
        union.append(f"SELECT {ref_select} FROM {'numbered' if exact else source.land} WHERE _ok")
    elif source.land is not None:
        kept = f" AND rowid NOT IN ({kept_ordinals(source.file_idx)})" if exact else ""  # type: ignore[arg-type]
        union.append(f"SELECT {ref_select} FROM {source.land} WHERE _ok{kept}")
    return " UNION ALL ".join(union)


def count_problems_sql(contract: Contract, file_idx: int, land: str, references: dict[str, ReferenceSource],
                       exclude_batch: int) -> str:
    """One row (file_idx, problems): rows with a bad field, surplus copies of keys, and orphan references.

    Zero for every file of a delivery means no row of it will be rejected, so the detailed (and, for small files,
    comparatively slow to plan) reject query can be skipped.
    """
    cols = contract_sql(contract)
    terms = ["count(*) FILTER (WHERE NOT _ok)"]
    if contract.primary_key:
        key = ", ".join(cols[c].try_cast for c in contract.primary_key)
        terms.append(f"count(*) FILTER (WHERE _ok) - count(DISTINCT row({key})) FILTER (WHERE _ok)")
    child = contract_sql(contract, alias="t.")
    for fk in contract.foreign_keys:
        union = _reference_union(fk, references[fk.ref_key], exclude_batch, exact=False)
        match = " AND ".join(f"r.{quote_ident(rc)} = {child[c].try_cast}"
                             for c, rc in zip(fk.columns, fk.ref_columns, strict=True))
        present = " AND ".join(f"{child[c].try_cast} IS NOT NULL" for c in fk.columns)
        terms.append(f"(SELECT count(*) FROM {land} t WHERE t._ok AND {present} AND NOT EXISTS ("
                     f"SELECT 1 FROM ({union}) r WHERE {match}))")
    return f"SELECT {file_idx} AS file_idx, {' + '.join(terms)} AS problems FROM {land}"


def insert_raw_sql(contract: Contract, land: str, header_lines: int, skip_map: str | None, file_idx: int,
                   has_row_rejects: bool, batch_id: int, business_date: str, source_file: str,
                   loaded_at: str) -> str:
    """Append the file's accepted rows to its raw table, typed, with their lineage."""
    cols = contract_sql(contract)
    names = ", ".join(quote_ident(c.name) for c in contract.columns)
    casts = ", ".join(cs.cast for cs in cols.values())
    where = f" WHERE _ord NOT IN ({kept_ordinals(file_idx)})" if has_row_rejects else ""
    return (
        f"INSERT INTO raw.{quote_ident(contract.raw_table)} "
        f"({names}, _batch_id, _business_date, _source_file, _line_number, _loaded_at) "
        f"SELECT {casts}, {batch_id}, DATE {sql_str(business_date)}, {sql_str(source_file)}, _line, "
        f"TIMESTAMP {sql_str(loaded_at)} FROM ({numbered_land(land, header_lines, skip_map)}){where}"
    )
