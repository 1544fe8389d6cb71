"""Render extract files exactly per their contract (used by the synthetic bank and by test fixtures).

The source is anything DuckDB can select from (a table, a view, a registered DataFrame) whose columns are the
contract's columns, typed VARCHAR / BIGINT / DECIMAL / DATE. The writer formats dates and decimals the way the
contract says, encodes the file, and writes its control file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from ingest.contract import Column, Contract
from ingest.control import ControlRecord, write_control_file

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
