"""The contract-driven writer renders files the contract describes; the spec in docs/ follows the contracts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from contracts.contract import load_contracts
from contracts.control import file_md5, read_control_file
from contracts.spec import render_spec
from contracts.writer import render_fixed_width_field, write_extract
from crmwh.settings import REPO_ROOT

CONTRACTS = load_contracts()
DAY = date(2025, 3, 31)


def _gl_entries(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE e AS SELECT * FROM (VALUES
            ('E1', DATE '2025-03-31', '660101', 'CC000001', 'CNY', 'D', 1234.50::DECIMAL(18,2), '工资'),
            ('E2', DATE '2025-03-31', '2211', 'CC000001', 'CNY', 'C', 1234.50::DECIMAL(18,2), NULL)
        ) t(entry_id, posting_date, account_code, cost_centre_code, currency, dr_cr_flag, amount, description)
        """
    )


def test_fixed_width_file_uses_gbk_byte_positions(tmp_path: Path) -> None:
    con = duckdb.connect()
    _gl_entries(con)
    contract = CONTRACTS.get("accounting.ledger_entries")
    written = write_extract(con, contract, "e", DAY, tmp_path, order_by="entry_id")
    lines = written.path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    first = lines[0]
    assert len(first) == contract.record_width  # '工资' is 4 bytes in GBK, padded to the 40-byte field
    amount = contract.column("amount")
    field = first[amount.start - 1 : amount.start - 1 + amount.width]  # type: ignore[operator]
    assert field == b"+00000000001234.50"
    desc = contract.column("description")
    assert first[desc.start - 1 :].decode("gbk").rstrip() == "工资"  # type: ignore[operator]
    assert Decimal(field.decode()) == Decimal("1234.50")


def test_control_file_matches_what_was_written(tmp_path: Path) -> None:
    con = duckdb.connect()
    _gl_entries(con)
    written = write_extract(con, CONTRACTS.get("accounting.ledger_entries"), "e", DAY, tmp_path)
    control = read_control_file(tmp_path / "GL_ENTRY_20250331.flg")
    assert control == written.control
    assert control.record_count == 2
    assert control.byte_size == written.path.stat().st_size
    assert control.md5 == file_md5(written.path)
    assert control.business_date == DAY


def test_gbk_delimited_file_has_no_header_and_exact_decimals(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute(
        """
        CREATE TABLE b AS SELECT 'A1' AS account_no, DATE '2025-03-31' AS balance_date, 'CNY' AS currency,
                                 -0.50::DECIMAL(18,2) AS balance
        UNION ALL SELECT '账户2', DATE '2025-03-30', 'USD', 10.00::DECIMAL(18,2)
        """
    )
    written = write_extract(con, CONTRACTS.get("core.balances"), "b", DAY, tmp_path, order_by="account_no")
    text = written.path.read_bytes().decode("gbk")
    assert text == "A1|20250331|CNY|-0.50\n账户2|20250330|USD|10.00\n"


def test_fixed_width_field_that_does_not_fit_is_refused() -> None:
    col = CONTRACTS.get("accounting.ledger_entries").column("cost_centre_code")
    with pytest.raises(ValueError, match="does not fit in 8 bytes"):
        render_fixed_width_field(col, "CC0000001", "%Y%m%d", "gbk")


def test_extract_spec_in_docs_is_in_step_with_contracts() -> None:
    assert (REPO_ROOT / "docs" / "extracts.md").read_text(encoding="utf-8") == render_spec(CONTRACTS)


def test_spec_names_every_column_of_every_contract() -> None:
    spec = render_spec(CONTRACTS)
    for contract in CONTRACTS.contracts:
        assert f"`{contract.file}`" in spec
        for col in contract.columns:
            assert f"`{col.name}`" in spec
