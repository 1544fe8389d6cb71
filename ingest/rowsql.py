"""SQL that reads an extract with DuckDB, types it strictly, appends it to its raw table, and finds rows to reject.

One pass per file — or per extract over many files (``insert_raw_many_sql``, the batch) — does the work in the common
case: ``read_csv`` reads every field as text (its reject tables catch malformed records), ``row_number()`` gives each
record it kept an ordinal ``_k`` in file order, ``_ok`` says whether every field is valid, and the valid rows are cast
and appended to ``raw.<system>__<extract>`` with their lineage.
The ordinal is the line number unless lines were set aside (by the file scan or by the reader); then the line
numbers are corrected from a small map of the skipped lines. Rows whose fields are invalid are found again, with
their reasons, only when the row count shows there were some. Duplicate keys and orphan foreign keys are looked for
in the rows just appended (inside the delivery's transaction) and deleted from raw when found; the batch does the same
over all its deliveries at once (``ingest.batch``).

Typing is strict on purpose. DuckDB's own casts are lenient where a bank's money must not be: ``'12.345'`` becomes
``12.35`` in a DECIMAL(18,2), ``'1e3'`` becomes 1000, ``'2.0'`` an integer 2. So every value must first match the
contract's pattern (sign, digits, at most ``scale`` decimals; dates exactly in the contract's format) and then cast
without loss; anything else is rejected with the column and the offending value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from contracts.contract import Column, Contract, ForeignKey
from ingest.audit import quote_ident

REJECTS = "_crmwh_rejects"
READER_ERRORS = "_crmwh_reader_errors"
READER_SCANS = "_crmwh_reader_scans"

TYPE = "TYPE"
RANGE = "RANGE"
NOT_NULL = "NOT_NULL"
DUPLICATE_KEY = "DUPLICATE_KEY"
ORPHAN_FOREIGN_KEY = "ORPHAN_FOREIGN_KEY"
IDENTITY_CHANGED = "IDENTITY_CHANGED"
KEY_CODES = (DUPLICATE_KEY, ORPHAN_FOREIGN_KEY, IDENTITY_CHANGED)  # rejected after their rows were appended

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
    in_range: str | None = None  # true when a (valid, non-NULL) number lies in the contract's plausible range
    range_reason: str | None = None

    @property
    def valid(self) -> str:
        """True when the field is acceptable: typed right, and present if the contract requires it."""
        parts = []
        if not self.column.nullable:
            parts.append(f"{self.text} IS NOT NULL")
        if self.valid_type is not None:
            parts.append(f"({self.text} IS NULL OR ({self.valid_type}))")
        if self.in_range is not None:
            parts.append(f"({self.text} IS NULL OR coalesce({self.in_range}, false))")
        return " AND ".join(parts) if parts else "true"


def column_sql(column: Column, contract: Contract) -> ColumnSql:
    ident = quote_ident(column.name)
    if contract.format.kind == "fixed_width":
        # Mainframe fields are padded with blanks: strings are left-aligned, numbers and dates right-aligned.
        text = f"NULLIF(rtrim({ident}), '')" if column.type == "string" else f"NULLIF(trim({ident}), '')"
    else:
        text = ident
    if column.fill is not None:  # a field the bank cannot send (bank profile optional_fields): its documented default
        text = f"coalesce({text}, {sql_str(column.fill)})"

    def reason(what: str) -> str:
        return f"concat({sql_str(column.name + ': ')}, '''', left({text}, 60), ''' ', {sql_str(what)})"

    if column.type == "string":
        return ColumnSql(column, text, None, None, text)
    if column.type == "integer":
        valid = f"regexp_full_match({text}, '[+-]?[0-9]+') AND TRY_CAST({text} AS BIGINT) IS NOT NULL"
        return ColumnSql(column, text, valid, reason("is not an integer"), f"CAST({text} AS BIGINT)",
                         *_range(column, text, "BIGINT", reason))
    if column.type == "decimal":
        dtype = column.duckdb_type
        fraction = f"(\\.[0-9]{{1,{column.scale}}})?" if column.scale else ""
        valid = f"regexp_full_match({text}, '[+-]?[0-9]+{fraction}') AND TRY_CAST({text} AS {dtype}) IS NOT NULL"
        rule = (f"digits with an optional sign and at most {column.scale} decimal places" if column.scale
                else "digits with an optional sign")
        return ColumnSql(column, text, valid, reason(f"is not a {dtype} ({rule})"), f"CAST({text} AS {dtype})",
                         *_range(column, text, dtype, reason))
    pattern, human = date_pattern(contract.format.date_format)
    fmt = sql_str(contract.format.date_format)
    valid = f"regexp_full_match({text}, {sql_str(pattern)}) AND try_strptime({text}, {fmt}) IS NOT NULL"
    return ColumnSql(column, text, valid, reason(f"is not a date in the format {human}"),
                     f"CAST(strptime({text}, {fmt}) AS DATE)")


def _range(column: Column, text: str, dtype: str,
           reason: Callable[[str], str]) -> tuple[str | None, str | None]:
    """(condition, reason) of the column's plausible range; (None, None) without one."""
    low, high = column.minimum, column.maximum
    if low is None and high is None:
        return None, None
    # the same cast as the type check's, which DuckDB then evaluates once; a bound wider than the type still compares
    value = f"TRY_CAST({text} AS {dtype})"
    if low is not None and high is not None:
        parts = [f"{value} BETWEEN {low} AND {high}"]
    else:
        parts = [f"{value} >= {low}"] if low is not None else [f"{value} <= {high}"]
    shown = (f"between {low:,} and {high:,}" if low is not None and high is not None
             else f"at least {low:,}" if low is not None else f"at most {high:,}")
    return " AND ".join(parts), reason(f"is outside the plausible range of the contract (must be {shown})")


