"""The synthetic bank: deterministic, every file per its contract and control file, the manifest tells the truth,
the general ledger ties out, and the bank looks like a bank (thresholds from issue 2)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from contracts.contract import Contract, load_contracts
from contracts.control import read_control_file
from synth.bank import generate_bank
from synth.ids import luhn_valid, resident_id_valid
from synth.manifest import read_manifest

CONTRACTS = load_contracts()
START = date(2025, 1, 1)
CENT = Decimal("0.01")


# --- generated banks, shared by the tests of this module -----------------------------------------------------
BANK_DAYS = 59  # January and February 2025: two month-ends and the Spring Festival (29 January)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bank")
    generate_bank(scale=0.01, start=START, days=BANK_DAYS, seed=20260101, out=out, defects=[], progress=False)
    return out, read_manifest(out)


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("year")
    generate_bank(scale=0.01, start=START, days=365, seed=20260101, out=out, defects=[], progress=False)
    return out, read_manifest(out)


def _md5s(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    runs = {}
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        generate_bank(scale=0.01, start=date(2025, 1, 15), days=30, seed=seed, out=tmp_path / name, defects=[],
                      progress=False)
        runs[name] = _md5s(tmp_path / name)
    assert len(runs["a"]) > 800
    assert runs["a"] == runs["b"]
    assert runs["a"].keys() == runs["c"].keys()
    differing = [k for k in runs["a"] if runs["a"][k] != runs["c"][k]]
    assert any(k.startswith("core/") and "TXN_DTL" in k for k in differing)


def test_regenerating_into_the_same_folder_replaces_the_old_bank(tmp_path: Path) -> None:
    generate_bank(scale=0.01, start=START, days=12, seed=1, out=tmp_path, defects=[], progress=False)
    generate_bank(scale=0.01, start=START, days=10, seed=1, out=tmp_path, defects=[], progress=False)
    assert not (tmp_path / "core" / "20250112").exists()  # the last day of the first run is gone
    listed = {f["file"] for f in read_manifest(tmp_path)["files"]}
    on_disk = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
               if p.is_file() and p.suffix != ".flg" and p.name != "_manifest.json"}
    assert listed == on_disk
    (tmp_path / "core" / "20250101" / "stray.dat").write_text("x")
    with pytest.raises(ValueError, match="no earlier generation recorded"):
        generate_bank(scale=0.01, start=START, days=10, seed=1, out=tmp_path, defects=[], progress=False)


# --- reading the files back with nothing but the contract -----------------------------------------------------
def _records(contract: Contract, data: bytes) -> list[list[str | None]]:
    """Fields of every record as text (None = empty), checking shape against the contract as it goes."""
    fmt = contract.format
    text = data.decode(fmt.python_encoding)  # raises if the file is not valid GBK / UTF-8
    assert text == "" or text.endswith("\n")
    lines = text.split("\n")[:-1] if text else []
    rows: list[list[str | None]] = []
    if fmt.kind == "fixed_width":
        width = contract.record_width
        for line in lines:
            raw = line.encode(fmt.python_encoding)
            assert len(raw) == width
            rows.append([raw[c.start - 1 : c.start - 1 + c.width].decode(fmt.python_encoding).rstrip() or None
                         for c in contract.columns])  # type: ignore[operator]
        return rows
    if fmt.header:
        assert lines[0] == fmt.delimiter.join(contract.column_names)  # type: ignore[union-attr]
        lines = lines[1:]
    for line in lines:
        assert '"' not in line
        fields = line.split(fmt.delimiter)
        assert len(fields) == len(contract.columns), line
        rows.append([f if f != "" else None for f in fields])
    return rows


@pytest.fixture(scope="module")
def db(bank: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    return read_back(*bank, tmp_path_factory.mktemp("decoded"))


@pytest.fixture(scope="module")
def year_db(year: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    return read_back(*year, tmp_path_factory.mktemp("decoded-year"))


def read_back(out: Path, manifest: dict[str, Any], scratch: Path) -> duckdb.DuckDBPyConnection:
    """Every file read back by the test's own reader (control file, size, MD5 and count checked on the way): per
    extract a text table ``raw_<extract>`` (contract columns and ``_file``), a typed table ``<extract>``, and for
    master data ``<extract>_now``, the latest version of each record."""
    con = duckdb.connect()
    texts: dict[str, list[str]] = defaultdict(list)
    fixed: dict[str, list[list[str | None]]] = defaultdict(list)
    files = []
    for fid, entry in enumerate(manifest["files"]):
        contract = CONTRACTS.get(f"{entry['system']}.{entry['extract']}")
        path = out / entry["file"]
        data = path.read_bytes()
        control = read_control_file(out / entry["control_file"])
        assert control.file_name == path.name == contract.file_name(control.business_date)
        assert control.business_date.isoformat() == entry["business_date"]
        assert control.byte_size == len(data) == entry["bytes"]
        assert control.md5 == hashlib.md5(data).hexdigest() == entry["md5"]
        files.append((fid, entry["file"], entry["business_date"]))
        fmt = contract.format
        if fmt.kind == "fixed_width":
            rows = _records(contract, data)
            fixed[contract.key] += [[str(fid), *row] for row in rows]
            assert control.record_count == len(rows) == entry["rows"]
            continue
        text = data.decode(fmt.python_encoding)  # raises if not valid GBK / UTF-8
        if fmt.header:
            header = fmt.delimiter.join(contract.column_names) + "\n"  # type: ignore[union-attr]
            assert text.startswith(header)
            text = text[len(header):]
        assert text == "" or text.endswith("\n")
        assert '"' not in text  # nothing needed quoting
        assert control.record_count == text.count("\n") == entry["rows"]
        if text:
            prefix = f"{fid}{fmt.delimiter}"
            texts[contract.key].append(prefix + text[:-1].replace("\n", "\n" + prefix) + "\n")
    con.execute("CREATE TABLE files (fid BIGINT, file VARCHAR, day DATE)")
    con.executemany("INSERT INTO files VALUES (?, ?, ?)", files)
    for contract in CONTRACTS.contracts:
        if contract.format.kind == "fixed_width":
            frame = pd.DataFrame(fixed[contract.key], columns=["fid", *contract.column_names], dtype=object)
            con.register("frame", frame)
            source = "frame"
        else:
            combined = scratch / f"{contract.extract}.txt"
            combined.write_text("".join(texts[contract.key]), encoding="utf-8")
            columns = ", ".join(["'fid': 'VARCHAR'", *(f"'{c}': 'VARCHAR'" for c in contract.column_names)])
            source = (f"read_csv('{combined}', delim='{contract.format.delimiter}', header=false, quote='', "
                      f"escape='', columns={{{columns}}}, strict_mode=true)")
        con.execute(f"CREATE TABLE raw_{contract.extract} AS SELECT r.* EXCLUDE (fid), f.file AS _file, f.day AS _day "
                    f"FROM {source} r JOIN files f ON f.fid = CAST(r.fid AS BIGINT)")
        if source == "frame":
            con.unregister("frame")
        casts = []
        for c in contract.columns:
            if c.type == "date":
                casts.append(f"CAST(strptime({c.name}, '{contract.format.date_format}') AS DATE) AS {c.name}")
            elif c.type == "decimal":
                casts.append(f"CAST({c.name} AS DECIMAL({c.precision},{c.scale})) AS {c.name}")
            elif c.type == "integer":
                casts.append(f"CAST({c.name} AS BIGINT) AS {c.name}")
            else:
                casts.append(c.name)
        con.execute(f"CREATE TABLE {contract.extract} AS SELECT {', '.join(casts)}, _file, _day "
                    f"FROM raw_{contract.extract}")
    for table, key in (("customers", "cif_no"), ("accounts", "account_no"), ("cards", "card_no")):
        con.execute(f"""CREATE VIEW {table}_now AS SELECT * FROM {table}
                        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY last_update_date DESC) = 1""")
    return con


def _field_problems(contract: Contract) -> list[str]:
    """SQL counting rows whose text breaks the contract, one expression per rule."""
    out = []
    for c in contract.columns:
        if not c.nullable:
            out.append(f"count(*) FILTER (WHERE {c.name} IS NULL)")
        if c.type == "date":
            out.append(f"count(*) FILTER (WHERE try_strptime({c.name}, '{contract.format.date_format}') IS NULL "
                       f"AND {c.name} IS NOT NULL)")
        elif c.type == "decimal":
            sign = "[+-]" if contract.format.kind == "fixed_width" else "-?"  # fixed width: +00000001234567.89
            pattern = sign + "[0-9]+\\." + "[0-9]" * (c.scale or 0)
            out.append(f"count(*) FILTER (WHERE NOT regexp_full_match({c.name}, '{pattern}'))")
        elif c.type == "integer":
            out.append(f"count(*) FILTER (WHERE NOT regexp_full_match({c.name}, '-?[0-9]+'))")
        if c.codes:
            codes = ", ".join("'" + k + "'" for k in c.codes)
            out.append(f"count(*) FILTER (WHERE {c.name} NOT IN ({codes}))")
        if c.length:
            out.append(f"count(*) FILTER (WHERE length({c.name}) > {c.length})")
    return out


def test_every_file_matches_its_control_file_contract_and_manifest(bank: tuple[Path, dict[str, Any]],
                                                                   db: duckdb.DuckDBPyConnection) -> None:
    manifest = bank[1]
    dates = [date.fromordinal(START.toordinal() + i) for i in range(BANK_DAYS)]
    expected = {(c.key, d) for c in CONTRACTS.contracts for d in dates if c.delivered_on(d)}
    listed = {(f"{f['system']}.{f['extract']}", date.fromisoformat(f["business_date"])) for f in manifest["files"]}
    assert listed == expected
    for contract in CONTRACTS.contracts:
        raw = f"raw_{contract.extract}"
        counts = db.execute(f"SELECT {', '.join(_field_problems(contract))} FROM {raw}").fetchall()[0]
        assert all(n == 0 for n in counts), (contract.key, counts)
        key = ", ".join(contract.primary_key)
        duplicates = db.execute(f"SELECT count(*) FROM (SELECT {key}, _file FROM {raw} GROUP BY ALL "
                                "HAVING count(*) > 1)").fetchall()
        assert duplicates == [(0,)], contract.key
        # rows and exact decimal sums per file, recomputed from the files, against the manifest
        decimals = [c.name for c in contract.columns if c.type == "decimal"]
        select = ", ".join([f"CAST(sum({d}) AS VARCHAR)" for d in decimals] or ["NULL"])
        found = {row[0]: row[1:] for row in
                 db.execute(f"SELECT _file, count(*), {select} FROM {contract.extract} GROUP BY _file").fetchall()}
        entries = [f for f in manifest["files"] if f["system"] == contract.system
                   and f["extract"] == contract.extract]
        for entry in entries:
            counted = found.get(entry["file"], (0, *([None] * len(decimals))))
            assert counted[0] == entry["rows"]
            for name, value in zip(decimals, counted[1:] if decimals else (), strict=True):
                assert Decimal(value or 0) == Decimal(entry["sums"][name]), (entry["file"], name)
                assert Decimal(entry["sums"][name]).as_tuple().exponent == -(contract.column(name).scale or 0)
        total = manifest["extracts"][contract.key]
        assert total["rows"] == sum(f["rows"] for f in entries)
        for name in decimals:
            assert Decimal(total["sums"][name]) == sum((Decimal(f["sums"][name]) for f in entries), Decimal(0))
    assert manifest["totals"]["rows"] == sum(f["rows"] for f in manifest["files"])


def test_every_foreign_key_points_at_a_record_delivered_by_then(db: duckdb.DuckDBPyConnection) -> None:
    for contract in CONTRACTS.contracts:
        for fk in contract.foreign_keys:
            ref = CONTRACTS.get(fk.ref_key)
            on = " AND ".join(f"p.{r} = c.{c}" for c, r in zip(fk.columns, fk.ref_columns, strict=True))
            not_null = " AND ".join(f"c.{c} IS NOT NULL" for c in fk.columns)
            # the referenced record was delivered on the same business date or earlier
            orphans = db.execute(f"""
                SELECT count(*) FROM raw_{contract.extract} c WHERE {not_null} AND NOT EXISTS (
                    SELECT 1 FROM raw_{ref.extract} p WHERE {on} AND p._day <= c._day)
            """).fetchall()
            assert orphans == [(0,)], f"{contract.key} → {fk.ref_key}"


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def test_gl_interest_ties_out_exactly_to_the_accruals(db: duckdb.DuckDBPyConnection) -> None:
    accrued = _rows(db, """
        SELECT i.accrual_month, i.gl_account, i.accrued_interest, f.cny_per_unit
        FROM interest_accruals i JOIN exchange_rates f ON f.rate_date = last_day(i.accrual_month)
                                                      AND f.currency = i.currency
    """)
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for month, account, interest, rate in accrued:
        expected[(month.strftime("%Y-%m"), account)] += (interest * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    expected = {k: v for k, v in expected.items() if v != 0}  # nothing to post
    posted = {
        (m, a): amount for m, a, amount in _rows(db, """
            SELECT strftime(posting_date, '%Y-%m'), account_code, sum(amount) FROM ledger_entries
            WHERE (account_code LIKE '6011%' AND account_code <> '601106' AND dr_cr_flag = 'C')
               OR (account_code LIKE '6411%' AND dr_cr_flag = 'D')
            GROUP BY ALL
        """)
    }
    assert len(expected) >= 2 * 8
    assert posted == expected


def test_gl_debits_equal_credits_every_day(db: duckdb.DuckDBPyConnection) -> None:
    days = _rows(db, """
        SELECT posting_date, sum(amount) FILTER (WHERE dr_cr_flag = 'D'), sum(amount) FILTER (WHERE dr_cr_flag = 'C'),
               count(*)
        FROM ledger_entries GROUP BY 1
    """)
    assert len(days) == BANK_DAYS
    assert all(dr == cr and n > 0 for _, dr, cr, n in days)


def test_gl_fee_income_equals_fees_charged_converted_at_the_days_rate(db: duckdb.DuckDBPyConnection) -> None:
    fees = _rows(db, """
        WITH fx AS (SELECT rate_date, currency, cny_per_unit FROM exchange_rates),
        prod AS (SELECT DISTINCT product_code, gl_fee_account FROM products)
        SELECT t.txn_date, p.gl_fee_account,
               sum(round((t.fee_amount + CASE WHEN t.txn_type = 'FEE' THEN t.amount ELSE 0 END) * fx.cny_per_unit, 2))
        FROM transactions t JOIN accounts_now a USING (account_no) JOIN prod p USING (product_code)
        JOIN fx ON fx.rate_date = t.txn_date AND fx.currency = t.currency
        WHERE t.fee_amount > 0 OR t.txn_type = 'FEE'
        GROUP BY ALL
    """)
    card = _rows(db, """
        SELECT txn_date,
               sum(CASE WHEN reversal_flag = 'Y' THEN -interchange_fee ELSE interchange_fee END)
                 + coalesce(sum(amount) FILTER (WHERE txn_type IN ('AFE', 'CFE')), 0),
               coalesce(sum(amount) FILTER (WHERE txn_type = 'IFE'), 0)
        FROM card_transactions GROUP BY 1
    """)
    expected: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for day, account, amount in fees:
        expected[(day, account)] += amount
    for day, card_fees, installment_fees in card:
        expected[(day, "602102")] += card_fees
        expected[(day, "602104")] += installment_fees
    expected = {k: v for k, v in expected.items() if v != 0}
    posted = {(d, a): amt for d, a, amt in _rows(db, """
        SELECT posting_date, account_code, sum(amount) FROM ledger_entries
        WHERE account_code LIKE '6021%' AND dr_cr_flag = 'C' GROUP BY ALL
    """)}
    assert posted == expected


def test_balances_move_exactly_by_the_transactions(db: duckdb.DuckDBPyConnection) -> None:
    """Between two balance rows of an account, the change equals its transactions (credits − debits − fees;
    loans: disbursals − repayments)."""
    mismatches = _rows(db, """
        WITH b AS (
            SELECT account_no, balance_date, balance,
                   lag(balance_date) OVER w AS prev_date, lag(balance) OVER w AS prev_balance
            FROM balances WINDOW w AS (PARTITION BY account_no ORDER BY balance_date)
        ),
        kinds AS (SELECT DISTINCT product_code, product_line FROM products),
        t AS (
            SELECT t.account_no, t.txn_date,
                   sum(CASE WHEN k.product_line = 'LOAN'
                            THEN CASE WHEN t.dr_cr_flag = 'D' THEN t.amount ELSE -t.amount END
                            ELSE CASE WHEN t.dr_cr_flag = 'C' THEN t.amount ELSE -t.amount END - t.fee_amount
                       END) AS net
            FROM transactions t JOIN accounts_now a USING (account_no) JOIN kinds k USING (product_code)
            GROUP BY ALL
        )
        SELECT b.account_no, b.balance_date, b.balance - b.prev_balance AS moved, coalesce(sum(t.net), 0) AS net
        FROM b LEFT JOIN t ON t.account_no = b.account_no AND t.txn_date > b.prev_date
                          AND t.txn_date <= b.balance_date
        WHERE b.prev_date IS NOT NULL
        GROUP BY ALL
        HAVING b.balance - b.prev_balance <> coalesce(sum(t.net), 0)
    """)
    assert mismatches == []
    assert _rows(db, "SELECT count(*) FROM balances WHERE balance < 0") == [(0,)]


def test_card_statements_follow_from_card_transactions(db: duckdb.DuckDBPyConnection) -> None:
    bad = _rows(db, """
        WITH t AS (
            SELECT card_no, last_day(txn_date) AS statement_date,
                   sum(CASE WHEN txn_type IN ('PUR', 'INS') THEN CASE WHEN reversal_flag = 'Y' THEN -amount
                            ELSE amount END WHEN txn_type = 'REF' THEN -amount ELSE 0 END) AS purchases,
                   sum(amount) FILTER (WHERE txn_type = 'CSH') AS cash,
                   sum(amount) FILTER (WHERE txn_type = 'PMT') AS payments,
                   sum(amount) FILTER (WHERE txn_type = 'INT') AS interest,
                   sum(amount) FILTER (WHERE txn_type IN ('AFE', 'IFE', 'CFE')) AS fees
            FROM card_transactions JOIN cards_now USING (card_no) WHERE card_type = 'C' GROUP BY ALL
        )
        SELECT s.card_no, s.statement_date FROM card_statements s
        LEFT JOIN t ON t.card_no = s.card_no AND t.statement_date = s.statement_date
        WHERE s.purchases <> coalesce(t.purchases, 0) OR s.cash_advances <> coalesce(t.cash, 0)
           OR s.payments <> coalesce(t.payments, 0) OR s.interest_charged <> coalesce(t.interest, 0)
           OR s.fees_charged <> coalesce(t.fees, 0)
           OR s.closing_balance <> s.opening_balance + s.purchases + s.cash_advances - s.payments
                                   + s.interest_charged + s.fees_charged
    """)
    assert bad == []
    chained = _rows(db, """
        SELECT count(*) FROM (
            SELECT opening_balance, lag(closing_balance) OVER (PARTITION BY card_no ORDER BY statement_date) AS prev
            FROM card_statements) WHERE prev IS NOT NULL AND prev <> opening_balance
    """)
    assert chained == [(0,)]


def test_interchange_is_about_a_third_percent_on_debit_and_half_on_credit(db: duckdb.DuckDBPyConnection) -> None:
    ((debit_rate, debit_cap, credit_rate),) = _rows(db, """
        SELECT sum(t.interchange_fee) FILTER (WHERE c.card_type = 'D' AND t.amount <= 3000)
                   / sum(t.amount) FILTER (WHERE c.card_type = 'D' AND t.amount <= 3000),
               max(t.interchange_fee) FILTER (WHERE c.card_type = 'D'),
               sum(t.interchange_fee) FILTER (WHERE c.card_type = 'C') / sum(t.amount) FILTER (WHERE c.card_type = 'C')
        FROM card_transactions t JOIN cards_now c USING (card_no)
        WHERE t.txn_type IN ('PUR', 'INS') AND t.reversal_flag = 'N'
    """)
    assert abs(debit_rate - 0.0035) < 0.0001  # 0.35 %, rounded per transaction …
    assert debit_cap == Decimal("13.00")  # … and capped at 13 CNY
    assert 0.0045 <= credit_rate <= 0.0056


# --- realism ------------------------------------------------------------------------------------------------------
def test_about_five_percent_of_customers_are_corporate(db: duckdb.DuckDBPyConnection) -> None:
    ((n, corporate),) = _rows(db, "SELECT count(*), count(*) FILTER (WHERE customer_type = 'C') FROM customers_now")
    assert 900 <= n <= 1000  # a tenth of a year's new customers arrive later
    assert 0.03 <= corporate / n <= 0.07


def test_a_fifth_of_customers_hold_most_of_the_balances(db: duckdb.DuckDBPyConnection) -> None:
    ((share,),) = _rows(db, """
        WITH per_customer AS (
            SELECT a.cif_no, sum(b.balance * f.cny_per_unit) AS cny
            FROM balances b JOIN accounts_now a USING (account_no)
            JOIN exchange_rates f ON f.rate_date = b.balance_date AND f.currency = b.currency
            WHERE b.balance_date = DATE '2025-02-28' AND a.product_code NOT LIKE 'L%'
            GROUP BY 1
        ),
        ranked AS (SELECT cny, row_number() OVER (ORDER BY cny DESC) AS r, count(*) OVER () AS n FROM per_customer)
        SELECT sum(cny) FILTER (WHERE r <= n / 5) / sum(cny) FROM ranked
    """)
    assert share >= Decimal("0.70")


def test_retail_customers_bank_on_their_phones(db: duckdb.DuckDBPyConnection) -> None:
    mix = dict(_rows(db, """
        SELECT t.channel, count(*) FROM transactions t JOIN accounts_now a USING (account_no)
        JOIN customers_now c USING (cif_no) WHERE c.customer_type = 'P' GROUP BY 1
    """))
    total = sum(mix.values())
    assert (mix["MOB"] + mix["NET"]) / total > 0.80
    assert mix["CTR"] > 0 and mix["ATM"] > 0 and mix["POS"] > 0


def test_weekday_and_spring_festival_patterns(db: duckdb.DuckDBPyConnection) -> None:
    by_day = dict(_rows(db, "SELECT txn_date, count(*) FROM transactions GROUP BY 1"))
    weekdays = [n for d, n in by_day.items() if d.weekday() < 5]
    sundays = [n for d, n in by_day.items() if d.weekday() == 6]
    assert sum(sundays) / len(sundays) < 0.8 * sum(weekdays) / len(weekdays)
    festival = [by_day[date(2025, 1, 29 + i) if i < 3 else date(2025, 2, i - 2)] for i in range(7)]
    before = [by_day[date(2025, 1, 15 + i)] for i in range(7)]
    assert sum(festival) < 0.75 * sum(before)


@pytest.mark.slow
def test_churners_go_quiet_before_they_leave(year: tuple[Path, dict[str, Any]], year_db: duckdb.DuckDBPyConnection
                                            ) -> None:
    db = year_db
    churned = year[1]["truth"]["churned"]
    assert 40 <= len(churned) <= 130  # about 8 % of personal customers a year
    db.execute("CREATE OR REPLACE TABLE churned AS SELECT * FROM (VALUES "
               + ", ".join(f"('{c['cif_no']}', DATE '{c['churn_date']}', '{c['outcome']}')" for c in churned)
               + ") t(cif_no, churn_date, outcome)")
    rates = _rows(db, """
        SELECT c.cif_no,
               count(*) FILTER (WHERE t.txn_date > c.churn_date - 60 AND t.txn_date <= c.churn_date) / 60.0 AS last60,
               count(*) FILTER (WHERE t.txn_date <= c.churn_date - 60)
                   / greatest(date_diff('day', DATE '2025-01-01', c.churn_date - 60), 1) AS before
        FROM churned c JOIN accounts_now a USING (cif_no) JOIN transactions t USING (account_no)
        WHERE c.churn_date >= DATE '2025-05-01'
        GROUP BY c.cif_no, c.churn_date
    """)
    falling = [r for r in rates if r[1] < r[2]]
    assert len(rates) >= 20
    assert len(falling) >= 0.7 * len(rates)
    closed = _rows(db, """
        SELECT count(*) FROM churned c JOIN customers_now n USING (cif_no)
        WHERE (c.outcome = 'closed' AND n.customer_status = '9' AND n.close_date = c.churn_date)
           OR (c.outcome = 'dormant' AND n.customer_status = '1')
    """)
    assert closed == [(len(churned),)]


@pytest.mark.slow
def test_a_year_of_loans_migrates_between_classes_and_some_default(year: tuple[Path, dict[str, Any]],
                                                                   year_db: duckdb.DuckDBPyConnection) -> None:
    db = year_db
    defaulted = [d for d in year[1]["truth"]["defaulted"] if not d["before_horizon"]]
    assert defaulted
    for d in defaulted:
        rows = _rows(db, f"""
            SELECT as_of_date, five_class, days_past_due, pd FROM loans
            WHERE loan_account_no = '{d['loan_account_no']}' AND as_of_date IN
                  (DATE '{d['default_date']}', DATE '{d['default_date']}' - 1) ORDER BY 1
        """)
        assert rows[-1][1] in ("次级", "可疑", "损失") and rows[-1][2] > 90 and rows[-1][3] == Decimal("1.000000")
        assert rows[0][1] == "关注" and rows[0][2] == 90
    classes = _rows(db, """
        SELECT count(*) FILTER (WHERE (days_past_due > 90) <> (five_class IN ('次级', '可疑', '损失'))),
               count(*) FILTER (WHERE days_past_due BETWEEN 1 AND 90 AND five_class <> '关注'),
               count(DISTINCT five_class)
        FROM loans
    """)
    assert classes[0][:2] == (0, 0)
    assert classes[0][2] >= 4
    ((by_count, by_amount),) = _rows(db, """
        SELECT count(*) FILTER (WHERE five_class IN ('次级', '可疑', '损失')) / count(*),
               sum(outstanding_principal) FILTER (WHERE five_class IN ('次级', '可疑', '损失'))
               / sum(outstanding_principal)
        FROM loans WHERE as_of_date = DATE '2025-12-31'
    """)
    assert 0.005 <= by_count <= 0.10  # a bank of a thousand customers: a handful of bad loans, whatever their size
    assert by_amount < Decimal("0.10")


@pytest.mark.slow
def test_a_year_of_loans_has_write_offs_cures_and_events_on_any_day(year: tuple[Path, dict[str, Any]],
                                                                   year_db: duckdb.DuckDBPyConnection) -> None:
    """What the risk rules need to be exercised: write-offs the warehouse can see (a WOF transaction of the balance,
    the loan gone from the snapshot that day), defaults that cure, repayments, payoffs and disbursals in the middle
    of a month, mortgages with a collateral value in every loan-to-value band, corporates with a size class."""
    db = year_db
    written_off = year[1]["truth"]["written_off"]
    assert written_off
    for w in written_off:
        ((wof, last_seen, balance),) = _rows(db, f"""
            SELECT (SELECT sum(amount) FROM transactions WHERE account_no = '{w['loan_account_no']}'
                      AND txn_type = 'WOF' AND txn_date = DATE '{w['write_off_date']}' AND dr_cr_flag = 'C'),
                   max(as_of_date), arg_max(outstanding_principal, as_of_date)
            FROM loans WHERE loan_account_no = '{w['loan_account_no']}'""")
        assert wof == Decimal(w["amount"]) == balance
        assert last_seen == date.fromisoformat(w["write_off_date"]) - timedelta(days=1)
    cured = _rows(db, """
        SELECT DISTINCT l.loan_account_no FROM loans l JOIN loans b ON b.loan_account_no = l.loan_account_no
         AND b.as_of_date < l.as_of_date AND b.five_class IN ('次级', '可疑', '损失')
        WHERE l.days_past_due = 0 AND l.five_class = '关注'""")
    assert cured
    ((mid_repay, mid_payoff, mid_open),) = _rows(db, """
        WITH spans AS (SELECT loan_account_no, min(as_of_date) AS first_on, max(as_of_date) AS last_on FROM loans
                       GROUP BY 1)
        SELECT (SELECT count(*) FROM transactions WHERE txn_type = 'LRP' AND day(txn_date) BETWEEN 2 AND 27),
               count(*) FILTER (WHERE last_on < DATE '2025-12-31' AND day(last_on + 1) BETWEEN 2 AND 27),
               count(*) FILTER (WHERE first_on > DATE '2025-01-01' AND day(first_on) BETWEEN 2 AND 27)
        FROM spans""")
    assert mid_repay > 0 and mid_payoff > 0 and mid_open > 0
    ((unvalued_secured, valued_unsecured),) = _rows(db, """
        SELECT count(*) FILTER (WHERE collateral_type IN ('M', 'P') AND collateral_value IS NULL),
               count(*) FILTER (WHERE collateral_type IN ('G', 'C') AND collateral_value IS NOT NULL)
        FROM loans""")
    assert (unvalued_secured, valued_unsecured) == (0, 0)
    bands = {band for (band,) in _rows(db, """
        SELECT DISTINCT CASE WHEN ltv <= 0.5 THEN 1 WHEN ltv <= 0.6 THEN 2 WHEN ltv <= 0.8 THEN 3 WHEN ltv <= 0.9 THEN 4
                             WHEN ltv <= 1.0 THEN 5 ELSE 6 END
        FROM (SELECT l.outstanding_principal / l.collateral_value AS ltv FROM loans l
              JOIN accounts_now a ON a.account_no = l.loan_account_no
              WHERE a.product_code = 'L1001' AND l.as_of_date = DATE '2025-12-31')""")}
    assert bands == {1, 2, 3, 4, 5, 6}
    scales = dict(_rows(db, """SELECT coalesce(enterprise_scale, '-') || customer_type, count(*) FROM customers_now
                               GROUP BY 1"""))
    assert set(scales) == {"-P", "1C", "2C", "3C", "4C"}


def test_card_holders_match_core_by_id_under_their_own_numbers(bank: tuple[Path, dict[str, Any]],
                                                               db: duckdb.DuckDBPyConnection) -> None:
    matched = _rows(db, """
        SELECT DISTINCT k.card_customer_no, c.cif_no, k.cardholder_name = c.customer_name
        FROM cards_now k LEFT JOIN customers_now c ON c.id_type = k.id_type AND c.id_number = k.id_number
    """)
    truth = bank[1]["truth"]["card_customers"]
    delivered = {no for no, _, _ in matched}
    assert {no: cif for no, cif, _ in matched} == {no: cif for no, cif in truth.items() if no in delivered}
    in_core = [m for m in matched if m[1] is not None]
    assert in_core and all(no != cif for no, cif, _ in in_core)
    assert any(m[1] is None for m in matched)  # card-only customers
    assert any(same is False for _, _, same in in_core)  # names written differently in the card system


def test_identifiers_carry_valid_check_digits(db: duckdb.DuckDBPyConnection) -> None:
    ids = [i for (i,) in _rows(db, "SELECT DISTINCT id_number FROM customers WHERE id_type = '01'")]
    assert ids and all(resident_id_valid(i) for i in ids)
    cards = [c for (c,) in _rows(db, "SELECT DISTINCT card_no FROM cards")]
    accounts = [a for (a,) in _rows(db, "SELECT DISTINCT account_no FROM accounts")]
    assert all(luhn_valid(n) for n in cards + accounts)
    assert len({len(a) for a in accounts}) == 1 and len({len(c) for c in cards}) == 1


def test_rates_are_realistic(db: duckdb.DuckDBPyConnection) -> None:
    ((dep_lo, dep_hi, loan_lo, loan_hi),) = _rows(db, """
        SELECT min(interest_rate) FILTER (WHERE product_code LIKE 'D%'),
               max(interest_rate) FILTER (WHERE product_code LIKE 'D%'),
               min(interest_rate) FILTER (WHERE product_code LIKE 'L%'),
               max(interest_rate) FILTER (WHERE product_code LIKE 'L%')
        FROM accounts
    """)
    assert Decimal("0.0005") <= dep_lo and dep_hi <= Decimal("0.0160")  # 0.05 % … 1.6 %
    assert Decimal("0.0250") <= loan_lo and loan_hi <= Decimal("0.1300")
    ((mortgage,),) = _rows(db, "SELECT median(interest_rate) FROM accounts_now WHERE product_code = 'L1001'")
    assert Decimal("0.028") <= mortgage <= Decimal("0.036")
    inverted = _rows(db, """
        SELECT count(*) FROM (SELECT ftp_rate, lag(ftp_rate) OVER (PARTITION BY curve_date, currency
                                                                  ORDER BY term_months) AS p
                              FROM ftp_curve) WHERE ftp_rate <= p
    """)
    assert inverted == [(0,)]
    ((lo, hi),) = _rows(db, f"""SELECT min(ftp_rate), max(ftp_rate) FROM ftp_curve
                                WHERE tenor = '1Y' AND currency = 'CNY' AND curve_date >= DATE '{START}'""")
    assert Decimal("0.015") < lo < hi < Decimal("0.028")
    ((usd_lo, usd_hi),) = _rows(db, "SELECT min(ftp_rate), max(ftp_rate) FROM ftp_curve "
                                    "WHERE tenor = '1Y' AND currency = 'USD'")
    assert Decimal("0.035") < usd_lo < usd_hi < Decimal("0.055")  # USD funding of 2025, about 4.3 % plus a spread


def test_the_first_delivery_carries_the_curve_history_and_a_usd_curve(db: duckdb.DuckDBPyConnection) -> None:
    """Term products opened before the first business date need the curve of their own day: the first curve file
    holds years of history, in CNY and USD (no HKD or EUR curve: those accounts are priced on a fallback)."""
    history = _rows(db, f"""
        SELECT currency, min(curve_date), count(DISTINCT curve_date), min(_day), max(_day),
               count(DISTINCT day_count)
        FROM ftp_curve WHERE curve_date < DATE '{START}' GROUP BY currency ORDER BY currency""")
    assert [h[0] for h in history] == ["CNY", "USD"]
    for _, first, days, delivered_from, delivered_to, day_counts in history:
        assert first <= date(START.year - 3, START.month, START.day)
        assert days == (START - first).days  # every day of the history
        assert delivered_from == delivered_to == START  # all of it in the first delivery
        assert day_counts == 1
    later = _rows(db, f"SELECT count(*) FROM ftp_curve WHERE _day > DATE '{START}' AND curve_date <> _day")
    assert later == [(0,)]  # daily deliveries hold the day's curves only
    # rates fell over the years before the horizon: the history stands above today's curve
    ((then, now),) = _rows(db, f"""
        SELECT avg(ftp_rate) FILTER (WHERE curve_date < DATE '{START}' - INTERVAL 3 YEAR),
               avg(ftp_rate) FILTER (WHERE curve_date >= DATE '{START}')
        FROM ftp_curve WHERE currency = 'CNY' AND tenor = '1Y'""")
    assert Decimal("0.005") < then - now < Decimal("0.015")
    uncovered = _rows(db, """
        SELECT DISTINCT a.currency FROM accounts_now a
        WHERE a.currency NOT IN (SELECT currency FROM ftp_curve) ORDER BY 1""")
    assert uncovered == [("EUR",), ("HKD",)]
    ((older,),) = _rows(db, "SELECT count(*) FROM accounts_now WHERE product_code LIKE 'D11%' AND "
                            "open_date < (SELECT min(curve_date) FROM ftp_curve)")
    assert older > 0  # a few 5-year deposits predate the FTP system: priced on the fallback curve


def test_rolled_over_deposits_carry_the_value_date_of_their_new_term(bank: tuple[Path, dict[str, Any]],
                                                                      db: duckdb.DuckDBPyConnection) -> None:
    rollovers = bank[1]["truth"]["rollovers"]
    assert len(rollovers) >= 20
    latest: dict[str, str] = {}
    for r in rollovers:
        latest[r["account_no"]] = max(latest.get(r["account_no"], ""), r["rolled_over_on"])
    delivered = {a: (v, c) for a, v, c in _rows(db, """SELECT account_no, CAST(value_date AS VARCHAR),
                                                             CAST(close_date AS VARCHAR) FROM accounts_now""")}
    for account_no, rolled_over_on in latest.items():
        value_date, close_date = delivered[account_no]
        assert value_date == rolled_over_on, account_no
        assert close_date is None or close_date > rolled_over_on, account_no  # only a live deposit rolls over
    # a rollover re-delivers the account on its value date, with the new maturity and the rate of that day
    moved = _rows(db, """
        SELECT count(*) FROM accounts WHERE value_date <> open_date AND (_day <> value_date
            OR maturity_date <= value_date)""")
    assert moved == [(0,)]
    untouched = _rows(db, "SELECT count(*) FROM accounts_now WHERE value_date IS NULL OR value_date < open_date")
    assert untouched == [(0,)]


@pytest.mark.slow
def test_over_a_year_rates_move_with_the_lpr_cut(year_db: duckdb.DuckDBPyConnection) -> None:
    ((before, after),) = _rows(year_db, """
        SELECT avg(ftp_rate) FILTER (WHERE curve_date < DATE '2025-05-20'),
               avg(ftp_rate) FILTER (WHERE curve_date >= DATE '2025-05-20')
        FROM ftp_curve WHERE tenor = '1Y' AND currency = 'CNY' AND curve_date >= DATE '2025-01-01'
    """)
    assert Decimal("0.0005") < before - after < Decimal("0.002")
    repriced = _rows(year_db, """
        SELECT count(DISTINCT account_no) FROM (
            SELECT account_no, count(DISTINCT interest_rate) AS rates FROM accounts WHERE product_code = 'L1001'
            GROUP BY 1) WHERE rates > 1
    """)
    assert repriced[0][0] > 0  # floating mortgages repriced on their anniversary after the cut


def test_shared_customers_and_mid_month_rm_changes_exist_and_shares_add_up(db: duckdb.DuckDBPyConnection) -> None:
    # shared credit (分润): every customer's shares add up to exactly 1 on every day, with one lead and co-RMs
    days = _rows(db, """SELECT cif_no, _day, sum(share_ratio), count(*) FILTER (WHERE rm_role = '1')
                        FROM customer_rm_shares GROUP BY ALL""")
    assert days and all(total == Decimal("1.000000") and leads == 1 for _, _, total, leads in days)
    # the lead is the CIF's managing RM of the same day
    mismatched = _rows(db, """
        SELECT count(*) FROM customer_rm_shares s
        ASOF JOIN (SELECT cif_no, rm_id, _day FROM customers) c ON c.cif_no = s.cif_no AND s._day >= c._day
        WHERE s.rm_role = '1' AND s.rm_id IS DISTINCT FROM c.rm_id""")
    assert mismatched == [(0,)]
    # agreements in force from before the horizon and others starting in the middle of a month
    starts = _rows(db, f"""SELECT count(DISTINCT cif_no) FILTER (WHERE start_date < DATE '{START}'),
                                  count(DISTINCT cif_no) FILTER (WHERE start_date > DATE '{START}'
                                                                 AND day(start_date) > 1)
                           FROM customer_rm_shares""")[0]
    assert starts[0] > 0 and starts[1] > 0
    # a customer handed to another RM in the middle of a month (an RM leaving): pro-rated by days in the warehouse
    moves = _rows(db, """
        SELECT count(*) FROM (
            SELECT _day, rm_id, lag(rm_id) OVER (PARTITION BY cif_no ORDER BY _day) AS previous_rm FROM customers)
        WHERE previous_rm IS NOT NULL AND rm_id <> previous_rm AND day(_day) > 1""")
    assert moves[0][0] > 0
