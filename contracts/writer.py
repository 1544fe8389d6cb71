"""Render extract files exactly per their contract (used by the synthetic bank and by test fixtures).

The source is anything DuckDB can select from (a table, a view, a registered DataFrame) whose columns are the
contract's columns, typed VARCHAR / BIGINT / DECIMAL / DATE. The writer formats dates and decimals the way the
contract says, encodes the file, and writes its control file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np

from contracts.contract import Column, Contract, control_name_for
from contracts.control import ControlRecord, write_control_file

_TRANSCODE_CHARS = 4 * 1024 * 1024


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    control: ControlRecord

    @property
    def record_count(self) -> int:
        return self.control.record_count


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text_expr(col: Column, date_format: str) -> str:
    """SQL rendering one delimited-file field as text (NULL stays NULL and is written as an empty field)."""
    ident = _quote_ident(col.name)
    if col.type == "date":
        return f"strftime({ident}, '{date_format}')"
    if col.type == "decimal":
        # CAST to VARCHAR keeps every digit of the scale: 12.50 -> '12.50'
        return f"CAST(CAST({ident} AS DECIMAL({col.precision},{col.scale})) AS VARCHAR)"
    return f"CAST({ident} AS VARCHAR)"


def write_extract(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    source: str,
    business_date: date,
    delivery_dir: Path,
    order_by: str | None = None,
) -> WrittenFile:
    """Write ``SELECT <contract columns> FROM source`` as the contract's file for ``business_date``."""
    delivery_dir.mkdir(parents=True, exist_ok=True)
    path = delivery_dir / contract.file_name(business_date)
    order = f" ORDER BY {order_by}" if order_by else ""
    if contract.format.kind == "fixed_width":
        count = _write_fixed_width(con, contract, source, path, order)
    else:
        count = _write_delimited(con, contract, source, path, order)
    return WrittenFile(path=path, control=write_control_file(path, business_date, count))


def _write_delimited(con: duckdb.DuckDBPyConnection, contract: Contract, source: str, path: Path, order: str) -> int:
    fmt = contract.format
    select = ", ".join(
        f"{_text_expr(c, fmt.date_format)} AS {_quote_ident(c.name)}" for c in contract.columns
    )
    query = f"SELECT {select} FROM {source}{order}"
    header = "true" if fmt.header else "false"
    delim = fmt.delimiter.replace("'", "''")  # type: ignore[union-attr]
    target = path if fmt.encoding == "utf-8" else path.with_name(path.name + ".utf8.tmp")
    con.execute(
        f"COPY ({query}) TO '{_sql_path(target)}' "
        f"(FORMAT csv, HEADER {header}, DELIMITER '{delim}', NULLSTR '', NEW_LINE '\\n')"
    )
    if fmt.encoding != "utf-8":
        _transcode(target, path, fmt.python_encoding)
        target.unlink()
    count = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]  # type: ignore[index]
    return int(count)


def _transcode(src: Path, dst: Path, encoding: str) -> None:
    with src.open("r", encoding="utf-8", newline="") as fin, dst.open("w", encoding=encoding, newline="") as fout:
        while chunk := fin.read(_TRANSCODE_CHARS):
            fout.write(chunk)


def render_fixed_width_field(col: Column, value: object, date_format: str, encoding: str) -> bytes:
    """One field as exactly ``col.width`` bytes; raises ValueError when the value does not fit."""
    width = col.width or 0
    if value is None:
        return b" " * width
    if col.type == "date":
        assert isinstance(value, date)
        raw = value.strftime(date_format).encode(encoding)
    elif col.type == "decimal":
        dec = Decimal(value).quantize(Decimal(1).scaleb(-(col.scale or 0)))  # type: ignore[arg-type]
        sign = "-" if dec < 0 else "+"
        digits = f"{abs(dec):.{col.scale}f}"
        raw = (sign + digits.rjust(width - 1, "0")).encode(encoding)
    elif col.type == "integer":
        raw = str(int(value)).rjust(width, "0").encode(encoding)  # type: ignore[call-overload]
    else:
        raw = str(value).encode(encoding).ljust(width, b" ")
    if len(raw) != width:
        raise ValueError(f"{col.name}: {value!r} does not fit in {width} bytes")
    return raw


def _write_fixed_width(con: duckdb.DuckDBPyConnection, contract: Contract, source: str, path: Path, order: str) -> int:
    fmt = contract.format
    cols = sorted(contract.columns, key=lambda c: c.start or 0)
    names = ", ".join(_quote_ident(c.name) for c in cols)
    cursor = con.execute(f"SELECT {names} FROM {source}{order}")
    count = 0
    tmp_fd, tmp_name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(tmp_fd, "wb") as out:
        while rows := cursor.fetchmany(50_000):
            lines = []
            for row in rows:
                parts = []
                pos = 1
                for col, value in zip(cols, row, strict=True):
                    if col.start and col.start > pos:
                        parts.append(b" " * (col.start - pos))
                    parts.append(render_fixed_width_field(col, value, fmt.date_format, fmt.python_encoding))
                    pos = (col.start or pos) + (col.width or 0)
                lines.append(b"".join(parts))
            out.write(b"\n".join(lines) + b"\n")
            count += len(rows)
    os.replace(tmp_name, path)
    return count


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


