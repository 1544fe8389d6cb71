"""The floor: a hand-written DuckDB bulk load of a landing area, with no checks at all.

    .venv/bin/python -m bench.floor --landing DIR --db FILE

What a competent engineer would write to get the same files into DuckDB as fast as possible, the yardstick `crmwh
ingest` is measured against: one glob ``read_csv`` per extract over all its files, typed columns, ``filename=true``;
GBK files transcoded to UTF-8 first (DuckDB cannot read GBK; Python's C codec, one pass per file, plays the part of
``iconv``); fixed-width files read as whole lines and cut with ``substr``. No control files, no checksums, no line
numbers, no type, key or foreign-key checks, no audit. Prints ``<files> <rows>``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from contracts.contract import Contract, load_contracts


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _transcode(src: Path, dst: Path) -> None:
    dst.write_bytes(src.read_bytes().decode("gbk").encode("utf-8"))


def _files(landing: Path, contract: Contract) -> list[Path]:
    pattern = contract.file.replace("{yyyymmdd}", "[0-9]" * 8)
    return sorted(p for p in (landing / contract.system).glob(f"[0-9]*/{pattern}") if p.stat().st_size > 0)


def _select(contract: Contract, files: list[str]) -> str:
    fmt = contract.format
    listed = "[" + ", ".join(_q(f) for f in files) + "]"
    if fmt.kind == "fixed_width":
        def cut(c) -> str:  # type: ignore[no-untyped-def]
            text = f"trim(substr(line, {c.start}, {c.width}))"
            if c.type == "date":
                return f"CAST(strptime(NULLIF({text}, ''), {_q(fmt.date_format)}) AS DATE) AS {c.name}"
            return f"CAST(NULLIF({text}, '') AS {c.duckdb_type}) AS {c.name}"
        cols = ", ".join(cut(c) for c in contract.columns)
        return (f"SELECT {cols}, filename FROM read_csv({listed}, columns = {{'line': 'VARCHAR'}}, delim = '\x1e', "
                f"quote = '', header = false, auto_detect = false, filename = true)")
    types = "{" + ", ".join(f"{_q(c.name)}: {_q(c.duckdb_type)}" for c in contract.columns) + "}"
    return (f"SELECT * FROM read_csv({listed}, columns = {types}, delim = {_q(fmt.delimiter or ',')}, "
            f"header = {str(fmt.header).lower()}, quote = '\"', escape = '\"', dateformat = {_q(fmt.date_format)}, "
            f"auto_detect = false, filename = true)")


def load(landing: Path, db: Path) -> tuple[int, int]:
    contracts = load_contracts()
    con = duckdb.connect(str(db))
    con.execute("SET enable_progress_bar = false")
    tmp = Path(tempfile.mkdtemp(prefix="crmwh-floor-"))
    n_files = n_rows = 0
    try:
        for contract in contracts.contracts:
            files = _files(landing, contract)
            if not files:  # an extract not delivered in the horizon (month-end files in a short one): empty table
                cols = ", ".join(f"{c.name} {c.duckdb_type}" for c in contract.columns)
                con.execute(f"CREATE TABLE {contract.raw_table} ({cols}, filename VARCHAR)")
                continue
            n_files += len(files)
            if contract.format.encoding == "gbk":
                out = [tmp / f"{p.parent.name}-{p.name}" for p in files]
                with ThreadPoolExecutor(max_workers=2) as pool:
                    list(pool.map(_transcode, files, out))
                files = out
            con.execute(f"CREATE TABLE {contract.raw_table} AS {_select(contract, [str(f) for f in files])}")
            n_rows += int(con.execute(f"SELECT count(*) FROM {contract.raw_table}").fetchone()[0])  # type: ignore[index]
            for f in files if contract.format.encoding == "gbk" else []:
                f.unlink()
        con.execute("CHECKPOINT")
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return n_files, n_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()
    files, rows = load(args.landing, args.db)
    print(files, rows)


if __name__ == "__main__":
    main()
