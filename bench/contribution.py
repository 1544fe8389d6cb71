"""The month x account contribution query, the same SQL text on DuckDB and on PostgreSQL.

    .venv/bin/python -m bench.contribution --db FILE     # on a DuckDB file loaded by bench.floor

prints the query's wall and CPU seconds (in the process, without Python's start-up) and the result's checksum.

A cut-down contribution waterfall computed straight from the loaded extracts, the kind of query a bank's team would
run on whichever database holds them: per month and account, the average daily balance, interest accrued, fees
charged and an FTP charge or credit from the month's average curve for the account's term; summed per month and
product. Portable SQL (no dialect features), so both databases do the same work; the result's checksum line lets the
bench confirm they agree.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

QUERY = """
WITH latest_account AS (
    SELECT account_no, product_code, term_months
    FROM (SELECT account_no, product_code, term_months,
                 row_number() OVER (PARTITION BY account_no ORDER BY last_update_date DESC) AS rn
          FROM core__accounts) a
    WHERE rn = 1
),
balance AS (
    SELECT account_no, date_trunc('month', balance_date) AS month, avg(balance) AS avg_balance, count(*) AS days
    FROM core__balances GROUP BY account_no, date_trunc('month', balance_date)
),
interest AS (
    SELECT account_no, date_trunc('month', accrual_month) AS month, sum(accrued_interest) AS interest
    FROM core__interest_accruals GROUP BY account_no, date_trunc('month', accrual_month)
),
fees AS (
    SELECT account_no, date_trunc('month', txn_date) AS month, sum(fee_amount) AS fees, count(*) AS txns
    FROM core__transactions GROUP BY account_no, date_trunc('month', txn_date)
),
curve AS (
    SELECT date_trunc('month', curve_date) AS month, term_months, avg(ftp_rate) AS ftp_rate
    FROM ref__ftp_curve GROUP BY date_trunc('month', curve_date), term_months
),
account_month AS (
    SELECT b.month, a.product_code, b.account_no, b.avg_balance,
           coalesce(i.interest, 0) AS interest, coalesce(f.fees, 0) AS fees, coalesce(f.txns, 0) AS txns,
           b.avg_balance * coalesce(c.ftp_rate, 0) * b.days / 360 AS ftp
    FROM balance b
    JOIN latest_account a ON a.account_no = b.account_no
    LEFT JOIN interest i ON i.account_no = b.account_no AND i.month = b.month
    LEFT JOIN fees f ON f.account_no = b.account_no AND f.month = b.month
    LEFT JOIN curve c ON c.month = b.month AND c.term_months = coalesce(a.term_months, 0)
)
SELECT month, product_code, count(*) AS accounts, sum(avg_balance) AS avg_balance, sum(interest) AS interest,
       sum(fees) AS fees, sum(txns) AS txns, sum(ftp) AS ftp, sum(interest + fees - ftp) AS contribution
FROM account_month
GROUP BY month, product_code
ORDER BY month, product_code
"""

CHECKSUM = "SELECT count(*), CAST(round(sum(contribution)) AS BIGINT) FROM ({query}) q"


def run_duckdb(db: Path) -> tuple[float, float, tuple]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        rows = con.execute(QUERY).fetchall()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        check = con.execute(CHECKSUM.format(query=QUERY)).fetchone()
    finally:
        con.close()
    assert rows, "the contribution query returned no rows"
    return seconds, cpu, tuple(check)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()
    seconds, cpu, check = run_duckdb(args.db)
    print(f"{seconds:.4f}", f"{cpu:.4f}", *check)


if __name__ == "__main__":
    main()