# --- Batched writing: one extract for many business dates ---------------------------------------------------------
#
# Writing thousands of small files one COPY at a time is dominated by per-statement overhead. The batched writer
# renders a run of business dates with one COPY (same CSV options as ``write_extract``, so the bytes are identical),
# then cuts the result into per-date files at line boundaries. Fixed-width records are rendered in SQL with the same
# rules as ``render_fixed_width_field`` and their byte length is checked after encoding.

_BATCH_ROWS = 1_500_000  # rows rendered per COPY: bounds the memory of the text being cut into files
_WRITER_THREADS = 4


def _delimited_copy_options(contract: Contract, header: bool) -> str:
    delim = contract.format.delimiter.replace("'", "''")  # type: ignore[union-attr]
    return f"FORMAT csv, HEADER {'true' if header else 'false'}, DELIMITER '{delim}', NULLSTR '', NEW_LINE '\\n'"


def _byte_length_sql(expr: str, encoding: str) -> str:
    if encoding == "utf-8":
        return f"strlen({expr})"
    # GBK: ASCII is one byte, every other character it can encode is two (the regex only runs on non-ASCII text).
    return (f"CASE WHEN strlen({expr}) = length({expr}) THEN strlen({expr}) "
            f"ELSE length({expr}) + length(regexp_replace({expr}, '[[:ascii:]]', '', 'g')) END")


def _fixed_width_field_sql(col: Column, date_format: str) -> tuple[str, str]:
    """(SQL rendering the field, SQL of the value's rendered width before padding, NULL when padded blank)."""
    ident = _quote_ident(col.name)
    width = col.width or 0
    blank = f"repeat(' ', {width})"
    if col.type == "date":
        text = f"strftime({ident}, '{date_format}')"
        return f"coalesce({text}, {blank})", f"strlen({text})"
    if col.type == "decimal":
        digits = f"CAST(abs(CAST({ident} AS DECIMAL({col.precision},{col.scale}))) AS VARCHAR)"
        sign = f"CASE WHEN {ident} < 0 THEN '-' ELSE '+' END"
        return f"coalesce({sign} || lpad({digits}, {width - 1}, '0'), {blank})", f"(strlen({digits}) + 1)"
    if col.type == "integer":
        text = f"CAST({ident} AS VARCHAR)"
        return f"coalesce(lpad({text}, {width}, '0'), {blank})", f"strlen({text})"
    text = f"CAST({ident} AS VARCHAR)"
    return text, text  # strings: padded after the byte length is known


def _fixed_width_line_sql(contract: Contract) -> tuple[str, list[tuple[Column, str]]]:
    fmt = contract.format
    parts: list[str] = []
    checks: list[tuple[Column, str]] = []
    pos = 1
    for col in sorted(contract.columns, key=lambda c: c.start or 0):
        if col.start and col.start > pos:
            parts.append(f"'{' ' * (col.start - pos)}'")
        render, measured = _fixed_width_field_sql(col, fmt.date_format)
        width = col.width or 0
        if col.type == "string":
            length = _byte_length_sql(render, fmt.encoding)
            parts.append(f"coalesce({render} || repeat(' ', {width} - {length}), repeat(' ', {width}))")
            checks.append((col, length))
        else:
            parts.append(render)
            checks.append((col, measured))
        pos = (col.start or pos) + width
    return " || ".join(parts), checks


def _check_fixed_width_fits(con: duckdb.DuckDBPyConnection, contract: Contract, source: str,
                            checks: list[tuple[Column, str]]) -> None:
    """Refuse values wider than their field (as ``render_fixed_width_field`` does), checking each distinct value."""
    for col, length in checks:
        ident = _quote_ident(col.name)
        width = col.width or 0
        bad = f"{length} <> {width}" if col.type == "date" else f"{length} > {width}"  # dates fill their field
        rows = con.execute(
            f"SELECT CAST({ident} AS VARCHAR) FROM (SELECT DISTINCT {ident} FROM {source}) WHERE {bad} LIMIT 1"
        ).fetchall()
        if rows:
            raise ValueError(f"{contract.key}: {col.name}: {rows[0][0]!r} does not fit in {width} bytes")


def _newline_offsets(buf: bytes) -> np.ndarray:
    """Byte offset just past each line end."""
    return np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == 10) + 1


