"""Suites on the published marts (schema ``marts``, built by dbt_project/): what analysts and Superset read.

- the contribution waterfall holds row by row (net interest contribution, net contribution, economic profit);
- allocated operating cost equals the general ledger's operating expense every month, to the cent, both in the
  contribution fact and in the branch cost fact (the ledger read from the raw layer, LOADED deliveries only);
- the profit bridge (利润还原) closes: its lines sum to the ledger's pre-provision profit every month, to the cent, and
  its customer lines are the contribution fact's net contribution;
- tiers and segments stay within their lists (dbt seeds / config), every current customer has a home branch, and the
  segments that need one an RM; balances of products that cannot go negative are not negative, and overdrawn
  deposits (overdrafts) are counted as a warning;
- month-over-month change of AUM, loans and net contribution stays within a band (warning only);
- balances are continuous: the breaks of rpt_balance_continuity_breaks (warning by default, configurable);
- campaign measurement (when the marketing marts exist): one row per campaign and listed customer, a contacted
  control customer never in the uplift, rates within [0, 1], and uplift NULL exactly when it is not measurable.

A mart that does not exist fails its suite's ``exists`` check instead of erroring.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import duckdb
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from contracts.profile import load_profile
from expectations import audit
from expectations.config import QualityConfig
from expectations.model import Check, Severity, Suite, check, quote_ident, sql_literal

CRITICAL = Severity.CRITICAL
WARNING = Severity.WARNING

CONTRIBUTION = "fct_contribution_monthly"
WATERFALL = (
    "interest_income", "interest_expense", "ftp_charge", "ftp_credit", "net_interest_contribution", "fee_income",
    "output_vat", "vat_surcharges", "allocated_operating_cost", "expected_loss", "credit_cost", "net_contribution",
    "income_tax", "economic_capital", "capital_charge", "economic_profit",
)
BRIDGE = "fct_profit_bridge_monthly"
# Steps that are never negative by construction; interest and fees may carry reversals, so they only warn. Credit
# cost is not among them: a cure or a recovery releases a provision.
NON_NEGATIVE = {
    "ftp_charge": CRITICAL, "ftp_credit": CRITICAL, "allocated_operating_cost": CRITICAL, "expected_loss": CRITICAL,
    "economic_capital": CRITICAL, "capital_charge": CRITICAL, "interest_income": WARNING,
    "interest_expense": WARNING, "fee_income": WARNING,
}


def _unexpected(name: str, severity: Severity, description: str, query: str) -> Check:
    return check(gxe.UnexpectedRowsExpectation, name, severity, description, unexpected_rows_query=query)


def _columns_present(table: str, columns: Sequence[str]) -> Check:
    return check(
        gxe.ExpectTableColumnsToMatchSet,
        f"marts.{table}.columns_present",
        CRITICAL,
        f"the columns the checks and the dashboards rely on exist: {', '.join(columns)}",
        column_set=list(columns),
        exact_match=False,
    )


def _not_null(table: str, columns: Sequence[str]) -> list[Check]:
    return [
        check(gxe.ExpectColumnValuesToNotBeNull, f"marts.{table}.not_null.{c}", CRITICAL, f"{c} is filled", column=c)
        for c in columns
    ]


def _unique(table: str, columns: Sequence[str]) -> Check:
    return check(
        gxe.ExpectCompoundColumnsToBeUnique,
        f"marts.{table}.unique_key",
        CRITICAL,
        f"one row per {' × '.join(columns)}",
        column_list=list(columns),
    )


def _not_empty(table: str) -> Check:
    return check(gxe.ExpectTableRowCountToBeBetween, f"marts.{table}.not_empty", CRITICAL, "has rows", min_value=1)


# The key of each dimension checked here. Every dimension holds an unknown member keyed -1 (labelled 未知, see
# dbt_project/macros/unknown_member.sql) whose codes are -1 too: the code lists judge the real members.
DIMENSION_KEYS = {"dim_customer": "customer_key"}
UNKNOWN_KEY = "-1"


def _code_list_checks(table: str, cfg: QualityConfig) -> list[Check]:
    key = DIMENSION_KEYS.get(table)
    real_members = {"row_condition": Column(key) != UNKNOWN_KEY} if key else {}
    return [
        check(
            gxe.ExpectColumnValuesToBeInSet,
            f"marts.{table}.codes.{column}",
            CRITICAL,
            f"{column} is one of {', '.join(codes)}" + (" (the unknown member -1 aside)" if key else ""),
            column=column,
            value_set=list(codes),
            **real_members,
        )
        for (t, column), codes in cfg.marts.code_lists.items()
        if t == table
    ]


def _opex_ledger_by_month(cfg: QualityConfig, prefixes_of: Sequence[str] | None = None,
                          column: str = "gl_operating_expense") -> str:
    """GL operating expense per month from the raw ledger: debits less credits on the operating-expense accounts,
    each entry counted once (its latest LOADED delivery), by posting month. With other account prefixes and a column
    name, the same sum over those accounts."""
    accounts = cfg.marts.operating_expense_prefixes if prefixes_of is None else prefixes_of
    prefixes = " OR ".join(f"starts_with(account_code, {sql_literal(p)})" for p in accounts)
    return f"""
    SELECT CAST(date_trunc('month', posting_date) AS DATE) AS month_start,
           sum(CASE WHEN dr_cr_flag = 'D' THEN amount ELSE -amount END) AS {column}
    FROM (
        SELECT * FROM raw.accounting__ledger_entries
        WHERE _batch_id IN (SELECT batch_id FROM {audit.DELIVERIES} WHERE status = {sql_literal(audit.LOADED)})
        QUALIFY row_number() OVER (PARTITION BY entry_id ORDER BY _batch_id DESC) = 1
    ) AS entries
    WHERE {prefixes}
    GROUP BY ALL"""


def _currency() -> str:
    """The reporting currency (bank profile): the unit of every converted amount and tolerance."""
    return load_profile().reporting_currency


def _reconciles_to_ledger(name: str, what: str, amount_sql: str, cfg: QualityConfig) -> Check:
    tol = cfg.marts.amount_tolerance
    return _unexpected(
        name,
        CRITICAL,
        f"{what} equals the general ledger's operating expense of the month (within {tol} {_currency()})",
        f"""
