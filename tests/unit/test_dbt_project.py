"""Fast checks of the dbt project's structure (no warehouse build): contracts in step, names, docs, determinism."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from contracts import dbt_sources
from contracts.contract import load_contracts

from support import dbt_harness, raw_fixture

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

MODELS = DBT_DIR / "models"
REQUIRED_MARTS = {
    "dim_date", "dim_customer", "dim_product", "dim_branch", "dim_relationship_manager", "dim_channel",
    "fct_transactions", "fct_card_transactions", "fct_account_balances_monthly", "fct_contribution_monthly",
    "fct_branch_costs_monthly", "rpt_customer_value", "rpt_customer_loyalty", "rpt_customer_lifetime_value",
    "rpt_rm_scorecard", "rpt_branch_league_table", "rpt_product_profitability", "rpt_transaction_channel_mix",
    "rpt_corporate_customers", "rpt_customer_risk",
}
ALLOWED_SCHEMAS = {"staging", "snapshots", "intermediate", "marts", "restricted_pii", "seeds"}
PII_COLUMNS = {"customer_name", "cardholder_name", "id_number", "mobile_phone", "address", "birth_date", "rm_name",
               "counterparty_name"}


def _model_files() -> dict[str, Path]:
    return {p.stem: p for p in MODELS.rglob("*.sql")}


def _documented_models() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for path in MODELS.rglob("*.yml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models", []):
            assert model["name"] not in found, f"{model['name']} is documented twice ({path})"
            found[model["name"]] = model
    return found


def test_sources_and_code_list_are_in_step_with_the_contracts() -> None:
    assert dbt_sources.out_of_date() == [], "run `crmwh contracts --sync-dbt`"


def test_every_extract_has_a_staging_model_named_by_convention() -> None:
    names = set(_model_files())
    for c in load_contracts().contracts:
        assert f"stg_{c.system}__{c.extract}" in names, f"no staging model for {c.key}"


# The one exception to "only the base model reads a source": a look-up of the raw rows a build's new deliveries
# superseded (which the base model filters out by design), to find the transaction months a late posting or a reload
# changed (macro first_posting_month_delivered_since), in the models whose months follow the transaction date.
RAW_LOOKUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "int_account_activity_monthly": (("core", "transactions"), ("cards", "card_transactions")),
    "int_balance_continuity_daily": (("core", "transactions"), ("cards", "card_transactions")),
}


def test_each_source_is_read_by_its_one_base_model_only() -> None:
    """dbt-project-evaluator's "direct join to source": each source table has one base model that renames and types
    it; everything else (staging, snapshots, restricted_pii) reads that model, never source() again."""
    source_call = re.compile(r"\bsource\(\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]\s*\)")
    read_by: dict[tuple[str, str], list[str]] = {}
    for name, path in _model_files().items():
        for key in source_call.findall(path.read_text(encoding="utf-8")):
            read_by.setdefault(key, []).append(name)
    for (system, extract), readers in read_by.items():
        readers = [r for r in readers if (system, extract) not in RAW_LOOKUPS.get(r, ())]
        assert readers == [f"base_{system}__{extract}"], f"source {system}.{extract} is read by {readers}"
    for c in load_contracts().contracts:
        assert read_by.get((c.system, c.extract)), f"no base model reads source {c.key}"
    macros = "\n".join(p.read_text(encoding="utf-8") for p in (DBT_DIR / "macros").rglob("*.sql"))
    assert not source_call.search(macros), "a macro reads a source: read the base model instead"


def test_reports_read_marts_and_intermediates_not_other_reports() -> None:
    """A rule two reports need lives in an int_ model, so no rpt_ model is built on another one."""
    ref = re.compile(r"\bref\(\s*['\"](rpt_\w+)['\"]\s*\)")
    for name, path in _model_files().items():
        if name.startswith("rpt_"):
            assert not ref.findall(path.read_text(encoding="utf-8")), f"{name} reads another report"


def test_materialisation_and_strategy_are_set_per_folder() -> None:
    """dbt_project.yml sets materialisation, incremental strategy and schema-change policy per folder; a model's
    config block holds only its own settings (a row-level key, an exception to its folder)."""
    for name, path in _model_files().items():
        text = path.read_text(encoding="utf-8")
        for setting in ("incremental_strategy", "on_schema_change", "schema="):
            assert setting not in text, f"{name} sets {setting} in its config block: set it per folder"


def test_files_named_in_model_and_macro_comments_exist() -> None:
    """A comment pointing at a test, macro or doc ("tests/reconciliation/....sql") points at a file that exists."""
    named = re.compile(r"\b((?:tests|macros|models|seeds|docs)/[\w./-]+\.(?:sql|yml|csv|md))")
    for path in [*MODELS.rglob("*.sql"), *(DBT_DIR / "macros").rglob("*.sql")]:
        for name in named.findall(path.read_text(encoding="utf-8")):
            assert (DBT_DIR / name).exists() or (DBT_DIR.parent / name).exists(), f"{path} names {name}"


def test_the_marts_named_in_the_issue_exist_in_marts() -> None:
    files = _model_files()
    missing = REQUIRED_MARTS - set(files)
    assert not missing, f"missing marts: {sorted(missing)}"
    for name in REQUIRED_MARTS:
        assert files[name].is_relative_to(MODELS / "marts"), f"{name} is not under models/marts"


def test_every_model_and_every_mart_column_is_documented() -> None:
    documented = _documented_models()
    for name, path in _model_files().items():
        assert name in documented, f"{path} has no entry in a _<folder>__models.yml"
        assert documented[name].get("description"), f"{name} has no description"
    for name in REQUIRED_MARTS:
        columns = documented[name].get("columns") or []
        assert columns, f"{name} documents no columns"
        undocumented = [c["name"] for c in columns if not c.get("description")]
        assert not undocumented, f"{name}: columns without description {undocumented}"


def test_marts_keys_are_tested() -> None:
    documented = _documented_models()
    for name in REQUIRED_MARTS:
        model = documented[name]
        tests = json.dumps(model.get("data_tests", [])) + json.dumps(
            [c.get("data_tests", []) for c in model.get("columns", [])])
        assert "unique" in tests, f"{name} has no uniqueness test on its key"


def test_the_daily_data_tests_run_after_every_model() -> None:
    """The daily build's generic tests run in one node (tests/daily/daily_generic_data_tests.sql), which must come
    after every model: it refs each model no other model reads (the macro checks the same on every run)."""
    ref = re.compile(r"\bref\(\s*['\"](\w+)['\"]\s*\)")
    models = _model_files()
    read = {name for path in models.values() for name in ref.findall(path.read_text(encoding="utf-8"))}
    daily = ref.findall((DBT_DIR / "tests" / "daily" / "daily_generic_data_tests.sql").read_text(encoding="utf-8"))
    assert set(models) - read <= set(daily), f"add a depends_on for {sorted(set(models) - read - set(daily))}"


def test_the_daily_selector_leaves_the_generic_tests_to_one_node() -> None:
    daily = yaml.safe_load((DBT_DIR / "selectors.yml").read_text(encoding="utf-8"))["selectors"][0]
    assert daily["name"] == "daily"
    union = daily["definition"]["union"]
    excluded = [m for part in union if "exclude" in part for m in part["exclude"]]
    assert {"method": "test_type", "value": "generic"} in excluded
    assert {"method": "test_type", "value": "singular"} in union


def test_the_full_selector_leaves_the_generic_tests_to_one_node_and_the_unit_tests_out() -> None:
    selectors = yaml.safe_load((DBT_DIR / "selectors.yml").read_text(encoding="utf-8"))["selectors"]
    (full,) = [s for s in selectors if s["name"] == "full"]
    union = full["definition"]["union"]
    excluded = [m for part in union if "exclude" in part for m in part["exclude"]]
    assert {"method": "test_type", "value": "generic"} in excluded
    assert {"method": "resource_type", "value": "unit_test"} in excluded
    assert {"method": "fqn", "value": "*"} in union


def test_models_use_no_wall_clock_or_random_values() -> None:
    forbidden = re.compile(r"current_(timestamp|date)|\bnow\(\)|\brandom\(|\buuid\(|\btoday\(|get_current_time",
                           re.IGNORECASE)
    for path in [*MODELS.rglob("*.sql"), *(DBT_DIR / "macros").rglob("*.sql")]:
        hits = forbidden.findall(path.read_text(encoding="utf-8"))
        assert not hits, f"{path} uses a non-deterministic function: {hits}"


def test_business_parameters_live_only_in_seeds() -> None:
    """The values of the scalar parameters and the tier thresholds never appear as literals in model SQL."""
    values: set[str] = set()
    with (DBT_DIR / "seeds" / "parameters" / "parameters.csv").open(encoding="utf-8") as fh:
        values |= {row["parameter_value"] for row in csv.DictReader(fh)}
    with (DBT_DIR / "seeds" / "parameters" / "aum_tiers.csv").open(encoding="utf-8") as fh:
        values |= {row["min_aum_cny"] for row in csv.DictReader(fh) if Decimal(row["min_aum_cny"]) > 0}
    literals = {str(Decimal(v).normalize()) for v in values} | {f"{Decimal(v):f}" for v in values}
    literals = {v for v in literals if len(v.replace(".", "").strip("0")) >= 2}  # 12, 360, 0.105, 100000, …
    pattern = re.compile(r"(?<![\w.])(" + "|".join(re.escape(v) for v in sorted(literals)) + r")(?![\w.])")
    for path in MODELS.rglob("*.sql"):
        code = "\n".join(line.split("--")[0] for line in path.read_text(encoding="utf-8").splitlines())
        code = re.sub(r"\{#.*?#\}", "", code, flags=re.DOTALL)
        hits = [m for m in pattern.findall(code) if m not in {"12"}]  # 12 = months in a year, not a parameter
        assert not hits, f"{path} repeats parameter values {hits}: read them from the seeds"


@pytest.mark.slow  # a cold `dbt parse` of the whole project takes half a minute on two cores
def test_project_parses_and_writes_only_the_fixed_schemas(tmp_path: Path) -> None:
    dbt_harness.run_dbt(tmp_path / "parse.duckdb", ["parse", "--target-path", str(tmp_path / "target")])
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text(encoding="utf-8"))
    # ephemeral models (the base layer) are compiled into their readers and write nothing
    schemas = {n["schema"] for n in manifest["nodes"].values()
               if n["resource_type"] in ("model", "seed") and n["config"]["materialized"] != "ephemeral"}
    assert schemas <= ALLOWED_SCHEMAS, f"unexpected schemas {schemas - ALLOWED_SCHEMAS}"
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for name, node in models.items():
        reads_a_source = any(p.startswith("source.") for p in node["depends_on"]["nodes"])
        assert reads_a_source == (name.startswith("base_") or name in RAW_LOOKUPS), (
                f"{name}: only base_ models read sources")
        if name.startswith("base_"):
            # they carry the PII columns of the extracts: never stored outside restricted_pii
            assert node["config"]["materialized"] == "ephemeral", f"{name} must be ephemeral"
        if node["schema"] != "restricted_pii":
            for parent in node["depends_on"]["nodes"]:
                if parent.startswith("source.") and not parent.startswith("source.crmwh.audit."):
                    assert not name.startswith(("dim_", "fct_", "rpt_")), f"{name} reads a raw source directly"
    unit_tests = {n["name"] for n in manifest.get("unit_tests", {}).values()}
    assert {"ftp_each_method", "cost_allocation_to_branches", "cost_allocation_to_accounts",
            "expected_loss_loans_and_cards", "capital_and_capital_charge", "aum_tiering",
            "pareto_value_tiers", "ftp_rollover_repriced", "ftp_currency_curves", "ftp_curve_interpolation",
            "card_daily_balance", "nim_and_raroc_annualised_by_days", "exposure_at_default_term_and_revolving",
            "exposure_time_weighted", "credit_cost_defaulted_loans", "ftp_reserve_and_deposit_insurance",
            "vat_net_income", "contribution_margins_and_tax", "profit_bridge_one_month",
            "overhead_driver_income"} <= unit_tests


def test_pii_columns_are_declared_only_in_restricted_models() -> None:
    for name, model in _documented_models().items():
        columns = {c["name"] for c in model.get("columns", [])}
        if not name.startswith("pii_"):
            assert not columns & PII_COLUMNS, f"{name} documents PII columns {columns & PII_COLUMNS}"


def test_fixture_raw_layer_follows_the_contracts(tmp_path: Path) -> None:
    db = tmp_path / "fixture.duckdb"
    raw_fixture.load_fixture(db, through=date(2025, 1, 31))
    contracts = load_contracts()
    with duckdb.connect(str(db), read_only=True) as con:
        for c in contracts.contracts:
            cols = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'raw' "
                "AND table_name = ? ORDER BY ordinal_position", [c.raw_table]).fetchall()
            expected = [(col.name, col.duckdb_type) for col in c.columns] + [
                ("_batch_id", "BIGINT"), ("_business_date", "DATE"), ("_source_file", "VARCHAR"),
                ("_line_number", "BIGINT"), ("_loaded_at", "TIMESTAMP")]
            assert cols == expected, c.key
        statuses = dict(con.execute("SELECT status, count(*) FROM audit.deliveries GROUP BY 1").fetchall())
    assert statuses.get("SUPERSEDED") == 1 and statuses.get("LOADED", 0) > 0


@pytest.mark.parametrize(("day", "loaded_at_split"), [(date(2025, 2, 10), date(2025, 2, 3))])
def test_fixture_loads_the_same_rows_in_one_go_or_in_parts(tmp_path: Path, day: date, loaded_at_split: date) -> None:
    whole, parts = tmp_path / "whole.duckdb", tmp_path / "parts.duckdb"
    raw_fixture.load_fixture(whole, through=day)
    raw_fixture.load_fixture(parts, through=loaded_at_split)
    raw_fixture.load_fixture(parts, through=day, start_after=loaded_at_split)
    assert dbt_harness.table_fingerprints(whole, ("raw", "audit"), raw_fixture.RUN_COLUMNS) == (
        dbt_harness.table_fingerprints(parts, ("raw", "audit"), raw_fixture.RUN_COLUMNS))