def write_extract_days(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    source: str,
    date_column: str,
    business_dates: list[date],
    system_dir: Path,
    order_by: str | None = None,
    on_file: Callable[[WrittenFile], None] | None = None,
    batch_rows: int = _BATCH_ROWS,
    made_dirs: set[str] | None = None,
) -> list[WrittenFile]:
    """Write ``source`` as one file per business date: ``system_dir/<YYYYMMDD>/<file>`` plus its control file.

    ``source`` holds the contract's columns and ``date_column``, the business date each row is delivered on. Every date
    in ``business_dates`` gets a file (an empty one, or header only, when it has no rows); a row dated elsewhere is an
    error rather than silently dropped. The bytes are those ``write_extract`` writes for the same rows and order.
    ``made_dirs`` (shared between calls) remembers the day folders already created.
    """
    dates = sorted(set(business_dates))
    date_ident = _quote_ident(date_column)
    counts = {
        d: int(n)
        for d, n in con.execute(f"SELECT {date_ident}, count(*) FROM {source} GROUP BY ALL").fetchall()
    }
    stray = sorted(set(counts) - set(dates))
    if stray:
        raise ValueError(
            f"{contract.key}: {sum(counts[d] for d in stray)} rows are dated {stray[0]}"
            f"{' …' if len(stray) > 1 else ''}, which is not among the business dates to write"
        )
    fmt = contract.format
    if fmt.kind == "fixed_width":
        line_sql, checks = _fixed_width_line_sql(contract)
        _check_fixed_width_fits(con, contract, source, checks)
        select = f"{line_sql} AS line"
        options = "FORMAT csv, HEADER false, DELIMITER '\\t', QUOTE '', ESCAPE '', NEW_LINE '\\n'"
    else:
        select = ", ".join(f"{_text_expr(c, fmt.date_format)} AS {_quote_ident(c.name)}" for c in contract.columns)
        options = _delimited_copy_options(contract, header=False)
    header = b""
    if fmt.kind == "delimited" and fmt.header:
        header = (fmt.delimiter.join(contract.column_names) + "\n").encode(fmt.python_encoding)  # type: ignore[union-attr]
    order = f"{date_ident}" + (f", {order_by}" if order_by else "")

    written: list[WrittenFile] = []
    made_dirs = set() if made_dirs is None else made_dirs
    # Creating thousands of small files is dominated by file-system latency: a few threads overlap it.
    with ThreadPoolExecutor(max_workers=_WRITER_THREADS) as pool:
        for batch in _batches(dates, counts, batch_rows):
            rows = sum(counts.get(d, 0) for d in batch)
            buf = b""
            if rows:
                with tempfile.TemporaryDirectory(prefix="crmwh-batch-") as tmp:
                    target = Path(tmp) / "batch.txt"
                    con.execute(
                        f"COPY (SELECT {select} FROM {source} "
                        f"WHERE {date_ident} BETWEEN DATE '{batch[0]}' AND DATE '{batch[-1]}' ORDER BY {order}) "
                        f"TO '{_sql_path(target)}' ({options})"
                    )
                    buf = target.read_bytes()
            ends = _newline_offsets(buf)
            if len(ends) != rows:
                raise ValueError(
                    f"{contract.key}: {rows} rows rendered as {len(ends)} lines: a value holds a line break, "
                    "which a batched delivery cannot carry"
                )
            jobs = []
            first = 0
            for day in batch:
                n = counts.get(day, 0)
                start = 0 if first == 0 else int(ends[first - 1])
                stop = int(ends[first + n - 1]) if n else start
                first += n
                directory = os.path.join(system_dir, day.strftime("%Y%m%d"))
                if directory not in made_dirs:
                    os.makedirs(directory, exist_ok=True)
                    made_dirs.add(directory)
                jobs.append(pool.submit(_write_day, contract, day, directory, header, buf[start:stop], n))
            for job in jobs:
                written.append(job.result())
                if on_file is not None:
                    on_file(written[-1])
    return written


def _batches(dates: list[date], counts: dict[date, int], limit: int) -> list[list[date]]:
    batches: list[list[date]] = []
    current: list[date] = []
    rows = 0
    for day in dates:
        n = counts.get(day, 0)
        if current and rows + n > limit:
            batches.append(current)
            current, rows = [], 0
        current.append(day)
        rows += n
    if current:
        batches.append(current)
    return batches


def _write_day(contract: Contract, day: date, directory: str, header: bytes, body: bytes, rows: int) -> WrittenFile:
    fmt = contract.format
    name = contract.file_name(day)
    if fmt.encoding != "utf-8" and not body.isascii():
        try:
            body = body.decode("utf-8").encode(fmt.python_encoding)
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start : exc.end]
            raise ValueError(f"{name}: {bad!r} cannot be encoded as {fmt.encoding}") from None
    if fmt.kind == "fixed_width" and len(body) != rows * (contract.record_width + 1):
        raise ValueError(f"{name}: records are not {contract.record_width} bytes each after {fmt.encoding} encoding")
    data = header + body
    path = os.path.join(directory, name)
    with open(path, "wb") as fh:
        fh.write(data)
    record = ControlRecord(
        file_name=name,
        business_date=day,
        record_count=rows,
        byte_size=len(data),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
    )
    with open(os.path.join(directory, control_name_for(name)), "w", encoding="ascii") as fh:
        fh.write(record.render())
    return WrittenFile(path=Path(path), control=record)