WITH mart AS (SELECT month_start, sum({amount_sql}) AS amount FROM {{batch}} GROUP BY month_start),
ledger AS ({_opex_ledger_by_month(cfg)})
SELECT coalesce(mart.month_start, ledger.month_start) AS month_start, mart.amount AS mart_amount,
       ledger.gl_operating_expense
FROM mart FULL OUTER JOIN ledger ON ledger.month_start = mart.month_start
WHERE abs(coalesce(mart.amount, 0) - coalesce(ledger.gl_operating_expense, 0)) > {tol}""",
    )


def _identity(table: str, name: str, formula: str, expression: str, tol: Decimal) -> Check:
    return _unexpected(
        f"marts.{table}.identity.{name}",
        CRITICAL,
        f"{name} = {formula} on every row (within {tol})",
        f"SELECT month_start, account_id, {name}, {expression} AS expected FROM {{batch}} "
        f"WHERE abs({name} - ({expression})) > {tol}",
    )


def _contribution_suite(cfg: QualityConfig, tables: set[str]) -> list[Check]:
    t = CONTRIBUTION
    tol = cfg.marts.amount_tolerance
    keys = ("month_start", "account_id")
    checks = [
        _columns_present(t, [*keys, "product_code", "product_line_code", "balance_side_code", "branch_code",
                             "average_daily_balance_cny", *WATERFALL]),
        _not_empty(t),
        _unique(t, keys),
        *_not_null(t, [*keys, "product_code", "branch_code", *WATERFALL]),
        _identity(t, "net_interest_contribution", "interest income − FTP charge + FTP credit − interest expense",
                  "interest_income - ftp_charge + ftp_credit - interest_expense", tol),
        _identity(t, "net_contribution",
                  "net interest contribution + fees − output VAT − VAT surcharges − allocated cost − credit cost",
                  "net_interest_contribution + fee_income - output_vat - vat_surcharges - allocated_operating_cost"
                  " - credit_cost", tol),
        _identity(t, "economic_profit", "net contribution − income tax − capital charge",
                  "net_contribution - income_tax - capital_charge", tol),
        _reconciles_to_ledger(f"marts.{t}.allocated_cost_equals_gl", "the operating cost allocated to accounts",
                              "allocated_operating_cost", cfg),
        _unexpected(
            f"marts.{t}.ftp_side",
            WARNING,
            "FTP charges funds used and credits funds provided: a charge only on a positive asset or overdrawn "
            "liability balance, a credit only on a positive liability or negative asset balance (an overpaid card)",
            "SELECT month_start, account_id, balance_side_code, average_daily_balance_cny, ftp_charge, ftp_credit "
            "FROM {batch} WHERE (ftp_charge <> 0 AND NOT ("
            "(balance_side_code = 'A' AND average_daily_balance_cny > 0) "
            "OR (balance_side_code = 'L' AND average_daily_balance_cny < 0))) "
            "OR (ftp_credit <> 0 AND NOT ("
            "(balance_side_code = 'A' AND average_daily_balance_cny < 0) "
            "OR (balance_side_code = 'L' AND average_daily_balance_cny > 0)))",
        ),
    ]
    for column, severity in NON_NEGATIVE.items():
        checks.append(
            _unexpected(
                f"marts.{t}.non_negative.{column}", severity, f"{column} is not negative",
                f"SELECT month_start, account_id, {column} FROM {{batch}} WHERE {column} < 0",
            )
        )
    for dim, column in (("dim_branch", "branch_code"), ("dim_product", "product_code")):
        if dim in tables:
            checks.append(
                _unexpected(
                    f"marts.{t}.in_{dim}.{column}", CRITICAL, f"{column} is in marts.{dim}",
                    f"SELECT month_start, account_id, {column} FROM {{batch}} "
                    f"WHERE {column} NOT IN (SELECT {column} FROM marts.{dim})",
                )
            )
    return checks


def _branch_costs_suite(cfg: QualityConfig) -> list[Check]:
    t = "fct_branch_costs_monthly"
    tol = cfg.marts.amount_tolerance
    keys = ("month_start", "cost_centre_code", "branch_code")
    return [
        _columns_present(t, [*keys, "gl_operating_expense", "allocated_amount"]),
        _unique(t, keys),
        *_not_null(t, [*keys, "gl_operating_expense", "allocated_amount"]),
        _unexpected(
            f"marts.{t}.allocation_complete",
            CRITICAL,
            f"every cost centre allocates exactly its GL operating expense each month (within {tol})",
            f"SELECT month_start, cost_centre_code, sum(gl_operating_expense) AS gl_operating_expense, "
            f"sum(allocated_amount) AS allocated_amount FROM {{batch}} GROUP BY ALL "
            f"HAVING abs(sum(gl_operating_expense) - sum(allocated_amount)) > {tol}",
        ),
        _reconciles_to_ledger(f"marts.{t}.gl_expense_equals_ledger", "the GL operating expense by cost centre",
                              "gl_operating_expense", cfg),
    ]


def _bridge_suite(cfg: QualityConfig, tables: set[str]) -> list[Check]:
    t = BRIDGE
    tol = cfg.marts.amount_tolerance
    keys = ("month_start", "line_code")
    checks = [
        _columns_present(t, [*keys, "line_group", "step_name", "amount"]),
        _not_empty(t),
        _unique(t, keys),
        *_not_null(t, [*keys, "amount"]),
        _unexpected(
            f"marts.{t}.closes_to_gl",
            CRITICAL,
            "the bridge's lines sum to the general ledger's pre-provision profit of the month (income − expense on "
            f"the interest, fee and operating-expense accounts; within {tol} {_currency()})",
            f"""
