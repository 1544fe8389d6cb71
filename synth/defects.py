"""Defects injected into a landing area after it is written, for testing the loader (``--defect``).

Each defect hits one file (or one delivery) and changes exactly what its description says; the manifest records the
file and the detail. The target defaults to a sensible extract on the last business date it is delivered; give
``KIND:SYSTEM`` to aim at another system and ``KIND:SYSTEM:YYYYMMDD`` at another date.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from contracts.contract import Contract, ContractSet, control_name_for
from contracts.control import ControlRecord, read_control_file
from synth import GenerateError

DEFECT_KINDS: dict[str, str] = {
    "bad_rows": "three malformed rows (non-numeric amount, invalid date, wrong field count); control still matches",
    "count_mismatch": "the control file's record count is one more than the file holds",
    "checksum_mismatch": "the control file's MD5 does not match the data file",
    "size_mismatch": "the control file's byte size does not match the data file",
    "missing_data_file": "the data file is deleted, its control file stays",
    "missing_control_file": "the control file is deleted, the data file stays",
    "encoding_error": "one row holds bytes that are not valid in the file's encoding (GBK or UTF-8); control matches",
    "truncated_file": "the data file is cut off in the middle of a row; the control file describes the whole file",
    "wrong_delimiter": "rows use another delimiter (fixed-width records become '|'-delimited); control matches",
    "extra_column": "every row carries one field more than the contract (fixed width: 5 bytes more); control matches",
    "empty_file": "the data file is emptied to 0 bytes, and its control file says 0 records",
    "duplicate_key": "the first row appears twice (a duplicate primary key); control matches",
    "orphan_foreign_key": "one row's foreign key points at a record that does not exist; control matches",
    "redelivery": "the whole delivery (system, date) is written again, byte for byte identical, with new timestamps",
}

# Where each kind lands by default, and which extracts suit it when another system is asked for.
_PREFERENCE: dict[str, list[str]] = {
    "bad_rows": ["core.transactions", "cards.card_transactions", "ref.exchange_rates", "accounting.ledger_entries"],
    "count_mismatch": ["core.transactions", "cards.card_transactions", "ref.exchange_rates",
                       "accounting.ledger_entries"],
    "checksum_mismatch": ["core.balances", "cards.cards", "ref.products", "accounting.ledger_entries"],
    "size_mismatch": ["cards.card_transactions", "core.accounts", "ref.branches", "accounting.ledger_entries"],
    "missing_data_file": ["core.loans", "cards.cards", "ref.ftp_curve", "accounting.cost_centres"],
    "missing_control_file": ["ref.exchange_rates", "core.customers", "cards.card_transactions",
                             "accounting.chart_of_accounts"],
    "encoding_error": ["core.customers", "cards.cards", "ref.branches", "accounting.cost_centres"],
    "truncated_file": ["core.transactions", "cards.card_transactions", "ref.relationship_managers",
                       "accounting.ledger_entries"],
    "wrong_delimiter": ["core.accounts", "cards.card_transactions", "ref.products", "accounting.ledger_entries"],
    "extra_column": ["cards.cards", "core.transactions", "ref.exchange_rates", "accounting.ledger_entries"],
    "empty_file": ["core.transactions", "cards.card_transactions", "ref.exchange_rates", "accounting.ledger_entries"],
    "duplicate_key": ["core.customers", "cards.cards", "ref.branches", "accounting.chart_of_accounts"],
    "orphan_foreign_key": ["core.transactions", "cards.card_transactions", "ref.relationship_managers",
                           "accounting.ledger_entries"],
    "redelivery": ["core.transactions", "cards.card_transactions", "ref.exchange_rates", "accounting.ledger_entries"],
}
_SPEC = re.compile(r"^(?P<kind>[a-z_]+)(?::(?P<system>[a-z_]+))?(?::(?P<day>\d{8}))?$")


@dataclass(frozen=True)
class Defect:
    kind: str
    system: str | None = None
    business_date: date | None = None

    def __str__(self) -> str:
        parts = [self.kind]
        if self.system:
            parts.append(self.system)
        if self.business_date:
            parts.append(self.business_date.strftime("%Y%m%d"))
        return ":".join(parts)


def parse_defect(text: str) -> Defect:
    """``KIND[:SYSTEM[:YYYYMMDD]]`` → Defect; ValueError naming what is wrong."""
    m = _SPEC.match(text.strip())
    if not m:
        raise GenerateError(f"{text!r} is not KIND[:SYSTEM[:YYYYMMDD]] (kinds: {', '.join(DEFECT_KINDS)})")
    kind, system, day = m.group("kind"), m.group("system"), m.group("day")
    if kind not in DEFECT_KINDS:
        raise GenerateError(f"unknown defect kind {kind!r} (kinds: {', '.join(DEFECT_KINDS)})")
    systems = {key.split(".")[0] for key in _PREFERENCE[kind]}
    if system is not None and system not in systems:
        raise GenerateError(f"unknown system {system!r} in {text!r} (systems: {', '.join(sorted(systems))})")
    business_date = None
    if day is not None:
        try:
            business_date = date(int(day[:4]), int(day[4:6]), int(day[6:]))
        except ValueError:
            raise GenerateError(f"{day!r} in {text!r} is not a valid date (YYYYMMDD)") from None
    return Defect(kind, system, business_date)


# Kinds that rewrite rows need a file with at least this many of them.
_ROWS_NEEDED = {"bad_rows": 3, "encoding_error": 1, "duplicate_key": 1, "orphan_foreign_key": 1}


def choose_target(defect: Defect, contracts: ContractSet, dates: list[date],
                  out: Path | None = None) -> tuple[Contract, date]:
    """The extract and business date the defect hits: by default the last date the extract is delivered (with rows
    enough for kinds that rewrite rows, when ``out`` is given to look at the control files)."""
    keys = [k for k in _PREFERENCE[defect.kind] if defect.system is None or k.startswith(defect.system + ".")]
    contract = contracts.get(keys[0])
    delivered = [d for d in dates if contract.delivered_on(d)]
    if defect.business_date is None:
        if not delivered:
            raise GenerateError(f"defect {defect}: {contract.key} is never delivered in this horizon")
        needed = _ROWS_NEEDED.get(defect.kind, 0)
        if out is not None and needed:
            for day in reversed(delivered):
                control = out / contract.system / f"{day:%Y%m%d}" / contract.control_file_name(day)
                if control.exists() and read_control_file(control).record_count >= needed:
                    return contract, day
            raise GenerateError(f"defect {defect}: no {contract.key} file has {needed} row(s) to change")
        return contract, delivered[-1]
    if defect.business_date not in dates:
        raise GenerateError(f"defect {defect}: {defect.business_date} is outside the generated business dates "
                         f"({dates[0]} … {dates[-1]})")
    if not contract.delivered_on(defect.business_date):
        raise GenerateError(f"defect {defect}: {contract.key} is not delivered on {defect.business_date} "
                         f"({contract.frequency})")
    return contract, defect.business_date


def apply_defect(defect: Defect, out: Path, contracts: ContractSet, dates: list[date]) -> dict[str, Any]:
    contract, day = choose_target(defect, contracts, dates, out)
    directory = out / contract.system / day.strftime("%Y%m%d")
    path = directory / contract.file_name(day)
    control = directory / control_name_for(path.name)
    record: dict[str, Any] = {
        "kind": defect.kind, "system": contract.system, "extract": contract.extract,
        "business_date": day.isoformat(), "file": f"{contract.system}/{day:%Y%m%d}/{path.name}",
    }
    if not path.exists() or not control.exists():
        raise GenerateError(
            f"defect {defect}: {path} or its control file is missing already (two defects on one file?)"
        )
    handler = _HANDLERS[defect.kind]
    record["detail"] = handler(contract, path, control, day)
    return record


# --- helpers ------------------------------------------------------------------------------------------------------
def _split(contract: Contract, data: bytes) -> tuple[bytes, list[bytes]]:
    """(header line incl. newline or b'', data lines without newlines)."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    header = b""
    if contract.format.header and lines:
        header = lines.pop(0) + b"\n"
    return header, lines


