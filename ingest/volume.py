"""Volume and continuity of loaded files: a file far below the usual record count of its extract is a warning.

A source system that sends an empty or half extract on a normal business day passes every file and row check (the
control file says 0, and 0 records arrive). So after each load the record count of every file just loaded is set
against the trailing median of its extract (the ``window`` deliveries before it, by business date); below
``min_ratio`` of a median of at least ``many``, or 0 records where the delivery before had ``many`` or more, the file
is named in a warning, recorded in ``audit.delivery_warnings`` (created by ``ingest.audit``) in the load's
transaction. A warning does not stop the load: the operator decides (a holiday is not an outage). The parameters
are ``volume_check`` in ``contracts/_systems.yaml``.
"""

from __future__ import annotations

import duckdb

from contracts.contract import ContractSet

LOW_VOLUME = "LOW_VOLUME"
EMPTY_AFTER_VOLUME = "EMPTY_AFTER_VOLUME"



def record_warnings(con: duckdb.DuckDBPyConnection, batch_ids: list[int],
                    contracts: ContractSet) -> dict[int, list[str]]:
    """Find and record the warnings of the files of ``batch_ids`` (just loaded, in the open transaction); returns
    the messages per batch.

    The first delivery of an incremental extract carries everything (every customer, every card), the later ones
    only the day's changes: it is left out of its extract's history, or the first quiet day would be a warning."""
    if not batch_ids:
        return {}
    check = contracts.volume
    listed = ", ".join(str(int(b)) for b in batch_ids)
    incremental = " OR ".join(f"(system = '{c.system}' AND extract = '{c.extract}')" for c in contracts.contracts
                              if c.load_type == "incremental") or "false"
    unchecked = " OR ".join(f"(system = '{c.system}' AND extract = '{c.extract}')" for c in contracts.contracts
                            if not c.volume_check) or "false"
    # Only the extracts of the new batches, over their whole loaded history (a few hundred rows a year per extract).
    con.execute(
        f"""
        INSERT INTO audit.delivery_warnings
        WITH files AS (
            SELECT batch_id, system, business_date, extract, file_name, control_record_count AS n
            FROM audit.delivery_files
            WHERE status = 'LOADED' AND extract IS NOT NULL AND (system, extract) IN (
                SELECT DISTINCT system, extract FROM audit.delivery_files WHERE batch_id IN ({listed}))
                AND NOT ({unchecked})
            QUALIFY NOT ({incremental}) OR row_number() OVER (PARTITION BY system, extract ORDER BY business_date) > 1
        ), history AS (
            SELECT *,
                median(n) OVER w AS trailing_median,
                count(n) OVER w AS deliveries_before,
                lag(n) OVER (PARTITION BY system, extract ORDER BY business_date) AS previous_n,
                lag(business_date) OVER (PARTITION BY system, extract ORDER BY business_date) AS previous_date
            FROM files
            WINDOW w AS (PARTITION BY system, extract ORDER BY business_date
                         ROWS BETWEEN {check.window} PRECEDING AND 1 PRECEDING)
        ), flagged AS (
            SELECT *,
                CASE
                    WHEN n = 0 AND previous_n >= {check.many} THEN '{EMPTY_AFTER_VOLUME}'
                    WHEN deliveries_before >= {check.min_history} AND trailing_median >= {check.many}
                         AND n < {check.min_ratio} * trailing_median THEN '{LOW_VOLUME}'
                END AS code
            FROM history WHERE batch_id IN ({listed})
        )
        SELECT batch_id, system, business_date, extract, file_name, code,
            CASE code
                WHEN '{EMPTY_AFTER_VOLUME}' THEN concat(file_name, ': 0 records, where the delivery of ',
                    strftime(previous_date, '%Y-%m-%d'), ' had ', format('{{:,}}', previous_n),
                    ' (an empty extract on a business day?)')
                ELSE concat(file_name, ': ', format('{{:,}}', n), ' records, under {check.min_ratio:.0%} of the ',
                    'median ', format('{{:,}}', round(trailing_median)::BIGINT), ' of the ', deliveries_before,
                    ' deliveries before it (a partial extract?)')
            END,
            n, trailing_median, previous_n
        FROM flagged WHERE code IS NOT NULL
        ORDER BY batch_id, file_name
        """
    )
    found: dict[int, list[str]] = {}
    for batch_id, message in con.execute(
        f"SELECT batch_id, message FROM audit.delivery_warnings WHERE batch_id IN ({listed}) "
        f"ORDER BY batch_id, file_name"
    ).fetchall():
        found.setdefault(int(batch_id), []).append(str(message))
    return found