WITH bridge AS (SELECT month_start, sum(amount) AS amount FROM {{batch}} GROUP BY month_start),
ledger AS ({_opex_ledger_by_month(cfg, cfg.marts.profit_prefixes, "gl_expense_less_income")})
SELECT coalesce(bridge.month_start, ledger.month_start) AS month_start, bridge.amount AS bridged_profit,
       -ledger.gl_expense_less_income AS gl_pre_provision_profit
FROM bridge FULL OUTER JOIN ledger ON ledger.month_start = bridge.month_start
WHERE abs(coalesce(bridge.amount, 0) + coalesce(ledger.gl_expense_less_income, 0)) > {tol}""",
        ),
    ]
    if CONTRIBUTION in tables:
        checks.append(
            _unexpected(
                f"marts.{t}.customer_lines_equal_contribution",
                CRITICAL,
                f"the customer lines of the bridge equal the net contribution of marts.{CONTRIBUTION} each month",
                f"""
WITH bridge AS (SELECT month_start, sum(amount) FILTER (WHERE line_group = '客户贡献') AS amount FROM {{batch}}
                GROUP BY month_start),
fact AS (SELECT month_start, sum(net_contribution) AS amount FROM marts.{CONTRIBUTION} GROUP BY month_start)
SELECT coalesce(bridge.month_start, fact.month_start) AS month_start, bridge.amount AS bridge_amount,
       fact.amount AS fact_amount
