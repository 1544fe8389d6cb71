"""A year of the synthetic bank at scale 0.1 (10,000 customers), generated through the CLI: the portfolio looks like a
Chinese commercial bank's (figures from docs/synthetic-bank.md and the domain primer)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from contracts.contract import load_contracts

pytestmark = pytest.mark.slow
CONTRACTS = load_contracts()


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("portfolio") / "landing"
    done = subprocess.run([sys.executable, "-m", "crmwh.cli", "generate", "--scale", "0.1", "--days", "365",
                           "--start", "2025-01-01", "--seed", "20260101", "--landing", str(out), "--quiet"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return out, json.loads((out / "_manifest.json").read_text(encoding="utf-8"))


def _rows(out: Path, key: str, day: str) -> list[dict[str, str]]:
    contract = CONTRACTS.get(key)
    path = out / contract.system / day.replace("-", "") / contract.file_name(date.fromisoformat(day))
    text = path.read_bytes().decode(contract.format.python_encoding)
    lines = text.splitlines()[1 if contract.format.header else 0:]
    return [dict(zip(contract.column_names, line.split(contract.format.delimiter), strict=True)) for line in lines]


def test_income_cost_and_churn_are_in_the_range_of_a_real_bank(year: tuple[Path, dict[str, Any]]) -> None:
    truth = year[1]["truth"]
    gl = truth["gl"]
    interest = defaultdict(Decimal)
    for month in gl.values():
        for account, amount in month["interest"].items():
            interest[account[:4]] += Decimal(amount)
    fees = sum((Decimal(v) for m in gl.values() for v in m["fees"].values()), Decimal(0))
    opex = sum((Decimal(x["amount"]) for m in gl.values() for x in m["opex"]), Decimal(0))
    income = interest["6011"] - interest["6411"] + fees
    assert Decimal("0.25") <= opex / income <= Decimal("0.45")  # cost-to-income about a third
    assert Decimal("0.05") <= fees / income <= Decimal("0.30")
    personal = truth["customers"] - truth["corporate_customers"]
    assert 0.06 <= len(truth["churned"]) / personal <= 0.10  # about 8 % of personal customers a year
    new_defaults = [d for d in truth["defaulted"] if not d["before_horizon"]]
    assert len(new_defaults) >= 20
    holders = truth["card_customers"]
    card_only = sum(1 for cif in holders.values() if cif is None)
    assert 0.005 <= card_only / len(holders) <= 0.05
    assert 0.005 <= len(truth["card_name_conflicts"]) / len(holders) <= 0.03


def test_balance_sheet_at_year_end(year: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = year
    products = {r["product_code"]: r["product_line"] for r in _rows(out, "ref.products", "2025-12-31")}
    fx = {r["currency"]: Decimal(r["cny_per_unit"]) for r in _rows(out, "ref.exchange_rates", "2025-12-31")}
    account_product: dict[str, str] = {}
    account_owner: dict[str, str] = {}
    for entry in manifest["files"]:
        if entry["extract"] == "accounts":
            for r in _rows(out, "core.accounts", entry["business_date"]):
                account_product[r["account_no"]] = r["product_code"]
                account_owner[r["account_no"]] = r["cif_no"]
    by_line: dict[str, Decimal] = defaultdict(Decimal)
    per_customer: dict[str, Decimal] = defaultdict(Decimal)
    for r in _rows(out, "core.balances", "2025-12-31"):
        line = products[account_product[r["account_no"]]]
        cny = Decimal(r["balance"]) * fx[r["currency"]]
        by_line[line] += cny
        if line in ("DEPOSIT", "WEALTH"):
            per_customer[account_owner[r["account_no"]]] += cny
    assert Decimal("0.55") <= by_line["LOAN"] / by_line["DEPOSIT"] <= Decimal("0.95")  # loan-to-deposit ratio
    ranked = sorted(per_customer.values(), reverse=True)
    assert sum(ranked[: len(ranked) // 5]) / sum(ranked) >= Decimal("0.75")
    month_ends = ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31", "2025-06-30", "2025-07-31",
                  "2025-08-31", "2025-09-30", "2025-10-31", "2025-11-30", "2025-12-31"]
    npl, watch = [], []
    for day in month_ends:
        loans = _rows(out, "core.loans", day)
        bad = sum(Decimal(r["outstanding_principal"]) for r in loans if r["five_class"] in ("次级", "可疑", "损失"))
        npl.append(bad / sum(Decimal(r["outstanding_principal"]) for r in loans))
        watch.append(sum(1 for r in loans if r["five_class"] == "关注") / len(loans))
    # a bank of ten thousand customers has a handful of bad loans: judge the year, not one day
    assert Decimal("0.003") <= sum(npl) / len(npl) <= Decimal("0.03")  # NPL ratio (China ≈ 1.5 %)
    assert 0.005 <= sum(watch) / len(watch) <= 0.05
