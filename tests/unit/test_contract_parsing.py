"""The contract set loads, drives the load order, and malformed contracts fail naming the file and the problem."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.contract import CONTRACTS_DIR, ContractError, ContractSet, load_contracts


def test_the_contract_set_loads(contracts: ContractSet) -> None:
    assert contracts.systems == ("ref", "core", "cards", "accounting")
    assert len(contracts.contracts) == 19
    assert len({c.raw_table for c in contracts.contracts}) == 19
    shares = contracts.get("core.customer_rm_shares")
    assert shares.primary_key == ("cif_no", "rm_id")
    assert shares.column("share_ratio").duckdb_type == "DECIMAL(9,6)"
    txn = contracts.get("core.transactions")
    assert (txn.file_name(date(2025, 1, 31)), txn.control_file_name(date(2025, 1, 31))) == (
        "TXN_DTL_20250131.dat", "TXN_DTL_20250131.flg")
    assert (txn.format.kind, txn.format.encoding, txn.format.delimiter, txn.format.header) == (
        "delimited", "gbk", "|", False)
    assert txn.column("amount").duckdb_type == "DECIMAL(18,2)"
    assert txn.raw_table == "core__transactions"
    gl = contracts.get("accounting.ledger_entries")
    assert gl.record_width == 108
    amount = gl.column("amount")
    assert (amount.start, amount.width, amount.duckdb_type) == (51, 18, "DECIMAL(18,2)")
    assert (txn.column("amount").minimum, txn.column("amount").maximum) == (Decimal(0), Decimal("100000000000"))
    assert [c.name for c in contracts.get("core.customers").columns if c.pii] == [
        "customer_name", "id_number", "mobile_phone", "address"]
    cards = contracts.get("cards.card_transactions")
    assert (cards.format.encoding, cards.format.header, cards.format.date_format) == ("utf-8", True, "%Y-%m-%d")


def test_month_end_extracts_are_delivered_on_the_last_day_only(contracts: ContractSet) -> None:
    accruals = contracts.get("core.interest_accruals")
    assert accruals.delivered_on(date(2025, 1, 31)) and accruals.delivered_on(date(2024, 2, 29))
    assert not accruals.delivered_on(date(2025, 1, 30)) and not accruals.delivered_on(date(2025, 2, 27))
    assert contracts.get("core.transactions").delivered_on(date(2025, 1, 30))


def test_load_order_follows_foreign_keys(contracts: ContractSet) -> None:
    for system in contracts.systems:
        order = [c.key for c in contracts.load_order(system)]
        assert sorted(order) == sorted(c.key for c in contracts.for_system(system))
        for position, key in enumerate(order):
            for fk in contracts.get(key).foreign_keys:
                if fk.ref_system == system:
                    assert order.index(fk.ref_key) < position, (key, fk.ref_key)
    core = [c.extract for c in contracts.load_order("core")]
    assert core.index("customers") < core.index("accounts") < core.index("transactions")
    assert [c.extract for c in contracts.load_order("accounting")][-1] == "ledger_entries"


def test_file_names_map_back_to_their_contract(contracts: ContractSet) -> None:
    match = contracts.by_file_name("core", "CUST_INFO_20250131.dat")
    assert match is not None and match[0].extract == "customers" and match[1] == date(2025, 1, 31)
    assert contracts.by_file_name("core", "CUST_INFO_20250231.dat") is None  # no such date
    assert contracts.by_file_name("cards", "CUST_INFO_20250131.dat") is None


@pytest.fixture
def contract_dir(tmp_path: Path) -> Path:
    target = tmp_path / "contracts"
    shutil.copytree(CONTRACTS_DIR, target)
    return target


def _edit(directory: Path, relative: str, change: Callable[[dict[str, Any]], None]) -> Path:
    path = directory / relative
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _column(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in data["columns"] if c["name"] == name)


MALFORMED: list[tuple[str, str, Callable[[dict[str, Any]], None], str]] = [
    ("missing file pattern", "core/customers.yaml", lambda d: d.pop("file"), "missing required key 'file'"),
    ("file pattern without date", "core/customers.yaml", lambda d: d.update(file="CUST_INFO.dat"),
     "'file' must contain {yyyymmdd} exactly once"),
    ("unknown type", "core/transactions.yaml", lambda d: _column(d, "amount").update(type="money"),
     "column 'amount': type 'money' is not one of ['date', 'decimal', 'integer', 'string']"),
    ("decimal without scale", "core/transactions.yaml", lambda d: _column(d, "amount").pop("scale"),
     "column 'amount': a decimal needs integer precision and scale (scale <= precision)"),
    ("nullable missing", "core/transactions.yaml", lambda d: _column(d, "txn_id").pop("nullable"),
     "column 'txn_id': 'nullable' must be true or false"),
    ("bad column name", "ref/branches.yaml", lambda d: _column(d, "city").update(name="City Name"),
     "column 'City Name': column names must be lower_snake_case identifiers"),
    ("duplicate column", "ref/branches.yaml", lambda d: _column(d, "city").update(name="branch_name"),
     "duplicate column names"),
    ("overlapping fixed-width columns", "accounting/ledger_entries.yaml",
     lambda d: _column(d, "amount").update(start=48), "fixed-width columns 'currency' and 'amount' overlap"),
    ("fixed width without positions", "accounting/cost_centres.yaml",
     lambda d: _column(d, "branch_code").pop("start"),
     "column 'branch_code': a fixed-width column needs positive integer 'start' and 'width'"),
    ("primary key not a column", "core/accounts.yaml", lambda d: d.update(primary_key=["acct"]),
     "primary key column 'acct' is not a column"),
    ("foreign key column not a column", "core/accounts.yaml",
     lambda d: d["foreign_keys"][0].update(columns=["customer"]), "foreign key column 'customer' is not a column"),
    ("unknown encoding", "cards/cards.yaml", lambda d: d["format"].update(encoding="big5"),
     "format.encoding must be 'utf-8' or 'gbk'"),
    ("delimited without delimiter", "cards/cards.yaml", lambda d: d["format"].pop("delimiter"),
     "a delimited format needs a delimiter"),
    ("unknown frequency", "cards/cards.yaml", lambda d: d.update(frequency="weekly"),
     "frequency must be one of ['daily', 'month_end']"),
    ("wrong folder", "cards/cards.yaml", lambda d: d.update(system="core"),
     "lies in folder 'cards' but says system 'core'"),
    ("bound on a text column", "core/transactions.yaml", lambda d: _column(d, "currency").update(max=3),
     "column 'currency': 'max' is a bound of a number column"),
    ("bound not a number", "core/transactions.yaml", lambda d: _column(d, "amount").update(min="zero"),
     "column 'amount': 'min' must be a number, not 'zero'"),
    ("min above max", "core/transactions.yaml", lambda d: _column(d, "amount").update(min=10, max=1),
     "column 'amount': 'min' is greater than 'max'"),
    ("pii not a flag", "core/customers.yaml", lambda d: _column(d, "address").update(pii="yes"),
     "column 'address': 'pii' must be true or false"),
]


@pytest.mark.parametrize(("case", "relative", "change", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_contract_names_file_and_problem(contract_dir: Path, case: str, relative: str,
                                                   change: Callable[[dict[str, Any]], None], message: str) -> None:
    path = _edit(contract_dir, relative, change)
    with pytest.raises(ContractError) as err:
        load_contracts(contract_dir)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value), case


def test_foreign_key_to_an_unknown_extract(contract_dir: Path) -> None:
    path = _edit(contract_dir, "core/accounts.yaml",
                 lambda d: d["foreign_keys"][0]["references"].update(extract="clients"))
    with pytest.raises(ContractError, match=r"foreign key references unknown extract 'core.clients'") as err:
        load_contracts(contract_dir)
    assert str(err.value).startswith(str(path))


def test_invalid_yaml(contract_dir: Path) -> None:
    path = contract_dir / "ref" / "products.yaml"
    path.write_text("extract: products\ncolumns: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContractError, match="not valid YAML") as err:
        load_contracts(contract_dir)
    assert str(err.value).startswith(str(path))


def test_foreign_key_cycle_is_reported(contract_dir: Path) -> None:
    _edit(contract_dir, "core/customers.yaml", lambda d: d["foreign_keys"].append(
        {"columns": ["cif_no"], "references": {"system": "core", "extract": "loans", "columns": ["cif_no"]}}))
    contracts = load_contracts(contract_dir)
    with pytest.raises(ContractError, match="foreign keys of system 'core' form a cycle"):
        contracts.load_order("core")


def test_missing_systems_file(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match=r"_systems\.yaml: missing"):
        load_contracts(tmp_path)
