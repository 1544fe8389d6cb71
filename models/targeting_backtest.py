"""Targeting that pays (精准营销回测): for each campaign with a control group, would contacting the tenth of its list
with the highest next-best-product propensity have brought more incremental value per contact than contacting a
random tenth?

Point in time: the campaign's list is scored as of T, the month end before the campaign starts, by a propensity
model of the campaign's product family trained only on the months whose labels were known at T (month start +
``nbp_horizon_months`` <= T, :func:`models.propensity.train_propensity_model`). A campaign too early for that (fewer
than three such months) is listed as not backtested, with the reason.

Truth: the caller passes each list member's true take-up probability with the campaign (``p_with``) and without it
(``p_without``), and the expected amount taken (the synthetic bank's manifest, ``truth.campaigns``; this package
never reads the generator). A member's true incremental value is ``(p_with - p_without) * amount``, new money in CNY;
the campaign promotes one product, so its net contribution is that new money times the same margin and the ratio
of top decile to random is the same in contribution. Only the target group's members carry ``p_with`` of a
contacted customer (the control group's equals ``p_without``): the members compared are the target group's, a
random sample of the list. Random targeting's value per contact is their mean; the top decile's is the mean over
the tenth of them scored highest.

Check: the observed uplift within deciles of the whole list (target minus control, the marts' attributed
conversions and new money, ``marts.fct_campaign_members``), for campaigns whose attribution window is closed."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from models.data import complete_months
from models.errors import ModelError
from models.marketing_data import load_marketing_frame, read_families
from models.marketing_scoring import propensities
from models.propensity import train_propensity_model

DECILES = 10


class TooEarly(ModelError):
    """A campaign with too little history before it for a point-in-time model: listed, not backtested."""


@dataclass(frozen=True)
class MemberTruth:
    """One list member's truth: group 'T' (target) or 'C' (control), take-up probabilities, expected amount (CNY)."""

    cif_no: str
    group: str
    p_without: float
    p_with: float
    amount: float


def truth_from_manifest(campaigns: Iterable[Mapping[str, Any]]) -> dict[str, list[MemberTruth]]:
    """The manifest's ``truth.campaigns`` records (members as [cif_no, group, segment, p_without, p_with, amount])
    keyed by campaign id."""
    return {str(c["campaign_id"]): [MemberTruth(str(m[0]), str(m[1]), float(m[3]), float(m[4]), float(m[5]))
                                    for m in c["members"]] for c in campaigns}


@dataclass(frozen=True)
class DecileCheck:
    decile: int  # 1 = the highest propensities
    targets: int
    controls: int
    conversion_uplift: float | None  # observed: target minus control conversion rate
    new_money_uplift: float | None  # observed: target minus control new money per member, CNY
    true_new_money_per_target: float  # truth: mean (p_with - p_without) * amount over the decile's targets


@dataclass(frozen=True)
class CampaignBacktest:
    campaign_id: str
    campaign_name: str
    family: str
    scored_month: str  # T, YYYY-MM
    train_months: list[str]
    modelled: bool  # False: the family had too few openers and its propensity is the popularity rate
    targets: int  # target-group members (truth known when contacted)
    unscored: int  # members not among T's customers (opened after T): ranked last
    top_targets: int
    random_conversion: float  # true incremental conversions per contact, random tenth (expected)
    top_conversion: float
    random_value: float  # true incremental new money per contact, CNY
    top_value: float
    window_closed: bool
    deciles: list[DecileCheck] = field(default_factory=list)

    @property
    def value_ratio(self) -> float | None:
        return self.top_value / self.random_value if self.random_value > 0 else None


@dataclass
class BacktestReport:
    campaigns: list[CampaignBacktest]
    not_backtested: dict[str, str]  # campaign id -> reason

    def pooled(self) -> tuple[float, float] | None:
        """True new money per contact over every backtested campaign: (random, top decile), each campaign weighted by
        its contacts (all its targets at random, its top decile's)."""
        if not self.campaigns:
            return None
        random = sum(c.random_value * c.targets for c in self.campaigns) / sum(c.targets for c in self.campaigns)
        top = sum(c.top_value * c.top_targets for c in self.campaigns) / sum(c.top_targets for c in self.campaigns)
        return random, top

    def summary(self) -> str:
        parts = [f"{c.campaign_id} top decile {c.top_value:,.0f} vs random {c.random_value:,.0f} CNY per contact"
                 for c in self.campaigns]
        return ("targeting backtest: " + ("; ".join(parts) or "no campaign backtested")
                + (f"; not backtested: {', '.join(sorted(self.not_backtested))}" if self.not_backtested else ""))


