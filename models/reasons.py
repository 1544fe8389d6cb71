"""Why a customer scores high: the model's own per-feature contributions (TreeSHAP, LightGBM ``pred_contrib``)
summed into driver groups an RM recognises, named in Chinese; the top three groups pushing the score up."""

from __future__ import annotations

import numpy as np

# feature -> driver group; each group has one Chinese phrase for the RM
DRIVER_OF = {
    "tenure_months": "tenure",
    "products_held": "products", "cross_sell_ratio": "products", "products_change_3m": "products",
    "aum_cny": "aum_level",
    "aum_trend_3m": "aum_falling", "month_end_to_average_aum": "aum_falling", "aum_volatility_6m": "aum_falling",
    "maturing_deposits_3m": "deposit_maturing", "maturing_share_3m": "deposit_maturing",
    "transactions": "activity", "transactions_trend_3m": "activity", "days_since_last_transaction": "activity",
    "digital_transactions": "digital", "digital_trend_3m": "digital",
    "counter_transactions": "counter", "counter_trend_3m": "counter",
    "card_transactions": "card", "card_trend_3m": "card",
    "salary_credits": "salary", "is_salary_stopped": "salary",
    "reversed_transactions_3m": "service",
    "is_rm_changed_3m": "rm_change", "is_rm_changed_1m": "rm_change",
    "net_contribution": "contribution", "contribution_change_3m": "contribution",
    "economic_profit_monthly_12m": "contribution",
    "loan_adb_cny": "credit", "card_adb_cny": "credit", "worst_five_class_code": "credit",
    "max_days_past_due": "credit", "risk_rating_code": "credit",
}
DRIVER_TEXT = {
    "tenure": "新客户，关系尚浅",
    "products": "持有产品少或在减少",
    "aum_level": "管理资产规模偏小",
    "aum_falling": "资产近期流出、余额下降",
    "deposit_maturing": "定期存款即将到期",
    "activity": "交易明显减少或长期未交易",
    "digital": "手机银行/网银使用减少",
    "counter": "柜面业务减少",
    "card": "用卡减少",
    "salary": "代发工资停发",
    "service": "近期多笔交易失败冲正，服务体验受损",
    "rm_change": "客户经理变更",
    "contribution": "综合贡献下降",
    "credit": "信贷或信用卡状况变化",
}


def top_drivers(contributions: np.ndarray, features: list[str], k: int = 3) -> list[list[str]]:
    """Per row, the ``k`` driver groups with the largest positive summed contribution (none below zero).

    ``contributions`` is LightGBM's ``pred_contrib`` output: one column per feature and the bias last.
    """
    groups = sorted(set(DRIVER_OF[f] for f in features))
    index = {g: i for i, g in enumerate(groups)}
    summed = np.zeros((contributions.shape[0], len(groups)))
    for j, f in enumerate(features):
        summed[:, index[DRIVER_OF[f]]] += contributions[:, j]
    order = np.argsort(-summed, axis=1, kind="stable")[:, :k]
    out = []
    for row, cols in zip(summed, order, strict=True):
        out.append([groups[c] for c in cols if row[c] > 0])
    return out


def reason_text(drivers: list[str]) -> str:
    return "；".join(DRIVER_TEXT[d] for d in drivers)
