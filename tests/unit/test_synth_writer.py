"""The batched writer (contracts.writer.write_extract_days) writes the bytes of write_extract, one file per date."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from contracts.contract import load_contracts
from contracts.control import file_md5, read_control_file
from contracts.writer import write_extract, write_extract_days

CONTRACTS = load_contracts()
D1, D2, D3 = date(2025, 3, 30), date(2025, 3, 31), date(2025, 4, 1)


def _both(con: duckdb.DuckDBPyConnection, key: str, table: str, order_by: str, dates: list[date],
          tmp_path: Path) -> tuple[Path, Path]:
    """Write ``table`` day by day with write_extract and in one go with write_extract_days."""
    contract = CONTRACTS.get(key)
    single = tmp_path / "single" / contract.system
    for day in dates:
        con.execute(f"CREATE OR REPLACE VIEW one_day AS SELECT * FROM {table} WHERE biz_date = DATE '{day}'")
        write_extract(con, contract, "one_day", day, single / day.strftime("%Y%m%d"), order_by=order_by)
    batched = tmp_path / "batched" / contract.system
    written = write_extract_days(con, contract, table, "biz_date", dates, batched, order_by=order_by, batch_rows=2)
    assert [w.control.business_date for w in written] == dates
    return single, batched


def _same_tree(a: Path, b: Path) -> None:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_gbk_delimited_bytes_match_write_extract(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE b AS SELECT * FROM (VALUES
            ('A1', DATE '2025-03-30', 'CNY', -0.50::DECIMAL(18,2), DATE '2025-03-30'),
            ('账户2', DATE '2025-03-30', 'USD', 10.00::DECIMAL(18,2), DATE '2025-03-30'),
            ('B|3', DATE '2025-03-31', 'CNY', 123456789012.34::DECIMAL(18,2), DATE '2025-03-31'),
            ('#4', DATE '2025-04-01', 'HKD', 0::DECIMAL(18,2), DATE '2025-04-01')
        ) t(account_no, balance_date, currency, balance, biz_date)
    """)
    single, batched = _both(con, "core.balances", "b", "account_no", [D1, D2, D3], tmp_path)
    _same_tree(single, batched)
    text = (batched / "20250330" / "ACCT_BAL_20250330.dat").read_bytes().decode("gbk")
    assert text == "A1|20250330|CNY|-0.50\n账户2|20250330|USD|10.00\n"


def test_csv_with_header_and_empty_days(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE fx AS SELECT * FROM (VALUES
            (DATE '2025-03-30', 'CNY', 1.000000::DECIMAL(12,6), DATE '2025-03-30'),
            (DATE '2025-03-30', 'USD', 7.181234::DECIMAL(12,6), DATE '2025-03-30'),
            (DATE '2025-04-01', 'EUR', 7.9::DECIMAL(12,6), DATE '2025-04-01')
        ) t(rate_date, currency, cny_per_unit, biz_date)
    """)
    single, batched = _both(con, "ref.exchange_rates", "fx", "currency", [D1, D2, D3], tmp_path)
    _same_tree(single, batched)
    empty = batched / "20250331" / "FX_RATE_20250331.csv"
    assert empty.read_bytes() == b"rate_date,currency,cny_per_unit\n"
    control = read_control_file(empty.with_suffix(".flg"))
    assert (control.record_count, control.byte_size, control.md5) == (0, empty.stat().st_size, file_md5(empty))


def test_fixed_width_gbk_bytes_match_write_extract(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE e AS SELECT * FROM (VALUES
            ('E1', DATE '2025-03-30', '660101', 'CC000001', 'CNY', 'D', 1234.50::DECIMAL(18,2), '工资',
             DATE '2025-03-30'),
            ('E2', DATE '2025-03-30', '2211', 'CC000001', 'CNY', 'C', -0.05::DECIMAL(18,2), NULL, DATE '2025-03-30'),
            ('E3', DATE '2025-03-31', '2211', 'CC000002', 'CNY', 'C', 0::DECIMAL(18,2), 'abc 中文 x',
             DATE '2025-03-31'),
            ('E4', DATE '2025-04-01', '6021', 'CC000002', 'CNY', 'D', 99999999999.99::DECIMAL(18,2),
             '一二三四五六七八九十一二三四五六七八九十', DATE '2025-04-01')
        ) t(entry_id, posting_date, account_code, cost_centre_code, currency, dr_cr_flag, amount, description,
            biz_date)
    """)
    single, batched = _both(con, "accounting.ledger_entries", "e", "entry_id", [D1, D2, D3], tmp_path)
    _same_tree(single, batched)
    width = CONTRACTS.get("accounting.ledger_entries").record_width
    for line in (batched / "20250401" / "GL_ENTRY_20250401.txt").read_bytes().splitlines():
        assert len(line) == width  # 20 Chinese characters fill the 40-byte narrative exactly


def test_value_too_wide_for_its_field_is_refused(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE e AS SELECT 'E1' AS entry_id, DATE '2025-03-30' AS posting_date, '660101' AS account_code,
            'CC0000001' AS cost_centre_code, 'CNY' AS currency, 'D' AS dr_cr_flag, 1::DECIMAL(18,2) AS amount,
            NULL AS description, DATE '2025-03-30' AS biz_date
    """)
    with pytest.raises(ValueError, match="cost_centre_code: 'CC0000001' does not fit in 8 bytes"):
        write_extract_days(con, CONTRACTS.get("accounting.ledger_entries"), "e", "biz_date", [D1], tmp_path)


def test_rows_outside_the_dates_and_line_breaks_are_refused(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE fx AS SELECT DATE '2025-03-30' AS rate_date, 'USD' AS currency, 7::DECIMAL(12,6) AS cny_per_unit,
            DATE '2025-03-30' AS biz_date
    """)
    contract = CONTRACTS.get("ref.exchange_rates")
    with pytest.raises(ValueError, match="1 rows are dated 2025-03-30, which is not among the business dates"):
        write_extract_days(con, contract, "fx", "biz_date", [D2], tmp_path)
    con.execute("UPDATE fx SET currency = 'U' || chr(10) || 'S'")
    with pytest.raises(ValueError, match="holds a line break"):
        write_extract_days(con, contract, "fx", "biz_date", [D1], tmp_path)


def test_many_days_in_few_batches(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE fx AS SELECT DATE '2025-01-01' + CAST(i // 3 AS INTEGER) AS rate_date,
            ['CNY', 'USD', 'EUR'][i % 3 + 1] AS currency, CAST(i AS DECIMAL(12,6)) AS cny_per_unit,
            DATE '2025-01-01' + CAST(i // 3 AS INTEGER) AS biz_date
        FROM range(300) r(i)
    """)
    dates = [date(2025, 1, 1) + timedelta(days=i) for i in range(100)]
    written = write_extract_days(con, CONTRACTS.get("ref.exchange_rates"), "fx", "biz_date", dates, tmp_path,
                                 order_by="currency", batch_rows=50)
    assert len(written) == 100
    assert all(w.record_count == 3 for w in written)
    last = (tmp_path / "20250410" / "FX_RATE_20250410.csv").read_text(encoding="utf-8").splitlines()
    assert last == ["rate_date,currency,cny_per_unit", "2025-04-10,CNY,297.000000", "2025-04-10,EUR,299.000000",
                    "2025-04-10,USD,298.000000"]
