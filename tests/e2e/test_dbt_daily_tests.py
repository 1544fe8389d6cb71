"""The build's data tests. The generic tests run in one node (dbt_project/tests/daily/daily_generic_data_tests.sql):
in the daily build they judge the rows written after the previous recorded build, in the full build every row of the
models, seeds and sources; either names every failing test, and the node stays silent outside the two selectors (where
the generic tests run as nodes of their own). The singular tests (reconciliations, integrity) judge the months the
daily build rebuilt and the batches it loaded; outside it, every month and batch."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from crmwh import dbt_runs

from support import dbt_harness

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

pytestmark = pytest.mark.slow

FAILING = "not_null_fct_transactions_party_id"


@pytest.fixture
def db(tmp_path: Path, built_raw_fixture: Path) -> Path:
    """A private copy of the raw fixture with its models built (tests/conftest.py)."""
    return Path(shutil.copyfile(built_raw_fixture, tmp_path / "fixture.duckdb"))


def test_daily_tests_judge_the_new_rows_and_name_the_failing_test(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        (newest,) = con.execute("SELECT max(_batch_id) FROM marts.fct_transactions").fetchone()
        # one bad row in the newest batch (new to a daily build after `newest - 1`), one in an older batch
        for where in (f"_batch_id = {newest}", f"_batch_id < {newest}"):
            con.execute(f"UPDATE marts.fct_transactions SET party_id = NULL "
                        f"WHERE txn_id = (SELECT min(txn_id) FROM marts.fct_transactions WHERE {where})")
    plan = dbt_runs.BuildPlan(dbt_runs.FULL, "test", "fingerprint", newest - 1)
    dbt_runs.record_build(db, plan, datetime(2026, 1, 1, tzinfo=UTC), 1.0)

    with pytest.raises(dbt_harness.DbtError) as daily:
        dbt_harness.run_dbt(db, ["test", "--selector", "daily"])
    assert f"daily data tests: {FAILING} failed on 1 rows" in str(daily.value)

    with pytest.raises(dbt_harness.DbtError) as every_row:
        dbt_harness.run_dbt(db, ["test", "--selector", "daily", "--vars", '{"tests_after_batch": 0}'])
    assert f"daily data tests: {FAILING} failed on 2 rows" in str(every_row.value)

    # outside the daily selector the node returns nothing; the test of its own finds both rows
    dbt_harness.run_dbt(db, ["test", "--select", "daily_generic_data_tests"])
    with pytest.raises(dbt_harness.DbtError) as own_node:
        dbt_harness.run_dbt(db, ["test", "--select", FAILING])
    assert "Got 2 results" in str(own_node.value)


def test_full_build_tests_fold_into_one_node_over_every_row_and_the_seeds(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        (newest,) = con.execute("SELECT max(_batch_id) FROM marts.fct_transactions").fetchone()
        for where in (f"_batch_id = {newest}", f"_batch_id < {newest}"):
            con.execute(f"UPDATE marts.fct_transactions SET party_id = NULL "
                        f"WHERE txn_id = (SELECT min(txn_id) FROM marts.fct_transactions WHERE {where})")
        # a parameter without its value: a seed test (the daily build leaves the seeds' tests out)
        con.execute("UPDATE seeds.parameters SET parameter_value = NULL "
                    "WHERE parameter_name = (SELECT min(parameter_name) FROM seeds.parameters)")
    plan = dbt_runs.BuildPlan(dbt_runs.FULL, "test", "fingerprint", newest - 1)
    dbt_runs.record_build(db, plan, datetime(2026, 1, 1, tzinfo=UTC), 1.0)

    with pytest.raises(dbt_harness.DbtError) as full:
        dbt_harness.run_dbt(db, ["test", "--selector", "full"])
    failures = str(full.value)
    assert f"full data tests: {FAILING} failed on 2 rows" in failures
    assert "full data tests: not_null_parameters_parameter_value failed on 1 rows" in failures
    assert "Failure in test daily_generic_data_tests" in failures and "Got 2 results" in failures
    # no generic test ran as a node of its own
    assert f"Failure in test {FAILING}" not in failures

    with pytest.raises(dbt_harness.DbtError) as daily:
        dbt_harness.run_dbt(db, ["test", "--selector", "daily"])
    assert f"daily data tests: {FAILING} failed on 1 rows" in str(daily.value)
    assert "not_null_parameters_parameter_value" not in str(daily.value)


def test_daily_singular_tests_judge_the_rebuilt_months_and_loaded_batches(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        (newest,) = con.execute("SELECT max(max_batch_id) FROM intermediate.int_month_watermarks").fetchone()
        (rebuilt, older) = con.execute(
            "SELECT max(month_start), min(month_start) FROM intermediate.int_month_watermarks").fetchone()
        (older_batch,) = con.execute("SELECT min(_batch_id) FROM marts.fct_transactions").fetchone()
        # a waterfall that does not add up in the month a daily build after `newest - 1` rebuilds and in an older one
        for month in (rebuilt, older):
            con.execute("UPDATE marts.fct_contribution_monthly SET capital_charge = capital_charge + 1 "
                        "WHERE account_id = (SELECT min(account_id) FROM marts.fct_contribution_monthly "
                        "WHERE month_start = ?) AND month_start = ?", [month, month])
        # a transaction of an old batch lost from the facts
        con.execute("DELETE FROM marts.fct_transactions WHERE txn_id = "
                    "(SELECT min(txn_id) FROM marts.fct_transactions WHERE _batch_id = ?)", [older_batch])
    assert rebuilt > older and older_batch < newest
    plan = dbt_runs.BuildPlan(dbt_runs.FULL, "test", "fingerprint", newest - 1)
    dbt_runs.record_build(db, plan, datetime(2026, 1, 1, tzinfo=UTC), 1.0)

    with pytest.raises(dbt_harness.DbtError) as daily:
        dbt_harness.run_dbt(db, ["test", "--selector", "daily"])
    failures = str(daily.value)
    assert "Failure in test assert_waterfall_arithmetic" in failures and "Got 1 result" in failures
    assert "assert_every_loaded_transaction_in_facts" not in failures.split("Completed with")[-1]

    # outside the daily selector every month and batch is judged
    with pytest.raises(dbt_harness.DbtError) as every_month:
        dbt_harness.run_dbt(db, ["test", "--select",
                             "assert_waterfall_arithmetic assert_every_loaded_transaction_in_facts"])
    failures = str(every_month.value)
    assert "Failure in test assert_waterfall_arithmetic" in failures and "Got 2 results" in failures
    assert "Failure in test assert_every_loaded_transaction_in_facts" in failures