def contract_sql(contract: Contract) -> dict[str, ColumnSql]:
    return {c.name: column_sql(c, contract) for c in contract.columns}


def valid_row(contract: Contract) -> str:
    parts = [cs.valid for cs in contract_sql(contract).values() if cs.valid != "true"]
    return " AND ".join(parts) if parts else "true"


@dataclass(frozen=True)
class Source:
    """A file DuckDB reads: the UTF-8 text (original or converted) and how to split it."""

    path: str
    header: bool
    delimiter: str
    quote: str

    def read_csv(self, contract: Contract, keep_rejects: bool) -> str:
        """``read_csv`` of every field as text; malformed records go to the reject tables (or are just skipped)."""
        columns = "{" + ", ".join(f"{sql_str(c.name)}: 'VARCHAR'" for c in contract.columns) + "}"
        quote = sql_str(self.quote)
        rejects = (f"store_rejects = true, rejects_table = '{READER_ERRORS}', rejects_scan = '{READER_SCANS}'"
                   if keep_rejects else "ignore_errors = true")
        return (
            f"read_csv({sql_str(self.path)}, columns = {columns}, header = {str(self.header).lower()}, "
            f"delim = {sql_str(self.delimiter)}, quote = {quote}, escape = {quote}, auto_detect = false, "
            f"null_padding = false, {rejects})"
        )

    def numbered(self, contract: Contract, keep_rejects: bool) -> str:
        # The text columns are all projected too, which keeps DuckDB from pushing the TRY_CASTs of ``_ok`` into the
        # CSV reader (where a failed cast raises instead of giving NULL). row_number() over the unordered scan numbers
        # the records in file order: the window streams in one thread, in scan order.
        return (f"SELECT row_number() OVER () AS _k, *, {valid_row(contract)} AS _ok "
                f"FROM {self.read_csv(contract, keep_rejects)}")


def reset_reader_rejects_sql() -> str:
    """Empty DuckDB's reject tables before a read: a read that sets nothing aside records no scan at all, so the
    latest scan in them may belong to an earlier read."""
    return f"DROP TABLE IF EXISTS {READER_ERRORS}; DROP TABLE IF EXISTS {READER_SCANS}"