def _month_before(day: Any) -> pd.Timestamp:
    return pd.Timestamp(day).to_period("M").to_timestamp() - pd.DateOffset(months=1)


def _top(score: np.ndarray, share: float = 1 / DECILES) -> np.ndarray:
    """Positions of the ``ceil(n * share)`` highest scores (ties by position: deterministic)."""
    k = max(1, math.ceil(len(score) * share))
    return np.argsort(-score, kind="stable")[:k]


def _deciles(members: pd.DataFrame) -> list[DecileCheck]:
    """Observed uplift per propensity decile of the whole list (targets and the control customers in the uplift)."""
    ranked = members[members["is_in_uplift"]].sort_values(["score", "party_id"], ascending=[False, True],
                                                          kind="stable").reset_index(drop=True)
    ranked["decile"] = np.arange(len(ranked)) * DECILES // max(len(ranked), 1) + 1
    out = []
    for d, part in ranked.groupby("decile"):
        t, c = part[part["list_group_code"] == "T"], part[part["list_group_code"] == "C"]
        measurable = len(t) > 0 and len(c) > 0
        out.append(DecileCheck(
            int(d), len(t), len(c),
            float(t["has_conversion"].mean() - c["has_conversion"].mean()) if measurable else None,
            float(t["new_money"].mean() - c["new_money"].mean()) if measurable else None,
            float(t["true_value"].mean()) if len(t) else 0.0))
    return out


def backtest_campaign(con: duckdb.DuckDBPyConnection, campaign: Mapping[str, Any], truth: Sequence[MemberTruth],
                      progress: Callable[[str], None] = lambda _s: None) -> CampaignBacktest:
    """Backtest one campaign (a row of marts.dim_campaign with ``model_family_code``, the propensity family of its
    product); TooEarly when its month T has too little history, ModelError when the truth misses list members."""
    month = _month_before(campaign["starts_on"])
    if month not in complete_months(con):
        raise TooEarly(f"too little history before it: {month:%Y-%m}, the month before it starts, is not in the "
                       "warehouse")
    family = str(campaign["model_family_code"])
    progress(f"training {family} on the months known by {month:%Y-%m}")
    try:
        report = train_propensity_model(con, labels_known_by=month, only=[family])
    except ModelError as exc:
        raise TooEarly(f"too little history before it: {exc}") from exc
    frame = load_marketing_frame(con, read_families(con), labelled_only=False, month=month)
    scores = propensities(report.artifact, frame)
    scores = scores[scores["product_family_code"] == family].set_index("party_id")["propensity"]
    members = con.execute("""
        select cif_no, party_id, list_group_code, is_in_uplift, has_conversion,
               cast(new_money_amount as double) as new_money
        from marts.fct_campaign_members where campaign_id = ? order by party_id""",
                          [campaign["campaign_id"]]).df()
    members["score"] = members["party_id"].map(scores).astype(float)
    unscored = int(members["score"].isna().sum())
    members["score"] = members["score"].fillna(-1.0)
    true = {m.cif_no: m for m in truth}
    missing = set(members["cif_no"]) - set(true)
    if missing:
        raise ModelError(f"the truth holds no record of {len(missing)} list members of {campaign['campaign_id']}")
    members["true_conversion"] = [true[c].p_with - true[c].p_without for c in members["cif_no"]]
    members["true_value"] = [(true[c].p_with - true[c].p_without) * true[c].amount for c in members["cif_no"]]
    members["has_conversion"] = members["has_conversion"].astype(bool)
    targets = members[members["list_group_code"] == "T"].sort_values(["score", "party_id"], ascending=[False, True],
                                                                    kind="stable").reset_index(drop=True)
    top = targets.iloc[_top(targets["score"].to_numpy())]
    fam_eval = report.families[0]
    return CampaignBacktest(
        campaign_id=str(campaign["campaign_id"]), campaign_name=str(campaign["campaign_name"]), family=family,
        scored_month=f"{month:%Y-%m}", train_months=report.artifact.meta["split"]["train"]
        + report.artifact.meta["split"]["calibrate"] + report.artifact.meta["split"]["validate"],
        modelled=fam_eval.modelled, targets=len(targets), unscored=unscored, top_targets=len(top),
        random_conversion=float(targets["true_conversion"].mean()), top_conversion=float(top["true_conversion"].mean()),
        random_value=float(targets["true_value"].mean()), top_value=float(top["true_value"].mean()),
        window_closed=bool(campaign["is_window_closed"]), deciles=_deciles(members))