def _join(header: bytes, lines: list[bytes]) -> bytes:
    return header + b"".join(line + b"\n" for line in lines)


def _rewrite_control(path: Path, control: Path, day: date, count: int) -> None:
    data = path.read_bytes()
    rec = ControlRecord(path.name, day, count, len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
    control.write_text(rec.render(), encoding="ascii")


def _fields(contract: Contract, line: bytes) -> list[bytes]:
    delim = contract.format.delimiter.encode(contract.format.python_encoding)  # type: ignore[union-attr]
    return line.split(delim)


def _delim(contract: Contract) -> bytes:
    return contract.format.delimiter.encode(contract.format.python_encoding)  # type: ignore[union-attr]


def _pick_rows(n: int, k: int) -> list[int]:
    """Up to ``k`` distinct rows spread over ``n``: first, middle(s), last."""
    if n == 0:
        return []
    return sorted({min(n - 1, round(i * (n - 1) / max(k - 1, 1))) for i in range(k)})


def _middle_row(n: int) -> int:
    return n // 2


def _set_field(contract: Contract, line: bytes, column: str, value: bytes) -> bytes:
    col = contract.column(column)
    if contract.format.kind == "fixed_width":
        start = (col.start or 1) - 1
        width = col.width or 0
        return line[:start] + value[:width].ljust(width, b" ") + line[start + width:]
    parts = _fields(contract, line)
    parts[contract.column_names.index(column)] = value
    return _delim(contract).join(parts)


def _first_of_type(contract: Contract, *types: str) -> str | None:
    for t in types:
        for c in contract.columns:
            if c.type == t:
                return c.name
    return None


# --- the defects --------------------------------------------------------------------------------------------------
def _bad_rows(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    header, lines = _split(contract, path.read_bytes())
    if len(lines) < 3:
        raise GenerateError(f"{path.name}: needs at least 3 rows to corrupt, has {len(lines)}")
    rows = _pick_rows(len(lines), 3)
    amount = "amount" if "amount" in contract.column_names else _first_of_type(contract, "decimal", "integer")
    when = _first_of_type(contract, "date")
    first_line = 2 if header else 1
    changes = []
    if amount:
        lines[rows[0]] = _set_field(contract, lines[rows[0]], amount, b"12A4.5O")
        changes.append({"line": rows[0] + first_line, "reason": f"non-numeric {amount}"})
    if when:
        bad_date = b"20251341" if contract.format.date_format == "%Y%m%d" else b"2025-13-41"
        lines[rows[1]] = _set_field(contract, lines[rows[1]], when, bad_date)
        changes.append({"line": rows[1] + first_line, "reason": f"invalid date in {when}"})
    if contract.format.kind == "fixed_width":
        lines[rows[2]] = lines[rows[2]][: contract.record_width - 10]
        changes.append({"line": rows[2] + first_line, "reason": "record 10 bytes short"})
    else:
        parts = _fields(contract, lines[rows[2]])
        lines[rows[2]] = _delim(contract).join(parts[:-1])
        changes.append({"line": rows[2] + first_line, "reason": f"{len(parts) - 1} fields instead of {len(parts)}"})
    path.write_bytes(_join(header, lines))
    _rewrite_control(path, control, day, len(lines))
    return {"rows": changes, "record_count": len(lines)}


def _count_mismatch(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    rec = read_control_file(control)
    bad = ControlRecord(rec.file_name, rec.business_date, rec.record_count + 1, rec.byte_size, rec.md5)
    control.write_text(bad.render(), encoding="ascii")
    return {"actual_records": rec.record_count, "control_says": bad.record_count}


def _checksum_mismatch(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    rec = read_control_file(control)
    wrong = hashlib.md5(path.read_bytes() + b"\n", usedforsecurity=False).hexdigest()
    control.write_text(ControlRecord(rec.file_name, rec.business_date, rec.record_count, rec.byte_size,
                                     wrong).render(), encoding="ascii")
    return {"actual_md5": rec.md5, "control_says": wrong}


def _size_mismatch(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    rec = read_control_file(control)
    control.write_text(ControlRecord(rec.file_name, rec.business_date, rec.record_count, rec.byte_size + 7,
                                     rec.md5).render(), encoding="ascii")
    return {"actual_bytes": rec.byte_size, "control_says": rec.byte_size + 7}


def _missing_data_file(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    path.unlink()
    return {"deleted": path.name}


def _missing_control_file(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    control.unlink()
    return {"deleted": control.name}


def _encoding_error(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    header, lines = _split(contract, path.read_bytes())
    if not lines:
        raise GenerateError(f"{path.name}: has no rows to corrupt")
    row = _middle_row(len(lines))
    column = next(c.name for c in contract.columns if c.type == "string")
    bad = b"\xff\xfe" if contract.format.chinese else b"\xff"
    if contract.format.kind == "fixed_width":
        col = contract.column(column)
        start = (col.start or 1) - 1
        lines[row] = lines[row][:start] + bad + lines[row][start + len(bad):]
    else:
        parts = _fields(contract, lines[row])
        i = contract.column_names.index(column)
        parts[i] = parts[i][:1] + bad + parts[i][1:]
        lines[row] = _delim(contract).join(parts)
    path.write_bytes(_join(header, lines))
    _rewrite_control(path, control, day, len(lines))
    return {"line": row + (2 if header else 1), "column": column, "bytes": bad.hex(),
            "encoding": contract.format.encoding}


def _truncated_file(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    data = path.read_bytes()
    cut = int(len(data) * 0.6)
    while cut > 0 and data[cut - 1 : cut] == b"\n":
        cut -= 1
    path.write_bytes(data[:cut])
    return {"bytes_kept": cut, "bytes_before": len(data)}


def _wrong_delimiter(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    header, lines = _split(contract, path.read_bytes())
    if contract.format.kind == "fixed_width":
        cols = sorted(contract.columns, key=lambda c: c.start or 0)
        lines = [b"|".join(line[(c.start or 1) - 1 : (c.start or 1) - 1 + (c.width or 0)].strip() for c in cols)
                 for line in lines]
        used = "|"
    else:
        old = _delim(contract)
        used = "," if contract.format.delimiter == "|" else "|"
        lines = [line.replace(old, used.encode()) for line in lines]
        header = header.replace(old, used.encode())
    path.write_bytes(_join(header, lines))
    _rewrite_control(path, control, day, len(lines))
    return {"delimiter_used": used, "contract_says": contract.format.delimiter or "fixed width"}


def _extra_column(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    header, lines = _split(contract, path.read_bytes())
    if contract.format.kind == "fixed_width":
        lines = [line + b"EXTRA" for line in lines]
    else:
        d = _delim(contract)
        lines = [line + d + b"X" for line in lines]
        if header:
            header = header[:-1] + d + b"extra_column\n"
    path.write_bytes(_join(header, lines))
    _rewrite_control(path, control, day, len(lines))
    return {"columns_in_file": len(contract.columns) + 1, "contract_columns": len(contract.columns)}


def _empty_file(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    before = read_control_file(control).record_count
    path.write_bytes(b"")
    _rewrite_control(path, control, day, 0)
    return {"records_before": before}


def _duplicate_key(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    header, lines = _split(contract, path.read_bytes())
    if not lines:
        raise GenerateError(f"{path.name}: has no rows to duplicate")
    lines.append(lines[0])
    path.write_bytes(_join(header, lines))
    _rewrite_control(path, control, day, len(lines))
    return {"duplicated_line": 2 if header else 1, "appended_as_line": len(lines) + (1 if header else 0),
            "primary_key": list(contract.primary_key)}


def _orphan_foreign_key(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    header, lines = _split(contract, path.read_bytes())
    if not lines or not contract.foreign_keys:
        raise GenerateError(f"{path.name}: needs rows and a foreign key")
    fk = contract.foreign_keys[0]
    column = fk.columns[0]
    row = _middle_row(len(lines))
    col = contract.column(column)
    size = col.width or col.length or 10
    value = ("9" * size).encode()
    lines[row] = _set_field(contract, lines[row], column, value)
    path.write_bytes(_join(header, lines))
    _rewrite_control(path, control, day, len(lines))
    return {"line": row + (2 if header else 1), "column": column, "value": value.decode(),
            "references": f"{fk.ref_key}.{fk.ref_columns[0]}"}


def _redelivery(contract: Contract, path: Path, control: Path, day: date) -> dict[str, Any]:
    rewritten = []
    for item in sorted(path.parent.iterdir()):
        if item.is_file():
            data = item.read_bytes()
            tmp = item.with_name(item.name + ".redelivery")
            tmp.write_bytes(data)
            os.replace(tmp, item)
            rewritten.append(item.name)
    return {"delivery": f"{contract.system}/{day:%Y%m%d}", "files_rewritten": rewritten}


_HANDLERS = {
    "bad_rows": _bad_rows, "count_mismatch": _count_mismatch, "checksum_mismatch": _checksum_mismatch,
    "size_mismatch": _size_mismatch, "missing_data_file": _missing_data_file,
    "missing_control_file": _missing_control_file, "encoding_error": _encoding_error,
    "truncated_file": _truncated_file, "wrong_delimiter": _wrong_delimiter, "extra_column": _extra_column,
    "empty_file": _empty_file, "duplicate_key": _duplicate_key, "orphan_foreign_key": _orphan_foreign_key,
    "redelivery": _redelivery,
}
assert set(_HANDLERS) == set(DEFECT_KINDS) == set(_PREFERENCE)