FROM bridge FULL OUTER JOIN fact ON fact.month_start = bridge.month_start
WHERE abs(coalesce(bridge.amount, 0) - coalesce(fact.amount, 0)) > {tol}""",
            )
        )
    return checks


def _customer_suite(cfg: QualityConfig, tables: set[str]) -> list[Check]:
    t = "dim_customer"
    required = ", ".join(sql_literal(s) for s in cfg.marts.rm_required_segments) or "NULL"
    checks = [
        _columns_present(t, ["customer_key", "party_id", "valid_from", "valid_to", "is_current", "segment_code",
                             "aum_tier_code", "rm_id", "home_branch_code"]),
        _not_empty(t),
        check(gxe.ExpectColumnValuesToBeUnique, f"marts.{t}.unique_key", CRITICAL, "customer_key is unique",
              column="customer_key"),
        *_not_null(t, ["customer_key", "party_id", "valid_from", "valid_to", "segment_code"]),
        *_code_list_checks(t, cfg),
        _unexpected(
            f"marts.{t}.one_current_version", CRITICAL, "every customer has exactly one current version",
            "SELECT party_id, count(*) FILTER (WHERE is_current) AS current_versions FROM {batch} "
            "GROUP BY party_id HAVING count(*) FILTER (WHERE is_current) <> 1",
        ),
        _unexpected(
            f"marts.{t}.valid_range", CRITICAL, "valid_from is before valid_to",
            "SELECT customer_key, valid_from, valid_to FROM {batch} WHERE valid_from >= valid_to",
        ),
        _unexpected(
            f"marts.{t}.has_branch", CRITICAL, "every current customer has a home branch known to dim_branch",
            "SELECT customer_key, party_id, home_branch_code FROM {batch} WHERE is_current AND "
            + ("(home_branch_code IS NULL OR home_branch_code NOT IN (SELECT branch_code FROM marts.dim_branch))"
               if "dim_branch" in tables else "home_branch_code IS NULL"),
        ),
        _unexpected(
            f"marts.{t}.has_rm", CRITICAL,
            f"every current customer of segment {', '.join(cfg.marts.rm_required_segments)} has a relationship "
            "manager",
            f"SELECT customer_key, party_id, segment_code FROM {{batch}} "
            f"WHERE is_current AND segment_code IN ({required}) AND rm_id IS NULL",
        ),
    ]
    if "dim_relationship_manager" in tables:
        checks.append(
            _unexpected(
                f"marts.{t}.rm_known", CRITICAL, "rm_id is in marts.dim_relationship_manager",
                "SELECT customer_key, rm_id FROM {batch} WHERE rm_id IS NOT NULL "
                "AND rm_id NOT IN (SELECT rm_id FROM marts.dim_relationship_manager)",
            )
        )
    return checks


def _negative_balances(lines: Sequence[str]) -> str:
    listed = ", ".join(sql_literal(p) for p in lines) or "NULL"
    return f"""SELECT b.month_start, b.account_id, b.product_code, b.average_daily_balance, b.month_end_balance