def run_backtest(con: duckdb.DuckDBPyConnection, truth: Mapping[str, Sequence[MemberTruth]],
                 progress: Callable[[str], None] = lambda _s: None) -> BacktestReport:
    """Backtest every campaign of marts.dim_campaign with a control group and a truth record."""
    # the campaign's product family as the propensity model knows it: its product's category (seed product_families)
    campaigns = con.execute("""
        select c.*, f.product_family_code as model_family_code
        from marts.dim_campaign as c
        left join (select distinct product_code, category_code from marts.dim_product) as p
            on p.product_code = c.product_code
        left join seeds.product_families as f on f.category_code = p.category_code
        where c.has_control_group
        order by c.starts_on, c.campaign_id""").df().to_dict("records")
    done: list[CampaignBacktest] = []
    skipped: dict[str, str] = {}
    for c in campaigns:
        cid = str(c["campaign_id"])
        if cid not in truth:
            skipped[cid] = "no truth record"
            continue
        if not isinstance(c["model_family_code"], str):
            skipped[cid] = f"its product {c['product_code']} is in no product family (seed product_families)"
            continue
        try:
            done.append(backtest_campaign(con, c, truth[cid], progress))
        except TooEarly as exc:
            skipped[cid] = str(exc)
    return BacktestReport(done, skipped)


def render_backtest(report: BacktestReport) -> list[str]:
    """The model card's section."""
    lines = [
        "## Targeting that pays (精准营销回测)",
        "",
        "For each campaign with a control group: the target group's members ranked by the propensity of the "
        "campaign's product family as of the month end before the campaign starts, from a model trained only on the "
        "months whose labels were known then. Value per contact: the generator's true incremental take-up "
        "(probability with the campaign minus without) times the expected amount, new money in CNY (one product per "
        "campaign: its contribution is proportional). Random: the mean over all targets; top decile: over the tenth "
        "scored highest (ties, e.g. of a family scored by its popularity rate, in customer order). \"Not scored\": "
        "list members who were not yet customers at that month end, ranked last.",
        "",
        "| campaign | family | scored at | trained on | targets (not scored) | top decile | "
        "true uplift random / top decile | new money per contact random / top decile, CNY | ratio |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for c in report.campaigns:
        ratio = "—" if c.value_ratio is None else f"{c.value_ratio:.2f}"
        lines.append(f"| {c.campaign_id} {c.campaign_name} | {c.family}{'' if c.modelled else ' (popularity)'} | "
                     f"{c.scored_month} | {c.train_months[0]}–{c.train_months[-1]} | {c.targets:,} ({c.unscored}) | "
                     f"{c.top_targets:,} | {c.random_conversion:.2%} / {c.top_conversion:.2%} | "
                     f"{c.random_value:,.0f} / {c.top_value:,.0f} | {ratio} |")
    pooled = report.pooled()
    if pooled is not None:
        lines += ["", f"Over the {len(report.campaigns)} campaigns backtested, per contact: random "
                  f"{pooled[0]:,.0f} CNY, top decile {pooled[1]:,.0f} CNY."]
    lines += ["", "A propensity ranks who buys, not who is moved to buy: compare the true take-up uplift of the top "
              "decile with a random tenth's; where it is no higher, the top decile pays through larger amounts."]
    if report.not_backtested:
        lines += ["", "Not backtested: " + "; ".join(f"{k}: {v}" for k, v in sorted(report.not_backtested.items()))
                  + "."]
    checked = [c for c in report.campaigns if c.window_closed]
    if checked:
        lines += ["", "### Check: observed uplift by propensity decile (target minus control, the whole list)", "",
                  "| campaign | decile | targets / controls | conversion uplift observed | new money uplift observed, "
                  "CNY | true new money per target, CNY |", "|---|---:|---:|---:|---:|---:|"]
        for c in checked:
            for d in c.deciles:
                conv = "—" if d.conversion_uplift is None else f"{d.conversion_uplift:+.2%}"
                money = "—" if d.new_money_uplift is None else f"{d.new_money_uplift:+,.0f}"
                lines.append(f"| {c.campaign_id} | {d.decile} | {d.targets} / {d.controls} | {conv} | {money} | "
                             f"{d.true_new_money_per_target:,.0f} |")
        lines += ["", "A decile holds a few dozen control customers on a small bank: its observed uplift is noisy "
                  "(the campaign-level interval is in `rpt_campaign_performance`)."]
    return lines


def backtest_from_warehouse(database: Path, truth: Mapping[str, Sequence[MemberTruth]],
                            progress: Callable[[str], None] = lambda _s: None) -> BacktestReport:
    """:func:`run_backtest` on a warehouse file opened read only (nothing is saved: the models are the backtest's)."""
    if not database.is_file():
        raise ModelError(f"no warehouse at {database}: build one first (`crmwh build`)")
    con = duckdb.connect(str(database), read_only=True)
    try:
        return run_backtest(con, truth, progress)
    finally:
        con.close()
