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
    "is_rm_changed_3m": "rm_change", "is_rm_changed_1m": "rm_change", "months_since_rm_change": "rm_change",
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


def driver_groups(features: list[str]) -> list[str]:
    """The driver groups of these features, in a fixed (alphabetical) order."""
    return sorted(set(DRIVER_OF[f] for f in features))


def rank_groups(contributions: np.ndarray, group_of_feature: list[str], k: int = 3) -> tuple[list[str], np.ndarray]:
    """The driver groups (alphabetical) and, rows x ``k``, the index into them of each row's ``k`` groups with the
    largest positive summed contribution, largest first; -1 where fewer than ``k`` groups push the score up.

    ``contributions`` is LightGBM's ``pred_contrib`` layout: one column per feature and the bias last;
    ``group_of_feature`` names the group of each feature column. Shared by every model that gives reasons.
    """
    groups = sorted(set(group_of_feature))
    index = {g: i for i, g in enumerate(groups)}
    summed = np.zeros((contributions.shape[0], len(groups)))
    for j, group in enumerate(group_of_feature):
        summed[:, index[group]] += contributions[:, j]
    order = np.argsort(-summed, axis=1, kind="stable")[:, :k]
    positive = np.take_along_axis(summed, order, axis=1) > 0
    return groups, np.where(positive, order, -1)


def top_driver_codes(contributions: np.ndarray, features: list[str], k: int = 3) -> np.ndarray:
    """:func:`rank_groups` of the churn model's driver groups (indexes into :func:`driver_groups`)."""
    return rank_groups(contributions, [DRIVER_OF[f] for f in features], k)[1]


def top_drivers(contributions: np.ndarray, features: list[str], k: int = 3) -> list[list[str]]:
    """Per row, the ``k`` driver groups with the largest positive summed contribution (none below zero)."""
    groups = driver_groups(features)
    return [[groups[c] for c in row if c >= 0] for row in top_driver_codes(contributions, features, k).tolist()]


def reason_text(drivers: list[str]) -> str:
    return "；".join(DRIVER_TEXT[d] for d in drivers)


def reason_columns(codes: np.ndarray, features: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
    """The Chinese reason of each of the ``k`` columns of :func:`top_driver_codes` (None where there is none) and
    the joined reasons text, by look-up: a text per driver group and per distinct combination, not per row."""
    groups = driver_groups(features)
    texts = np.array([DRIVER_TEXT[g] for g in groups] + [None], dtype=object)  # code -1 reads the last: None
    columns = [texts[codes[:, i]] for i in range(codes.shape[1])]
    base = len(groups) + 1
    combined = np.zeros(codes.shape[0], dtype=np.int64)
    for i in range(codes.shape[1]):
        combined = combined * base + (codes[:, i] + 1)
    distinct, first, rows = np.unique(combined, return_index=True, return_inverse=True)
    joined = np.array([reason_text([groups[c] for c in codes[r] if c >= 0]) for r in first], dtype=object)
    return columns, joined[rows] if len(distinct) else np.array([], dtype=object)
