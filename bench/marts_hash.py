"""Fingerprints of a warehouse's marts, to show that a change of the build left their contents as they were.

Each table (and view) of the schema ``marts`` is reduced to its column names, its row count and one MD5 over its rows:
every row cast to text (DuckDB's text of a row, ``{'col': value, ...}``), each row's MD5, those sorted, and the MD5 of
their concatenation. Sorting makes the fingerprint independent of the physical row order; the text of a DECIMAL does
not depend on its width, so ``DECIMAL(38,2)`` and ``DECIMAL(18,2)`` holding the same amounts give the same fingerprint
(the column types are listed beside it, apart from the comparison).

    python -m bench.marts_hash WAREHOUSE [--out FILE.json]        # fingerprints of one warehouse
    python -m bench.marts_hash --compare A.json B.json            # exit 1 and list what differs
    python -m bench.marts_compare --ref 7a2784d ...               # build both and compare (bench/marts_compare.py)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

SCHEMA = "marts"


def table_fingerprint(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, object]:
    """Row count and the MD5 over the sorted MD5s of the rows' text, with the column names and types."""
    columns = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
    relation = f'"{schema}"."{table}"'
    rows, digest = con.execute(
        f"SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
        f"FROM (SELECT md5(CAST(t AS VARCHAR)) AS h FROM {relation} AS t)").fetchone()  # type: ignore[misc]
    return {
        "rows": int(rows),
        "md5": str(digest),
        "columns": [name for name, _ in columns],
        "types": {name: str(kind) for name, kind in columns},
    }


def warehouse_fingerprints(database: Path, schema: str = SCHEMA) -> dict[str, dict[str, object]]:
    """Fingerprint of every table and view of ``schema`` in ``database`` (opened read-only), by name."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute("SET preserve_insertion_order = false")
        tables = [name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
            [schema]).fetchall()]
        return {name: table_fingerprint(con, schema, name) for name in tables}
    finally:
        con.close()


def differences(before: dict[str, dict[str, object]], after: dict[str, dict[str, object]]) -> list[str]:
    """What differs between two sets of fingerprints: tables missing on one side, columns, row counts, contents.

    Column types are not compared: a narrower DECIMAL holding the same values is the same content."""
    out: list[str] = []
    for name in sorted(before.keys() | after.keys()):
        if name not in after:
            out.append(f"{name}: only before")
            continue
        if name not in before:
            out.append(f"{name}: only after")
            continue
        a, b = before[name], after[name]
        for key in ("columns", "rows", "md5"):
            if a[key] != b[key]:
                what = "contents differ" if key == "md5" else f"{key} differ ({a[key]} / {b[key]})"
                out.append(f"{name}: {what}")
                break
    return out


def type_changes(before: dict[str, dict[str, object]], after: dict[str, dict[str, object]]) -> list[str]:
    """Columns whose type changed (informative: e.g. DECIMAL(38,2) -> DECIMAL(18,2))."""
    out: list[str] = []
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name]["types"], after[name]["types"]
        assert isinstance(a, dict) and isinstance(b, dict)
        out.extend(f"{name}.{col}: {a[col]} -> {b[col]}" for col in a if col in b and a[col] != b[col])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.marts_hash", description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", nargs="?", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args(argv)
    if args.compare:
        before, after = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        for line in type_changes(before, after):
            print(f"type  {line}")
        diff = differences(before, after)
        for line in diff:
            print(f"DIFF  {line}")
        print(f"{len(before)} / {len(after)} tables; {len(diff)} differ")
        return 1 if diff else 0
    if args.warehouse is None:
        parser.error("give a warehouse file or --compare")
    prints = warehouse_fingerprints(args.warehouse)
    text = json.dumps(prints, indent=1, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