FROM {{batch}} AS b JOIN marts.dim_product AS p ON p.product_code = b.product_code
WHERE p.product_line_code IN ({listed}) AND (b.average_daily_balance < 0 OR b.month_end_balance < 0)"""


def _balances_suite(cfg: QualityConfig) -> list[Check]:
    t = "fct_account_balances_monthly"
    no_negative = cfg.marts.non_negative_balance_product_lines
    overdraft = cfg.marts.overdraft_product_lines
    return [
        _columns_present(t, ["month_start", "account_id", "product_code", "average_daily_balance",
                             "month_end_balance"]),
        _unique(t, ("month_start", "account_id")),
        _unexpected(
            f"marts.{t}.non_negative_balance", CRITICAL,
            f"balances of {', '.join(no_negative)} products are not negative", _negative_balances(no_negative),
        ),
        # an overdrawn deposit is an overdraft asset (FTP charge, overdraft interest): published, counted, reported
        _unexpected(
            f"marts.{t}.overdrafts", WARNING,
            f"overdrawn {', '.join(overdraft)} accounts (a negative average or month-end balance): each account-month "
            "counted as one unexpected row, published as an overdraft asset", _negative_balances(overdraft),
        ),
    ]


CONTINUITY = "rpt_balance_continuity_breaks"


def _continuity_suite(cfg: QualityConfig) -> list[Check]:
    t = CONTINUITY
    return [
        _columns_present(t, ["account_id", "account_source", "balance_on", "expected_closing_balance",
                             "closing_balance", "difference"]),
        _unexpected(
            f"marts.{t}.no_breaks", cfg.marts.balance_continuity_severity,
            "every account-day's closing balance is the previous closing balance plus the day's postings (core "
            "accounts daily, cards per statement; dbt parameter balance_continuity_tolerance): each row is a break, "
            "named with its account, day, expected and delivered closing balance",
            "SELECT account_id, account_source, balance_on, expected_closing_balance, closing_balance, difference "
            "FROM {batch}",
        ),
    ]


def _value_suite(cfg: QualityConfig) -> list[Check]:
    t = "rpt_customer_value"
    return [
        _columns_present(t, ["month_start", "party_id", "aum_cny", "aum_tier_code", "value_tier_code"]),
        _unique(t, ("month_start", "party_id")),
        *_code_list_checks(t, cfg),
    ]


CAMPAIGN_MEMBERS = "fct_campaign_members"
CAMPAIGN_PERFORMANCE = "rpt_campaign_performance"
CAMPAIGN_RATES = ("contact_rate", "reach_rate", "target_response_rate", "control_response_rate",
                  "target_conversion_rate", "control_conversion_rate")
# measured only when the campaign has a control group and both groups are large enough; else NULL, never zero
CAMPAIGN_UPLIFTS = ("conversion_uplift", "conversion_uplift_ci_low", "conversion_uplift_ci_high",
                    "incremental_conversions", "incremental_aum_per_member", "incremental_aum",
                    "incremental_net_contribution_per_member", "incremental_net_contribution", "roi")


def _campaign_members_suite() -> list[Check]:
    t = CAMPAIGN_MEMBERS
    return [
        _columns_present(t, ["campaign_id", "cif_no", "list_group_code", "is_control_contacted", "is_in_uplift"]),
        _unique(t, ("campaign_id", "cif_no")),
        _unexpected(
            f"marts.{t}.control_contacted_out_of_uplift", CRITICAL,
            "a control-group customer who was contacted is left out of the uplift",
            "SELECT campaign_id, cif_no FROM {batch} WHERE list_group_code = 'C' AND is_control_contacted "
            "AND is_in_uplift",
        ),
    ]


def _campaign_performance_suite() -> list[Check]:
    t = CAMPAIGN_PERFORMANCE
    rates = " OR ".join(f"{c} NOT BETWEEN 0 AND 1" for c in CAMPAIGN_RATES)
    filled = " AND ".join(f"{c} IS NOT NULL" for c in CAMPAIGN_UPLIFTS if c != "roi")
    empty = " AND ".join(f"{c} IS NULL" for c in CAMPAIGN_UPLIFTS)
    return [
        _columns_present(t, ["campaign_id", "breakdown_code", "uplift_status_code", *CAMPAIGN_RATES,
                             *CAMPAIGN_UPLIFTS]),
        _unique(t, ("campaign_id", "breakdown_code", "segment_code", "branch_code")),
        _unexpected(
            f"marts.{t}.rates_within_0_1", CRITICAL, f"{', '.join(CAMPAIGN_RATES)} lie within [0, 1]",
            f"SELECT campaign_id, breakdown_code, segment_code, branch_code FROM {{batch}} WHERE {rates}",
        ),
        _unexpected(
            f"marts.{t}.uplift_null_when_not_measurable", CRITICAL,
            "uplift, incremental figures and ROI are NULL exactly when not measurable (no control group, or a group "
            "too small), never zero; measured rows have every uplift (ROI too unless the row's cost is zero)",
            f"""SELECT campaign_id, breakdown_code, segment_code, branch_code, uplift_status_code FROM {{batch}}