def insert_raw_sql(contract: Contract, source: Source, batch_id: int, business_date: str, source_file: str,
                   loaded_at: str) -> str:
    """Append the file's valid rows to its raw table, typed, with lineage; ``_line_number`` is provisional (``_k``
    plus the header) until ``fix_lines_sql`` corrects it for skipped lines."""
    cols = contract_sql(contract)
    names = ", ".join(quote_ident(c.name) for c in contract.columns)
    casts = ", ".join(cs.cast for cs in cols.values())
    header = 1 if source.header else 0
    return (
        f"INSERT INTO raw.{quote_ident(contract.raw_table)} "
        f"({names}, _batch_id, _business_date, _source_file, _line_number, _loaded_at) "
        f"SELECT {casts}, {batch_id}, DATE {sql_str(business_date)}, {sql_str(source_file)}, _k + {header}, "
        f"TIMESTAMP {sql_str(loaded_at)} FROM ({source.numbered(contract, keep_rejects=True)}) WHERE _ok"
    )


def insert_raw_many_sql(contract: Contract, source: Source, paths: list[str], files_table: str, loaded_at: str) -> str:
    """Append the valid rows of many files of one extract in one statement. ``files_table`` maps each read path to
    its lineage: (path, batch_id, business_date, source_file, line_offset), where ``line_offset`` is the number of
    records of the files before it in ``paths``: ``row_number()`` over the scan numbers the records of all the files
    in order, file after file, so the record's ordinal less the offset is its number within its file."""
    cols = contract_sql(contract)
    names = ", ".join(quote_ident(c.name) for c in contract.columns)
    casts = ", ".join(cs.cast for cs in cols.values())
    listed = "[" + ", ".join(sql_str(p) for p in paths) + "]"
    reader = source.read_csv(contract, keep_rejects=True).replace(sql_str(source.path), listed, 1)
    reader = reader[:-1] + ", filename = '_crmwh_file')"
    header = 1 if source.header else 0
    return (
        f"INSERT INTO raw.{quote_ident(contract.raw_table)} "
        f"({names}, _batch_id, _business_date, _source_file, _line_number, _loaded_at) "
        f"SELECT {casts}, m.batch_id, m.business_date, m.source_file, r._k - m.line_offset + {header}, "
        f"TIMESTAMP {sql_str(loaded_at)} "
        f"FROM (SELECT row_number() OVER () AS _k, *, {valid_row(contract)} AS _ok FROM {reader}) r "
        f"JOIN {files_table} m ON m.path = r._crmwh_file WHERE r._ok"
    )


def skip_map_sql(skip_map: str, file_idx: int, header_lines: int) -> str:
    """For each skipped line: how many kept records come before it (g) and how many lines were skipped so far (n).

    A kept record with ordinal k is on line k + header + n, n taken at the largest g < k.
    """
    return (
        f"CREATE OR REPLACE TEMP TABLE {skip_map} AS "
        f"SELECT g, max(n) AS n FROM ("
        f"  SELECT line - {header_lines} - row_number() OVER (ORDER BY line) AS g,"
        f"         row_number() OVER (ORDER BY line) AS n"
        f"  FROM (SELECT DISTINCT line_number AS line FROM {REJECTS} WHERE file_idx = {file_idx})"
        f") GROUP BY g"
    )


def fix_lines_sql(contract: Contract, batch_id: int, source_file: str, header_lines: int, skip_map: str) -> str:
    table = f"raw.{quote_ident(contract.raw_table)}"
    return (
        f"UPDATE {table} t SET _line_number = m.line FROM ("
        f"  SELECT k.line0, k.line0 + coalesce(s.n, 0) AS line FROM ("
        f"    SELECT _line_number AS line0 FROM {table} WHERE _batch_id = {batch_id} "
        f"    AND _source_file = {sql_str(source_file)}) k"
        f"  ASOF LEFT JOIN {skip_map} s ON k.line0 - {header_lines} - 1 >= s.g"
        f") m WHERE t._batch_id = {batch_id} AND t._source_file = {sql_str(source_file)} AND t._line_number = m.line0"
    )


