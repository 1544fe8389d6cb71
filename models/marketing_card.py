"""The marketing models' card (``docs/models-marketing.md``), written by ``crmwh train`` from what the run measured:
the next-best-product propensity beside the most-popular baseline, and the behavioural segments with their profiles
and stability."""

from __future__ import annotations

from pathlib import Path

from models.propensity import BASELINE, PropensityReport
from models.propensity_reasons import DRIVER_TEXT
from models.segments import SegmentReport
from models.targeting_backtest import BacktestReport, render_backtest


def _f(value: float | None, fmt: str = ".3f") -> str:
    return "—" if value is None else format(value, fmt)


def render_propensity(report: PropensityReport) -> list[str]:
    a = report.artifact
    split = a.meta["split"]
    lines = [
        "## Next-best-product propensity (下一个最佳产品)",
        "",
        f"- **Model version** `{a.version}` (hash of the training data, then of the code, the churn and propensity dbt "
        f"models and the parameter seeds); trained at {a.trained_at}.",
        f"- **Task**: will a personal customer open an account or card of a product family within "
        f"{a.meta['label_horizon_months']} months of month end T? Families: seed "
        "`dbt_project/seeds/parameters/product_families.csv` (product categories → family); labels "
        "`int_nbp_labels_monthly` (parameter `nbp_horizon_months`).",
        f"- **Features**: point-in-time as of T: the churn features (`int_churn_features_monthly`), the balance mix "
        f"and age, and the holdings of every family at T (`int_product_family_holdings_monthly`); {len(a.features)} "
        "in all.",
        "- **Model**: one LightGBM classifier per family (stopped early on the calibration month), isotonic "
        f"calibration on that month; a family with fewer than {a.meta['min_openers']} openers in the training or "
        "validation months (parameter `nbp_min_openers`) is not modelled and scored by the baseline's rate.",
        f"- **Baseline** {BASELINE}: the family's opening rate in the training months within the customer's AUM tier "
        "(seed `aum_tiers`).",
        f"- **Time-based split**: train {', '.join(split['train'])}; calibrate {', '.join(split['calibrate'])}; "
        f"validate {', '.join(split['validate'])}.",
        "",
        "### Validation months, per family: the model beside the most-popular baseline",
        "",
        "| family | openers train / calibrate / validate | AUC model | AUC baseline | top-decile lift model | "
        "top-decile lift baseline | AUC model, non-holders | AUC baseline, non-holders |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in report.families:
        o = e.openers
        lines.append(f"| {e.name_zh} {e.family} | {o['train']:,} / {o['calibrate']:,} / {o['validate']:,} | "
                     f"{_f(e.model_auc)} | {_f(e.baseline_auc)} | {_f(e.model_lift, '.2f')} | "
                     f"{_f(e.baseline_lift, '.2f')} | {_f(e.model_auc_not_held)} | {_f(e.baseline_auc_not_held)} |")
    skipped = [e for e in report.families if not e.modelled]
    lines += ["", "AUC over every customer of the validation months (holders of the family included: a holder may "
              "open another), and over those not holding it at T, whom a target list offers it to. Lift: the opener "
              "rate in the tenth scored highest over the overall rate."]
    if skipped:
        lines += ["", "Not modelled (scored by the popularity rate): "
                  + "; ".join(f"{e.name_zh} {e.family}: {e.note}" for e in skipped) + "."]
    t = report.top1
    lines += ["", "### The recommended product", "",
              f"Of the {int(t.get('customers', 0)):,} validation customer-months that opened a family they did not "
              "hold, the share whose recommended family (the best-scored one not held) was one they opened: model "
              f"{t.get('model', 0.0):.1%}, most popular {t.get('baseline', 0.0):.1%}.", "",
              "### Reasons given to RMs (top three drivers of each propensity)", "",
              "How often each driver is among the top three reasons of a validation-month opener:", "",
              "| family | driver | reason shown | openers |", "|---|---|---|---:|"]
    for fam, counts in report.driver_counts.items():
        for d, n in sorted(counts.items(), key=lambda kv: -kv[1])[:5]:
            lines.append(f"| {fam} | {d} | {DRIVER_TEXT[d]} | {n:,} |")
    return lines


def render_segments(report: SegmentReport) -> list[str]:
    a = report.artifact
    k = len(a.centroids)
    lines = [
        "## Behavioural segmentation (客户行为分群)",
        "",
        f"- **Model version** `{a.version}`; trained at {a.trained_at} on {', '.join(a.meta['train_months'])} "
        f"({a.meta['training_rows']:,} customer-months).",
        f"- **Method**: k-means on {len(a.features)} standardised behavioural features ({', '.join(a.features)}): "
        "money as signed logarithms, shares, counts. Scaling and centroids are fixed at training and carried "
        "forward: each month's customers are assigned to the nearest centroid.",
        f"- **Number of segments**: {k}, the count with the best silhouette (on a sample of the training rows) "
        "between parameters `segment_min_clusters` and `segment_max_clusters`:",
        "",
        "| segments | silhouette |",
        "|---:|---:|",
    ]
    for n, s in sorted(report.silhouettes.items()):
        lines.append(f"| {n}{' (chosen)' if n == k else ''} | {s:.3f} |")
    lines += ["", "### Segments (training months)", "", "| no | name | profile |", "|---:|---|---|"]
    for p in a.profiles:
        lines.append(f"| {p['segment_no']} | {p['name']} | {p['description']} |")
    lines += ["", "Names come from the two traits in which the segment's centroid stands furthest (at least "
              "0.4 standard deviations) from the average customer.", "",
              "### Stability month to month", "",
              "| month | customers in both months | kept their segment | adjusted Rand index |",
              "|---|---:|---:|---:|"]
    for r in report.stability:
        lines.append(f"| {r['previous_month']} → {r['month']} | {r['customers']:,} | {r['share_kept']:.1%} | "
                     f"{r['adjusted_rand_index']:.3f} |")
    return lines


def render(propensity: PropensityReport | None, segments: SegmentReport | None,
           backtest: BacktestReport | None = None) -> str:
    lines = ["# Model card: marketing models (营销模型)", "",
             "Generated by `crmwh train` from the run that produced the models; do not edit by hand. The churn model's "
             "card is [models.md](models.md).", ""]
    if propensity is not None:
        lines += [*render_propensity(propensity), ""]
    if segments is not None:
        lines += [*render_segments(segments), ""]
    if backtest is not None:
        lines += [*render_backtest(backtest), ""]
    lines += ["## Limits", "",
              "- Personal customers only; families and labels count accounts and cards opened, not amounts.",
              "- On the synthetic bank, credit cards are opened only by customers in their first months (the "
              "generator's rule), so that model ranks almost perfectly on tenure; a real bank's openers are less "
              "predictable. Wealth products are also taken in the bank's campaigns, which the labels count as "
              "openings like any other.",
              "- The targeting backtest needs the campaigns' true effects, which only the synthetic bank knows (its "
              "manifest, `crmwh train --campaign-truth`); "
              + ("measured above." if backtest is not None else "not measured in this run."), ""]
    return "\n".join(lines)


def write_marketing_card(propensity: PropensityReport | None, segments: SegmentReport | None, path: Path,
                         backtest: BacktestReport | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(propensity, segments, backtest), encoding="utf-8")
    return path