WHERE (uplift_status_code = 'MEASURED' AND NOT ({filled} AND (roi IS NOT NULL OR cost_amount = 0)))
   OR (uplift_status_code <> 'MEASURED' AND NOT ({empty}))""",
        ),
    ]


_TOTALS = {
    "aum": "AUM (deposits and wealth) of all customers, from rpt_customer_value",
    "loans": "average daily balance of loans, from fct_contribution_monthly",
    "pre_provision_contribution": "net contribution before credit cost of all accounts, from fct_contribution_monthly",
}
TOTALS_SOURCES = ("rpt_customer_value", CONTRIBUTION, "dim_date")


def _totals_query() -> str:
    """Key totals per complete month (every day of it within the delivered range), computed in DuckDB (GX wants a
    query asset to start with SELECT, hence the outer select)."""
    return f"""SELECT * FROM (
WITH delivered AS (
    SELECT min(date_day) AS first_day, max(date_day) AS last_day FROM marts.dim_date WHERE has_delivery
),
contribution AS (
    SELECT month_start, sum(net_contribution + credit_cost) AS pre_provision_contribution,
           sum(CASE WHEN product_line_code = 'LOAN' THEN average_daily_balance_cny ELSE 0 END) AS loans
    FROM marts.{CONTRIBUTION} GROUP BY month_start
),
aum AS (SELECT month_start, sum(aum_cny) AS aum FROM marts.rpt_customer_value GROUP BY month_start)
SELECT c.month_start, coalesce(a.aum, 0) AS aum, c.loans, c.pre_provision_contribution
FROM contribution AS c LEFT JOIN aum AS a ON a.month_start = c.month_start
WHERE c.month_start >= (SELECT first_day FROM delivered) AND last_day(c.month_start) <= (SELECT last_day FROM delivered)
) AS totals"""


def _totals_checks(cfg: QualityConfig) -> list[Check]:
    out = []
    for total, band in cfg.marts.month_over_month_bands.items():
        col = quote_ident(total)
        out.append(
            _unexpected(
                f"marts.monthly_totals.month_over_month.{total}",
                WARNING,
                f"{_TOTALS[total]}: changes by at most {band:%} from one complete month to the next",
                f"""
WITH t AS (SELECT month_start, {col} AS total, lag({col}) OVER (ORDER BY month_start) AS previous FROM {{batch}})
SELECT month_start, previous, total FROM t
WHERE previous IS NOT NULL AND previous <> 0 AND abs(total - previous) > {band} * abs(previous)""",
            )
        )
    return out


def _missing(table: str) -> Suite:
    return Suite(
        stage="marts",
        name=f"marts.{table}",
        query=f"SELECT {sql_literal('marts.' + table)} AS missing_table",
        checks=(
            _unexpected(f"marts.{table}.exists", CRITICAL, f"marts.{table} exists (dbt built it)",
                        "SELECT * FROM {batch}"),
        ),
    )


def build_marts_suites(con: duckdb.DuckDBPyConnection, cfg: QualityConfig) -> list[Suite]:
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = 'marts'"
        ).fetchall()
    }
    builders = {
        CONTRIBUTION: lambda: _contribution_suite(cfg, tables),
        "fct_branch_costs_monthly": lambda: _branch_costs_suite(cfg),
        BRIDGE: lambda: _bridge_suite(cfg, tables),
        "dim_customer": lambda: _customer_suite(cfg, tables),
        "fct_account_balances_monthly": lambda: _balances_suite(cfg),
        "rpt_customer_value": lambda: _value_suite(cfg),
        CONTINUITY: lambda: _continuity_suite(cfg),
    }
    suites = []
    for table, build in builders.items():
        if table not in tables:
            suites.append(_missing(table))
            continue
        suites.append(Suite(stage="marts", name=f"marts.{table}", query=f"SELECT * FROM marts.{table}",
                            checks=tuple(build())))
    # the marketing marts: checked when built (a warehouse of an older build has none)
    for table, build_campaign in ((CAMPAIGN_MEMBERS, _campaign_members_suite),
                                  (CAMPAIGN_PERFORMANCE, _campaign_performance_suite)):
        if table in tables:
            suites.append(Suite(stage="marts", name=f"marts.{table}", query=f"SELECT * FROM marts.{table}",
                                checks=tuple(build_campaign())))
    if all(t in tables for t in TOTALS_SOURCES) and cfg.marts.month_over_month_bands:
        suites.append(Suite(stage="marts", name="marts.monthly_totals", query=_totals_query(),
                            checks=tuple(_totals_checks(cfg))))
    return suites