def type_rejects_sql(contract: Contract, source: Source, file_idx: int, skip_map: str | None) -> str:
    """The invalid records of the file, one reject row per bad field, read again (only when there are some)."""
    cols = contract_sql(contract)
    header = 1 if source.header else 0
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
        if cs.in_range is not None:
            problems.append(
                f"CASE WHEN {cs.text} IS NOT NULL AND ({cs.valid_type}) AND NOT coalesce({cs.in_range}, false) "
                f"THEN {{'column_name': {name}, 'reason_code': '{RANGE}', 'reason': {cs.range_reason}}} END"
            )
    if not problems:
        return ""
    numbered = f"SELECT * FROM ({source.numbered(contract, keep_rejects=False)}) WHERE NOT _ok"
    if skip_map is None:
        line = f"_k + {header}"
        bad = f"({numbered})"
    else:
        line = f"b._k + {header} + coalesce(s.n, 0)"
        bad = f"({numbered}) b ASOF LEFT JOIN {skip_map} s ON b._k - 1 >= s.g"
    return (
        f"INSERT INTO {REJECTS} (file_idx, line_number, column_name, reason_code, reason) "
        f"SELECT {file_idx}, line, e.column_name, e.reason_code, e.reason FROM ("
        f"  SELECT {line} AS line, unnest(list_filter([{', '.join(problems)}], lambda x: x IS NOT NULL)) AS e "
        f"  FROM {bad})"
    )


def batch_rows(contract: Contract, batch_id: int, source_file: str) -> str:
    return (f"SELECT * FROM raw.{quote_ident(contract.raw_table)} "
            f"WHERE _batch_id = {batch_id} AND _source_file = {sql_str(source_file)}")


def _references(ref_columns: tuple[str, ...], ref: Contract, exclude_batch: int) -> str:
    """The keys a foreign key may point at: every row in raw — loaded before, or appended by this delivery — except
    the rows of the batch being replaced."""
    cols = ", ".join(quote_ident(c) for c in ref_columns)
    return f"SELECT {cols} FROM raw.{quote_ident(ref.raw_table)} WHERE _batch_id <> {exclude_batch}"


def _orphans(contract: Contract, fk: ForeignKey, ref: Contract, batch_id: int, source_file: str,
             exclude_batch: int) -> str:
    """FROM clause of the file's appended rows whose (non-NULL) foreign key matches no row of the referenced extract."""
    match = " AND ".join(f"r.{quote_ident(rc)} = t.{quote_ident(c)}"
                         for c, rc in zip(fk.columns, fk.ref_columns, strict=True))
    present = " AND ".join(f"t.{quote_ident(c)} IS NOT NULL" for c in fk.columns)
    return (f"FROM ({batch_rows(contract, batch_id, source_file)}) t "
            f"ANTI JOIN ({_references(fk.ref_columns, ref, exclude_batch)}) r ON {match} WHERE {present}")


