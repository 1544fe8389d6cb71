"""Shape the campaigns of :mod:`synth.marketing` into the marketing system's extracts (contracts/marketing/)."""

from __future__ import annotations

import duckdb
import numpy as np

from synth.extracts import Builder, source_table
from synth.frame import register
from synth.ids import STR, text
from synth.marketing import CHANNELS
from synth.world import World

PLANNED_DAYS_AHEAD = 14  # a campaign appears in the platform's snapshot two weeks before it starts


def register_marketing(con: duckdb.DuckDBPyConnection, world: World) -> None:
    mk = world.marketing
    cif = world.customers.cif_no
    register(con, "mkt_campaign_t", {
        "idx": np.arange(len(mk.campaign_id)), "campaign_id": mk.campaign_id, "campaign_name": mk.name,
        "objective_code": mk.objective, "product_family": mk.family, "product": mk.product, "channel": mk.channel,
        "start_day": mk.start_day, "end_day": mk.end_day, "list_day": mk.list_day, "cost": mk.cost,
    })
    register(con, "mkt_list_t", {
        "idx": np.arange(len(mk.l_cust)), "campaign": mk.l_campaign, "cif_no": cif[mk.l_cust],
        "list_group": np.where(mk.l_control, "C", "T").astype(STR),
    })
    register(con, "mkt_contact_t", {
        "idx": np.arange(len(mk.k_cust)), "campaign": mk.k_campaign, "cif_no": cif[mk.k_cust],
        "channel": text(list(CHANNELS))[mk.k_channel], "day": mk.k_day, "outcome_code": mk.k_outcome,
    })
    register(con, "mkt_response_t", {
        "idx": np.arange(len(mk.r_cust)), "campaign": mk.r_campaign, "cif_no": cif[mk.r_cust],
        "contact": mk.r_contact, "day": mk.r_day, "response_type": mk.r_type, "acct": mk.r_acct,
        "amount": mk.r_amount,
    })


def _campaigns(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('marketing', 'campaigns')} AS
        SELECT c.campaign_id, c.campaign_name, c.objective_code, c.product_family, p.product_code, c.channel,
               d(c.start_day) AS start_date, d(c.end_day) AS end_date, m(c.cost) AS cost_amount,
               d(t.day) AS biz_date, c.idx AS _ord
        FROM days_t t JOIN mkt_campaign_t c ON t.day >= c.start_day - {PLANNED_DAYS_AHEAD}
        JOIN products_t p ON p.idx = c.product
    """)


def _target_lists(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('marketing', 'target_lists')} AS
        SELECT c.campaign_id, l.cif_no, l.list_group, d(c.list_day) AS list_date, d(c.list_day) AS biz_date,
               l.idx AS _ord
        FROM mkt_list_t l JOIN mkt_campaign_t c ON c.idx = l.campaign
    """)


def _contact_id(alias: str) -> str:
    return f"concat('K', c.campaign_id, lpad(CAST({alias}.idx AS VARCHAR), 8, '0'))"


def _contacts(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('marketing', 'contacts')} AS
        SELECT {_contact_id('k')} AS contact_id, c.campaign_id, k.cif_no, k.channel, d(k.day) AS contact_date,
               k.outcome_code, d(k.day) AS biz_date, k.idx AS _ord
        FROM mkt_contact_t k JOIN mkt_campaign_t c ON c.idx = k.campaign
    """)


def _responses(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('marketing', 'responses')} AS
        SELECT concat('R', c.campaign_id, lpad(CAST(r.idx AS VARCHAR), 8, '0')) AS response_id,
               CASE WHEN r.contact >= 0 THEN {_contact_id('k')} END AS contact_id, c.campaign_id, r.cif_no,
               d(r.day) AS response_date, r.response_type, p.product_code, a.account_no, m(r.amount) AS amount,
               d(r.day) AS biz_date, r.idx AS _ord
        FROM mkt_response_t r JOIN mkt_campaign_t c ON c.idx = r.campaign JOIN products_t p ON p.idx = c.product
        LEFT JOIN mkt_contact_t k ON k.idx = r.contact
        LEFT JOIN acct_t a ON a.idx = r.acct
    """)


MARKETING_BUILDERS: dict[str, Builder] = {
    "marketing.campaigns": _campaigns, "marketing.target_lists": _target_lists, "marketing.contacts": _contacts,
    "marketing.responses": _responses,
}

__all__ = ["MARKETING_BUILDERS", "register_marketing"]
