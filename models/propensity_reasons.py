"""Why a customer is a prospect for a product family: as for churn (:mod:`models.reasons`), the model's own
per-feature contributions (TreeSHAP, LightGBM ``pred_contrib``) summed into driver groups an RM recognises, named in
Chinese; the top three groups pushing the propensity up. The phrases say why the customer may buy, not why they may
leave."""

from __future__ import annotations

import numpy as np

from models.reasons import rank_groups

# feature -> driver group (holdings per family are grouped by :func:`driver_of`)
DRIVER_OF = {
    "tenure_months": "tenure", "age": "life_stage",
    "products_held": "products", "cross_sell_ratio": "products", "products_change_3m": "products",
    "aum_cny": "aum_level", "deposit_share": "asset_mix", "wealth_share": "asset_mix",
    "aum_trend_3m": "aum_trend", "month_end_to_average_aum": "aum_trend", "aum_volatility_6m": "aum_trend",
    "maturing_deposits_3m": "deposit_maturing", "maturing_share_3m": "deposit_maturing",
    "transactions": "activity", "transactions_trend_3m": "activity", "days_since_last_transaction": "activity",
    "reversed_transactions_3m": "activity",
    "digital_transactions": "digital", "digital_trend_3m": "digital",
    "counter_transactions": "counter", "counter_trend_3m": "counter",
    "card_transactions": "card", "card_trend_3m": "card",
    "salary_credits": "salary", "is_salary_stopped": "salary",
    "is_rm_changed_3m": "rm", "is_rm_changed_1m": "rm",
    "net_contribution": "contribution", "contribution_change_3m": "contribution",
    "economic_profit_monthly_12m": "contribution",
    "loan_adb_cny": "credit", "card_adb_cny": "credit", "worst_five_class_code": "credit",
    "max_days_past_due": "credit", "risk_rating_code": "credit",
}
DRIVER_TEXT = {
    "tenure": "新近开户，正处于建立业务关系阶段",
    "life_stage": "年龄处于该产品的需求阶段",
    "products": "已持有多种产品，接受交叉销售",
    "aum_level": "管理资产规模较大",
    "asset_mix": "资产结构偏重活期或存款，有配置空间",
    "aum_trend": "资产近期有变动，资金待配置",
    "deposit_maturing": "定期存款即将到期，资金待配置",
    "activity": "交易活跃",
    "digital": "手机银行/网银使用活跃",
    "counter": "常到网点办理业务",
    "card": "用卡活跃",
    "salary": "代发工资客户，收入稳定",
    "rm": "客户经理近期变更，可借机拜访",
    "contribution": "综合贡献较高",
    "credit": "信贷与用卡记录良好",
    "same_family": "已持有同类产品，有续作或追加需求",
    "related_products": "持有的其他产品与之互补",
}


def driver_of(feature: str, family: str) -> str:
    """The driver group of a feature in the model of ``family`` (holding features: its own or another family's)."""
    for prefix in ("accounts_", "months_since_"):
        if feature.startswith(prefix):
            return "same_family" if feature[len(prefix):] == family.lower() else "related_products"
    return DRIVER_OF[feature]


def top_drivers(contributions: np.ndarray, features: list[str], family: str, k: int = 3) -> list[list[str]]:
    """Per row, the ``k`` driver groups with the largest positive summed contribution (none at or below zero).

    ``contributions`` is LightGBM's ``pred_contrib`` output: one column per feature and the bias last.
    """
    groups, codes = rank_groups(contributions, [driver_of(f, family) for f in features], k)
    return [[groups[c] for c in row if c >= 0] for row in codes.tolist()]


def reason_text(drivers: list[str]) -> str:
    return "；".join(DRIVER_TEXT[d] for d in drivers)