def count_problems_sql(files: list[tuple[Contract, int, str]], refs: dict[str, Contract], batch_id: int,
                       exclude_batch: int) -> str:
    """One query over a delivery's appended rows: (file_idx, surplus copies of a primary key) per file, and
    (-1, orphans) per referenced key — the foreign keys of every file pointing at one extract are checked together.

    All zero means no row has to be rejected for its key; otherwise ``key_rejects_sql`` finds which, file by file in
    load order. ``files``: (contract, file index, source file name).
    """
    selects = []
    children: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for contract, file_idx, source_file in files:
        rows = batch_rows(contract, batch_id, source_file)
        if contract.primary_key:
            key = (quote_ident(contract.primary_key[0]) if len(contract.primary_key) == 1
                   else "row(" + ", ".join(quote_ident(c) for c in contract.primary_key) + ")")
            selects.append(f"SELECT {file_idx}, count(*) - count(DISTINCT {key}) FROM ({rows})")
        for fk in contract.foreign_keys:
            cols = ", ".join(f"t.{quote_ident(c)} AS {quote_ident(rc)}"
                             for c, rc in zip(fk.columns, fk.ref_columns, strict=True))
            present = " AND ".join(f"t.{quote_ident(c)} IS NOT NULL" for c in fk.columns)
            children.setdefault((fk.ref_key, fk.ref_columns), []).append(
                f"SELECT {cols} FROM ({rows}) t WHERE {present}")
    for (ref_key, ref_columns), child_selects in children.items():
        match = " AND ".join(f"r.{quote_ident(c)} = t.{quote_ident(c)}" for c in ref_columns)
        selects.append(
            f"SELECT -1, count(*) FROM ({' UNION ALL '.join(child_selects)}) t "
            f"ANTI JOIN ({_references(ref_columns, refs[ref_key], exclude_batch)}) r ON {match}")
    return " UNION ALL ".join(selects)


def key_rejects_sql(contract: Contract, refs: dict[str, Contract], file_idx: int, batch_id: int,
                    source_file: str, exclude_batch: int) -> list[str]:
    """INSERTs into the rejects table: every copy of a duplicated primary key, and every orphan foreign key."""
    statements = []
    rows = batch_rows(contract, batch_id, source_file)
    if contract.primary_key:
        pk = [quote_ident(c) for c in contract.primary_key]
        pk_list = ", ".join(contract.primary_key)
        values = "concat_ws(', ', " + ", ".join(f"CAST(t.{c} AS VARCHAR)" for c in pk) + ")"
        join = " AND ".join(f"t.{c} = d.{c}" for c in pk)
        statements.append(
            f"INSERT INTO {REJECTS} (file_idx, line_number, column_name, reason_code, reason) "
            f"SELECT {file_idx}, t._line_number, NULL, '{DUPLICATE_KEY}', "
            f"concat({sql_str(f'primary key ({pk_list}) = (')}, {values}, ') appears ', d.copies, "
            f"' times in the file, on lines ', array_to_string(d.lines[1:10], ', '), "
            f"CASE WHEN d.copies > 10 THEN ', …' ELSE '' END) "
            f"FROM ({rows}) t JOIN (SELECT {', '.join(pk)}, count(*) AS copies, "
            f"list(_line_number ORDER BY _line_number) AS lines FROM ({rows}) GROUP BY ALL HAVING count(*) > 1) d "
            f"ON {join}"
        )
    for fk in contract.foreign_keys:
        values = "concat_ws(', ', " + ", ".join(f"CAST(t.{quote_ident(c)} AS VARCHAR)" for c in fk.columns) + ")"
        fk_cols = ", ".join(fk.columns)
        statements.append(
            f"INSERT INTO {REJECTS} (file_idx, line_number, column_name, reason_code, reason) "
            f"SELECT {file_idx}, t._line_number, {sql_str(fk_cols)}, '{ORPHAN_FOREIGN_KEY}', "
            f"concat({sql_str(f'foreign key ({fk_cols}) = (')}, {values}, "
            f"{sql_str(f') not found in {fk.ref_key} (neither in this delivery nor already loaded)')}) "
            + _orphans(contract, fk, refs[fk.ref_key], batch_id, source_file, exclude_batch)
        )
    return statements


def delete_rejected_sql(contract: Contract, file_idx: int, batch_id: int, source_file: str) -> str:
    return (
        f"DELETE FROM raw.{quote_ident(contract.raw_table)} WHERE _batch_id = {batch_id} "
        f"AND _source_file = {sql_str(source_file)} AND _line_number IN "
        f"(SELECT line_number FROM {REJECTS} WHERE file_idx = {file_idx})"
    )


