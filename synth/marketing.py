"""Marketing campaigns (营销活动) of the synthetic bank: target lists with a randomly held-out control group, contacts
during the campaign, and responses whose probability carries a true causal effect that differs by segment.

The effect is real in the bank's books: a customer who takes the campaign's term product opens an account in core on
the response date with the amount as its principal (new money on top of the customer's usual assets), so the
warehouse's AUM and contribution see it. The truth (each list member's response probability with and without the
campaign, and the expected amount) goes to the manifest; the extracts carry only what a marketing platform records.

Segments are the warehouse's AUM tiers (seed ``aum_tiers``) applied to the customer's assets with the bank: the
campaign works best on the mass affluent (贵宾, 10万-100万), less on the mass and on the wealthy, least on private
banking customers, who are approached by their RM anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synth.accounts import TERM, Accounts, account_numbers
from synth.calendar import Calendar, add_months
from synth.customers import Customers
from synth.frame import NO_DAY
from synth.ids import STR, text
from synth.reference import PRODUCT_INDEX, Branches, Rates, product_base_rate

# segment (AUM tier) by assets with the bank, CNY: the lower bounds of seed aum_tiers
SEGMENTS = ("MASS", "VIP", "WEALTH", "PRIVATE")
SEGMENT_FLOORS = np.array([0.0, 100_000.0, 1_000_000.0, 6_000_000.0])
# take-up of the campaign's product within the campaign without it (organic), and the causal effect of being reached
BASE_RATE = np.array([0.02, 0.03, 0.04, 0.04])
EFFECT_IF_REACHED = np.array([0.06, 0.18, 0.08, 0.03])
# the amount taken: a share of the customer's assets, uniform between these, at least the floor, in whole 1,000 CNY
AMOUNT_SHARE = (0.10, 0.30)
AMOUNT_FLOOR = 10_000.0
RESPONSE_LAG_DAYS = 20  # responses arrive within this many days of the reached contact (or of the campaign start)
APPLY_FIRST = 0.3  # share of takers who apply (A) a few days before the product is opened (T)
APPLY_ONLY = 0.02  # listed customers reached who apply and never complete
CHANNELS = ("SMS", "CALL", "BRANCH", "PUSH")
REACH = np.array([0.85, 0.55, 0.45, 0.75])  # chance a contact reaches the customer, by channel
CHANNEL_COST = np.array([5, 800, 2000, 1])  # cents a contact, by channel
LIST_COST = 300  # cents per listed customer: design, data and agency
# defects a real platform has: a branch contacts a few control customers; a few contacts are logged after the end
CONTROL_CONTACTED = 0.02
LATE_CONTACT = 0.01


@dataclass(frozen=True)
class CampaignPlan:
    name: str
    objective: str
    family: str
    product: str
    channel: str  # SMS, CALL, BRANCH, PUSH or MIX (SMS then PUSH)
    days: int
    list_share: float  # share of eligible customers listed
    control_share: float  # 0: no control group


# The campaign calendar of a year, repeated: (day of the horizon's year the campaign starts, plan).
CALENDAR: tuple[tuple[int, CampaignPlan], ...] = (
    (20, CampaignPlan("开门红定期存款营销", "UP", "TD", "D1104", "CALL", 35, 0.45, 0.2)),
    (75, CampaignPlan("理财产品交叉销售", "XS", "WM", "W1002", "MIX", 30, 0.40, 0.2)),
    (100, CampaignPlan("存款到期挽留短信", "RET", "TD", "D1103", "SMS", 21, 0.15, 0.0)),
    (135, CampaignPlan("年中理财推荐", "XS", "WM", "W1002", "PUSH", 30, 0.35, 0.2)),
    (200, CampaignPlan("暑期定期存款营销", "UP", "TD", "D1104", "BRANCH", 40, 0.30, 0.25)),
    (290, CampaignPlan("年末理财冲刺", "XS", "WM", "W1002", "MIX", 30, 0.40, 0.2)),
)


@dataclass
class Marketing:
    # campaigns
    campaign_id: np.ndarray
    name: np.ndarray
    objective: np.ndarray
    family: np.ndarray
    product: np.ndarray  # index into PRODUCTS
    channel: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray
    list_day: np.ndarray
    cost: np.ndarray  # cents
    # target lists
    l_campaign: np.ndarray
    l_cust: np.ndarray
    l_control: np.ndarray
    l_segment: np.ndarray
    l_p_control: np.ndarray  # true take-up probability without the campaign
    l_p_target: np.ndarray  # … in the target group (reach and effect included)
    l_amount: np.ndarray  # expected amount if taken, CNY
    # contacts
    k_campaign: np.ndarray
    k_cust: np.ndarray
    k_channel: np.ndarray  # index into CHANNELS
    k_day: np.ndarray
    k_outcome: np.ndarray
    # responses
    r_campaign: np.ndarray
    r_cust: np.ndarray
    r_contact: np.ndarray  # index into contacts, -1 when not contacted
    r_day: np.ndarray
    r_type: np.ndarray
    r_acct: np.ndarray  # index into accounts, -1 for an application
    r_amount: np.ndarray  # cents

    def truth(self, cif_no: np.ndarray) -> list[dict[str, Any]]:
        """The manifest's record: per campaign, its list with each member's true take-up probabilities."""
        out = []
        for c in range(len(self.campaign_id)):
            rows = np.flatnonzero(self.l_campaign == c)
            out.append({
                "campaign_id": str(self.campaign_id[c]),
                "has_control": bool(self.l_control[rows].any()),
                "effect_if_reached": dict(zip(SEGMENTS, EFFECT_IF_REACHED.tolist(), strict=True)),
                "base_rate": dict(zip(SEGMENTS, BASE_RATE.tolist(), strict=True)),
                "members": [[str(cif_no[self.l_cust[i]]), "C" if self.l_control[i] else "T",
                             SEGMENTS[self.l_segment[i]],
                             round(float(self.l_p_control[i]), 6), round(float(self.l_p_target[i]), 6),
                             round(float(self.l_amount[i]), 2)] for i in rows],
            })
        return out


def segment_of(wealth: np.ndarray) -> np.ndarray:
    return np.searchsorted(SEGMENT_FLOORS, wealth, side="right") - 1


def expected_amount(wealth: np.ndarray) -> np.ndarray:
    """E[amount | taken], CNY: the mean of the amount rule over the uniform share (before rounding to 1,000)."""
    grid = np.linspace(AMOUNT_SHARE[0], AMOUNT_SHARE[1], 201)
    return np.maximum(np.asarray(wealth)[:, None] * grid[None, :], AMOUNT_FLOOR).mean(axis=1)


def run_campaigns(rng: np.random.Generator, cal: Calendar, customers: Customers, accounts: Accounts,
                  branches: Branches, rates: Rates, churn_day: np.ndarray) -> Marketing:
    """Plan the horizon's campaigns, draw lists, contacts and responses, and open the takers' accounts (appended to
    ``accounts``)."""
    n = len(customers)
    segment = segment_of(customers.wealth)
    p0_all = BASE_RATE[segment]
    tau_all = EFFECT_IF_REACHED[segment]
    amount_all = expected_amount(customers.wealth)
    camp: dict[str, list[Any]] = {k: [] for k in ("id", "name", "objective", "family", "product", "channel", "start",
                                                  "end", "list", "cost")}
    lst: dict[str, list[np.ndarray]] = {k: [] for k in ("c", "cust", "control", "seg", "p0", "p1", "amt")}
    con: dict[str, list[np.ndarray]] = {k: [] for k in ("c", "cust", "ch", "day", "out")}
    rsp: dict[str, list[np.ndarray]] = {k: [] for k in ("c", "cust", "day", "type", "amt")}
    for year in range(cal.days // 365 + 1):
        for offset, plan in CALENDAR:
            start = year * 365 + offset
            list_day = start - 3
            if list_day >= cal.days:
                continue
            end = start + plan.days - 1
            c = len(camp["id"])
            year_no = cal.date_of(min(start, cal.days - 1)).year if start < cal.days else cal.date_of(list_day).year
            camp["id"].append(f"MKT{year_no}{c + 1:03d}")
            camp["name"].append(f"{year_no}年{plan.name}")
            camp["objective"].append(plan.objective)
            camp["family"].append(plan.family)
            camp["product"].append(PRODUCT_INDEX[plan.product])
            camp["channel"].append(plan.channel)
            camp["start"].append(start)
            camp["end"].append(end)
            camp["list"].append(list_day)
            # eligible: personal customers of the bank when the list is drawn and not leaving before it ends
            eligible = ~customers.corporate & (customers.open_day < list_day) & (churn_day > end + RESPONSE_LAG_DAYS)
            pool = np.flatnonzero(eligible & (rng.random(n) < plan.list_share))
            # a customer about to leave the bank (within the horizon) takes nothing new, campaign or not
            stays = churn_day[pool] >= cal.days
            control = rng.random(len(pool)) < plan.control_share
            channels = [CHANNELS.index("SMS"), CHANNELS.index("PUSH")] if plan.channel == "MIX" \
                else [CHANNELS.index(plan.channel)]
            reach_p = 1.0 - np.prod([1.0 - REACH[ch] for ch in channels])
            p0 = np.where(stays, p0_all[pool], 0.0)
            tau = np.where(stays, tau_all[pool], 0.0)
            p1 = p0 + reach_p * tau
            lst["c"].append(np.full(len(pool), c))
            lst["cust"].append(pool)
            lst["control"].append(control)
            lst["seg"].append(segment[pool])
            lst["p0"].append(p0)
            lst["p1"].append(np.where(control, p0, p1))
            lst["amt"].append(amount_all[pool])
            # contacts of the target group, one per channel, on a day of the campaign
            targets = pool[~control]
            first_reached = np.full(len(targets), NO_DAY)
            cost = LIST_COST * len(pool)  # design, data and agency, by the list's size, cents
            for ch in channels:
                day = start + rng.integers(0, plan.days, len(targets))
                late = rng.random(len(targets)) < LATE_CONTACT
                day = np.where(late, end + 1 + rng.integers(0, 5, len(targets)), day)
                reached = rng.random(len(targets)) < REACH[ch]
                interest = rng.random(len(targets))
                outcome = np.where(~reached, "F", np.where(interest < 0.3, "I", np.where(interest < 0.5, "R", "S")))
                keep = day < cal.days
                con["c"].append(np.full(int(keep.sum()), c))
                con["cust"].append(targets[keep])
                con["ch"].append(np.full(int(keep.sum()), ch))
                con["day"].append(day[keep])
                con["out"].append(outcome[keep].astype(STR))
                first_reached = np.where(reached, np.minimum(first_reached, day), first_reached)
                cost += int(CHANNEL_COST[ch]) * len(targets)
            camp["cost"].append(cost)
            # a branch contacts a few control customers by mistake
            wrong = pool[control][rng.random(int(control.sum())) < CONTROL_CONTACTED]
            wrong_day = start + rng.integers(0, plan.days, len(wrong))
            ok = wrong_day < cal.days
            con["c"].append(np.full(int(ok.sum()), c))
            con["cust"].append(wrong[ok])
            con["ch"].append(np.full(int(ok.sum()), CHANNELS.index("BRANCH")))
            con["day"].append(wrong_day[ok])
            con["out"].append(np.full(int(ok.sum()), "S", dtype=STR))
            # responses: the organic take-up by everyone listed (any day of the campaign), the effect on the reached
            organic = rng.random(len(pool)) < p0
            organic_day = start + rng.integers(0, plan.days + RESPONSE_LAG_DAYS, len(pool))
            reached_all = np.full(len(pool), NO_DAY)
            reached_all[~control] = first_reached
            caused = (reached_all != NO_DAY) & ~organic & (rng.random(len(pool)) < tau / (1 - p0))
            caused_day = np.where(reached_all != NO_DAY, reached_all, 0) + rng.integers(0, RESPONSE_LAG_DAYS,
                                                                                       len(pool))
            taker = organic | caused
            day = np.where(organic, organic_day, caused_day)
            share = rng.uniform(*AMOUNT_SHARE, len(pool))
            amount = np.maximum(customers.wealth[pool] * share, AMOUNT_FLOOR)
            amount_cents = (np.round(amount / 1000) * 1000 * 100).astype(np.int64)
            takers = np.flatnonzero(taker & (day < cal.days))
            apply_first = rng.random(len(takers)) < APPLY_FIRST
            apply_day = np.maximum(day[takers] - rng.integers(1, 4, len(takers)), start)
            appliers = takers[apply_first]
            # applications that never complete, among the reached targets
            only = np.flatnonzero((reached_all != NO_DAY) & ~taker & stays & (rng.random(len(pool)) < APPLY_ONLY))
            only_day = np.where(reached_all[only] != NO_DAY, reached_all[only], 0) + rng.integers(0, 5, len(only))
            only = only[only_day < cal.days]
            only_day = only_day[only_day < cal.days]
            for who, when, kind, amt in ((takers, day[takers], "T", amount_cents[takers]),
                                         (appliers, apply_day[apply_first], "A", np.zeros(len(appliers), np.int64)),
                                         (only, only_day, "A", np.zeros(len(only), np.int64))):
                rsp["c"].append(np.full(len(who), c))
                rsp["cust"].append(pool[who])
                rsp["day"].append(when)
                rsp["type"].append(np.full(len(who), kind, dtype=STR))
                rsp["amt"].append(amt)
    return _assemble(rng, cal, customers, accounts, branches, rates, camp, lst, con, rsp)


def _cat(parts: list[np.ndarray], dtype: Any = np.int64) -> np.ndarray:
    return np.concatenate(parts) if parts else np.array([], dtype=dtype)


def _assemble(rng: np.random.Generator, cal: Calendar, customers: Customers, accounts: Accounts,
              branches: Branches, rates: Rates, camp: dict[str, list[Any]], lst: dict[str, list[np.ndarray]],
              con: dict[str, list[np.ndarray]],
              rsp: dict[str, list[np.ndarray]]) -> Marketing:
    k_campaign, k_cust, k_day = _cat(con["c"]), _cat(con["cust"]), _cat(con["day"])
    r_campaign, r_cust, r_day = _cat(rsp["c"]), _cat(rsp["cust"]), _cat(rsp["day"])
    r_type = _cat(rsp["type"], STR)
    r_amount = _cat(rsp["amt"])
    # a response answers the customer's latest reached contact of the campaign on or before its day (a contact whose
    # outcome was not reached is never responded to); none: the take-up is not attributed to a contact
    k_out = _cat(con["out"], STR)
    reached = np.flatnonzero(k_out != "F")
    order = reached[np.lexsort((k_day[reached], k_cust[reached], k_campaign[reached]))]
    key_k = (k_campaign[order] * (len(customers) + 1) + k_cust[order]) * (cal.days + 64) + k_day[order]
    key_r = (r_campaign * (len(customers) + 1) + r_cust) * (cal.days + 64) + r_day
    pos = np.searchsorted(key_k, key_r, side="right") - 1
    ok = pos >= 0
    safe = np.maximum(pos, 0)
    same = ok & (k_campaign[order][safe] == r_campaign) & (k_cust[order][safe] == r_cust)
    r_contact = np.where(same, order[safe], -1)
    # the takers' accounts, opened in core on the response day
    takes = np.flatnonzero(r_type == "T")
    product = np.asarray(camp["product"], dtype=np.int64)[r_campaign[takes]]
    r_acct = np.full(len(r_campaign), -1, dtype=np.int64)
    r_acct[takes] = open_accounts(rng, cal, customers, accounts, branches, rates, r_cust[takes], product, r_day[takes],
                                  r_amount[takes])
    return Marketing(
        campaign_id=text(camp["id"]), name=text(camp["name"]), objective=text(camp["objective"]),
        family=text(camp["family"]), product=np.asarray(camp["product"], dtype=np.int64),
        channel=text(camp["channel"]), start_day=np.asarray(camp["start"], dtype=np.int64),
        end_day=np.asarray(camp["end"], dtype=np.int64), list_day=np.asarray(camp["list"], dtype=np.int64),
        cost=np.asarray(camp["cost"], dtype=np.int64),
        l_campaign=_cat(lst["c"]), l_cust=_cat(lst["cust"]), l_control=_cat(lst["control"], bool),
        l_segment=_cat(lst["seg"]), l_p_control=_cat(lst["p0"], float), l_p_target=_cat(lst["p1"], float),
        l_amount=_cat(lst["amt"], float),
        k_campaign=k_campaign, k_cust=k_cust, k_channel=_cat(con["ch"]), k_day=k_day, k_outcome=k_out,
        r_campaign=r_campaign, r_cust=r_cust, r_contact=r_contact, r_day=r_day, r_type=r_type, r_acct=r_acct,
        r_amount=r_amount,
    )


def open_accounts(rng: np.random.Generator, cal: Calendar, customers: Customers, accounts: Accounts,
                  branches: Branches, rates: Rates, cust: np.ndarray, product: np.ndarray, day: np.ndarray,
                  principal: np.ndarray) -> np.ndarray:
    """Append term accounts (CNY, at the customer's home outlet, list rate of the day) to ``accounts``; returns their
    indexes."""
    k = len(cust)
    first = len(accounts)
    rate = np.zeros(k, dtype=np.int64)
    for p in np.unique(product):
        rows = product == p
        rate[rows] = product_base_rate(int(p), day[rows], rates)
    rate = (np.round(rate / 100) * 100).astype(np.int64)
    maturity = cal.day_index(add_months(cal.to_dates64(day), TERM[product]))
    new = Accounts(
        cust=cust.astype(np.int64), product=product, currency=np.zeros(k, dtype=np.int64),
        branch=customers.home_branch[cust], open_day=day.astype(np.int64), maturity_day=maturity.astype(np.int64),
        close_day=np.full(k, NO_DAY), rate=rate, floating=np.zeros(k, dtype=bool),
        repricing_months=np.zeros(k, dtype=np.int64), target=principal / 100.0, principal=principal.astype(np.int64),
        debit_card=np.zeros(k, dtype=bool), first_update_day=day.astype(np.int64),
    )
    new.account_no = account_numbers(rng, branches, new, serial_base=1_900_000_000)
    for name in ("cust", "product", "currency", "branch", "open_day", "maturity_day", "close_day", "rate", "floating",
                 "repricing_months", "target", "principal", "debit_card", "first_update_day", "account_no"):
        setattr(accounts, name, np.concatenate([getattr(accounts, name), getattr(new, name)]))
    return np.arange(first, first + k)


__all__ = ["CALENDAR", "CHANNELS", "SEGMENTS", "Marketing", "expected_amount", "run_campaigns", "segment_of"]

