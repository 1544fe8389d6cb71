"""交易与渠道 (Transactions and channels): volumes, amounts and channel mix."""

from __future__ import annotations

from dashboards.charts import Dashboard, bars, big_number, pie, trend
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, PRODUCTS, SEGMENT, TIER


def board(cubes: dict[str, Cube]) -> Dashboard:
    txn, card = cubes["transactions"], cubes["card_transactions"]
    return Dashboard(
        slug="transactions-channels",
        title_zh="交易与渠道",
        title_en="Transactions and channels",
        description="Volumes, amounts and channel mix.",
        filters=(DATE, *BRANCHES, *PRODUCTS, SEGMENT, TIER),
        rows=[
            [
                big_number("txn_count", "交易笔数", "Transactions", txn, "transactions"),
                big_number("txn_amount", "交易金额（万元）", "Amount", txn, "amount"),
                big_number("txn_digital", "线上交易占比", "Digital share", txn, "digital_share"),
                big_number("card_amount", "信用卡消费（万元）", "Card spend", card, "amount"),
            ],
            [
                trend(
                    "txn_trend",
                    "交易笔数趋势",
                    "Transactions per day",
                    txn,
                    ["transactions"],
                    ["channel_name_zh"],
                    bar=True,
                ),
                pie("txn_channels", "渠道分布", "Transactions by channel", txn, "channel_name_zh", "transactions"),
            ],
            [
                bars(
                    "card_types",
                    "信用卡交易类型（万元）",
                    "Card transactions by type",
                    card,
                    "txn_type_name",
                    ["amount", "interchange_fee"],
                ),
                bars(
                    "txn_types",
                    "交易类型（万元）",
                    "Core transactions by type",
                    txn,
                    "txn_type_name",
                    ["amount", "fee_income"],
                ),
            ],
        ],
    )