def masked_raw_text_sql(contract: Contract, expr: str) -> str:
    """``expr`` (a rejected line's text) with the contract's PII fields masked, one ``*`` per character.

    The line number, the field count and every other field stay, which is what diagnosing a rejected line needs.
    A line whose fields cannot be placed for certain (another field count, a quote that may hide a delimiter, a
    fixed-width layout) is withheld whole but for its field count: it may hold personal data.
    """
    positions = [i for i, c in enumerate(contract.columns, 1) if c.pii]
    if not positions:
        return expr
    n = len(contract.columns)
    withheld = f"'[withheld: the line holds personal data ({n} columns in the contract)]'"
    if contract.format.kind == "fixed_width":
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE {withheld} END"
    delim = sql_str(contract.format.delimiter or ",")
    fields = f"string_split({expr}, {delim})"
    listed = ", ".join(str(p) for p in positions)
    masked = (f"array_to_string(list_transform({fields}, lambda x, i: CASE WHEN i IN ({listed}) THEN "
              f"repeat('*', length(x)) ELSE x END), {delim})")
    return (f"CASE WHEN {expr} IS NULL THEN NULL "
            f"WHEN len({fields}) = {n} AND NOT contains({expr}, '\"') THEN {masked} "
            f"ELSE concat('[withheld: ', len({fields}), ' fields, the contract has {n}; the line may hold personal "
            f"data]') END")


def identity_rejects_sql(contract: Contract, rows: str, prior: str, file_idx: str, join: str = "") -> str:
    """INSERT into the rejects table: appended rows whose primary key was loaded before with other values in the
    contract's stable columns (a reused key). ``rows``: the appended rows (with ``_batch_id``); ``prior``: the raw
    rows that count (FROM clause); ``file_idx``/``join``: the row's file index.

    Each row is compared with the key's first loaded row: since every change is rejected, all the rows of a key
    that stay agree with its first, and the comparison does not depend on which deliveries load together. The
    reason names the columns that differ, with old and new values except for PII columns."""
    pk = [quote_ident(c) for c in contract.primary_key]
    stable = [contract.column(c) for c in contract.stable_columns]
    cols = ", ".join(dict.fromkeys([*pk, *(quote_ident(c.name) for c in stable)]))
    match = " AND ".join(f"t.{c} = p.{c}" for c in pk)
    differs = " OR ".join(f"t.{quote_ident(c.name)} IS DISTINCT FROM p.{quote_ident(c.name)}" for c in stable)
    changes = []
    for c in stable:
        ident = quote_ident(c.name)
        text = (sql_str(f"{c.name} differs") if c.pii else
                f"concat({sql_str(c.name + ' ')}, coalesce(CAST(p.{ident} AS VARCHAR), 'empty'), ' → ', "
                f"coalesce(CAST(t.{ident} AS VARCHAR), 'empty'))")
        changes.append(f"CASE WHEN t.{ident} IS DISTINCT FROM p.{ident} THEN {text} END")
    key = "concat_ws(', ', " + ", ".join(f"CAST(t.{c} AS VARCHAR)" for c in pk) + ")"
    pk_list = ", ".join(contract.primary_key)
    return (
        f"INSERT INTO {REJECTS} (file_idx, line_number, column_name, reason_code, reason) "
        f"SELECT {file_idx}, t._line_number, {sql_str(', '.join(contract.stable_columns))}, '{IDENTITY_CHANGED}', "
        f"concat({sql_str(f'{pk_list} = (')}, {key}, ') was loaded before (batch ', p._batch_id, ') as another '"
        f", 'party: ', concat_ws('; ', {', '.join(changes)}), "
        f"{sql_str('; a reused key? the row is held back (rejected) for review')}) "
        f"FROM ({rows}) t {join} JOIN (SELECT DISTINCT ON ({', '.join(pk)}) {cols}, _batch_id FROM {prior} "
        f"ORDER BY {', '.join(pk)}, _batch_id) p ON {match} AND t._batch_id > p._batch_id WHERE {differs}"
    )

