"""Figures for planners: functions that return matplotlib Figures (never ``plt.show()``).

They use ``matplotlib.figure.Figure`` directly, so they work headless, in notebooks, in the
web app and in worker processes without touching pyplot's global state.

Every word on a figure is English or Finnish (``lang``), from ``sim/data/strings/plots.yaml``
through :func:`sim.learning.text.t`: measures and settings are named in words
(:func:`kpi_label`, :func:`setting_label`), never by their code, and numbers are written in
the language's style (:func:`sim.learning.text.number`, :func:`~sim.learning.text.percent`).
Each figure's label (``fig.get_label()``) is a sentence saying what it shows: the alt text
for wherever the picture is shown.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .experiment import Replications, SweepResult
from .learning.text import UnknownKeyError, amount, check_language, number, percent, t
from .results import KPIS, kpi_unit
from .scenario import EXITS, PATHWAYS
from .stats import mmc_wait

__all__ = ["waits_figure", "series_figure", "outcomes_figure", "capacity_figure",
           "warmup_figure", "comparison_figure", "utilisation_figure", "kpi_label",
           "setting_label", "amount", "pathway_flows", "flow_figure", "flow_node_label",
           "referral_fit_figure", "duration_fit_figure", "staffing_curves_figure"]

WAIT_KPIS = ("assessment_wait_days", "team_wait_days", "ips_wait_days", "time_to_first_job_days")
_TARGET_WORDS = {"<=": "at_most", "<": "below", ">=": "at_least", ">": "above"}


# --- words and numbers --------------------------------------------------------------------

def kpi_label(metric: str, lang: str = "en") -> str:
    """A KPI's name in words: ``ips_wait_days.p90`` → "Wait for IPS coaching, 90th percentile".

    The name of the KPI (``kpi.<name>``) with its statistic (``.mean``, ``.p90``, ``.n``) or
    the team's first pathway (``exit_employed.ips``); a code that is not a KPI comes back as
    it is.
    """
    check_language(lang)
    base, _, part = metric.partition(".")
    if base not in KPIS:
        return metric
    label = t(f"kpi.{base}", lang)
    if not part:
        return label
    try:
        if part in PATHWAYS:
            return t("kpi.by_pathway", lang, kpi=label, pathway=t(f"plot.pathway.{part}", lang))
        return t(f"kpi.stat.{part}", lang, kpi=label)
    except UnknownKeyError:
        return metric


def setting_label(path: str, lang: str = "en") -> str:
    """A scenario setting's name in words (``ips.coaches`` → "Job coaches (FTE)"); a setting
    without one comes back as the dotted name the user gave."""
    check_language(lang)
    try:
        return t(f"plot.setting.{path}", lang)
    except UnknownKeyError:
        return path


def _numbers_on(axis: Axis, lang: str, share: bool = False) -> None:
    """Tick labels in *lang*'s style; shares as percentages."""
    if share:
        axis.set_major_formatter(FuncFormatter(lambda value, _: percent(value, lang)))
    else:
        axis.set_major_formatter(FuncFormatter(lambda value, _: amount(value, lang)))


def _with_unit(metric: str, lang: str) -> str:
    """An axis title: the KPI's name with its unit (shares show % on the ticks instead)."""
    unit = kpi_unit(metric)
    label = kpi_label(metric, lang)
    return f"{label} ({t(f'plot.{unit}', lang)})" if unit in ("days", "clients") else label


def _err(ci) -> list[float]:
    """Error-bar lengths; waits and shares cannot be negative, so the bar stops at 0."""
    low = max(ci.low, 0.0) if np.isfinite(ci.low) else ci.mean
    return [max(ci.mean - low, 0.0) if np.isfinite(ci.mean) else 0.0,
            max(ci.high - ci.mean, 0.0) if np.isfinite(ci.high) else 0.0]


# --- figures of one scenario's replications ---------------------------------------------------

def waits_figure(reps: Replications, lang: str = "en") -> Figure:
    """Mean and 90th-percentile waits per stage with their 95 % CIs."""
    check_language(lang)
    name = reps.scenario.name
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(WAIT_KPIS))
    for offset, stat in ((-0.2, "mean"), (0.2, "p90")):
        cis = [reps.ci(f"{k}.{stat}") for k in WAIT_KPIS]
        means = [c.mean if np.isfinite(c.mean) else 0 for c in cis]
        ax.bar(x + offset, means, width=0.4, label=t(f"plot.{stat}", lang),
               yerr=np.array([_err(c) for c in cis]).T, capsize=4)
    ax.set_xticks(x, [kpi_label(k, lang) for k in WAIT_KPIS], rotation=10)
    ax.set_ylabel(t("plot.days", lang))
    _numbers_on(ax.yaxis, lang)
    ax.set_title(t("plot.waits_title", lang, name=name, n=reps.n))
    ax.legend()
    fig.set_label(t("plot.alt.waits", lang, name=name, n=reps.n))
    return fig


def series_figure(reps: Replications, names: Sequence[str] = ("ips_waiting", "ips_caseload",
                                                                 "ips_in_work"),
                  lang: str = "en") -> Figure:
    """Weekly levels over the run: mean across replications with a 5–95 % band."""
    check_language(lang)
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.add_subplot()
    labels = [t(f"plot.series.{name}", lang) for name in names]
    for name, label in zip(names, labels, strict=True):
        days, values = reps.series(name)
        line, = ax.plot(days, values.mean(axis=0), label=label)
        if values.shape[0] > 1:
            lo, hi = np.percentile(values, [5, 95], axis=0)
            ax.fill_between(days, lo, hi, alpha=0.2, color=line.get_color())
    alt = [t("plot.alt.series", lang, name=reps.scenario.name, series="; ".join(labels))]
    if "ips_caseload" in names and reps.scenario.ips.slots:
        ax.axhline(reps.scenario.ips.slots, color="grey", ls="--", lw=1, label=t("plot.cap", lang))
        alt.append(t("plot.alt.cap", lang, places=amount(reps.scenario.ips.slots, lang)))
    ax.set_xlabel(t("plot.day_of_run", lang))
    ax.set_ylabel(t("plot.clients", lang))
    _numbers_on(ax.xaxis, lang)
    _numbers_on(ax.yaxis, lang)
    ax.set_title(reps.scenario.name)
    ax.legend(loc="upper left")
    fig.set_label(" ".join(alt))
    return fig


def outcomes_figure(reps: Replications, lang: str = "en") -> Figure:
    """Left: exits of referred clients; right: employment within a year, IPS vs stepwise."""
    check_language(lang)
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    kinds = EXITS + ("in_service",)
    means = [reps.ci(f"exit_{k}").mean for k in kinds]
    total = sum(m for m in means if np.isfinite(m)) or 1.0
    ax1.barh([t(f"plot.exit.{k}", lang) for k in kinds], [m / total for m in means])
    ax1.set_title(t("plot.outcomes", lang))
    paths = ("ips", "stepwise", "vocational")
    cis = [reps.ci(f"{p}_employed_within_365d_share") for p in paths]
    ax2.barh([t(f"plot.pathway.{p}", lang) for p in paths],
             [c.mean if np.isfinite(c.mean) else 0 for c in cis],
             xerr=np.array([_err(c) for c in cis]).T, capsize=5, color=["C2", "C1", "C0"])
    ax2.set_xlim(0, 1)
    ax2.set_title(t("plot.within365", lang), fontsize=10)
    for ax in (ax1, ax2):
        ax.set_xlabel(t("plot.share", lang))
        _numbers_on(ax.xaxis, lang, share=True)
    fig.set_label(t("plot.alt.outcomes", lang, name=reps.scenario.name))
    return fig


# --- figures of sweeps and comparisons ------------------------------------------------------

def capacity_figure(result: SweepResult, kpi: str | None = None, lang: str = "en") -> Figure:
    """A KPI against the varied staffing with CIs, the target line and the load floor."""
    check_language(lang)
    if len(result.parameters) != 1:
        raise ValueError("capacity_figure draws one varied parameter; this sweep has "
                         f"{len(result.parameters)}.")
    param = result.parameters[0]
    kpi = kpi or (result.target.kpi if result.target else "ips_wait_days.p90")
    setting = setting_label(param, lang)
    xs = [p[param] for p in result.points]
    cis = [r.ci(kpi) for r in result.results]
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.errorbar(xs, [c.mean for c in cis], yerr=np.array([_err(c) for c in cis]).T,
                marker="o", capsize=4, label=kpi_label(kpi, lang))
    alt = [t("plot.alt.capacity", lang, kpi=kpi_label(kpi, lang), setting=setting)]
    if result.target is not None and result.target.kpi == kpi:
        target = t(f"plot.target.{_TARGET_WORDS[result.target.op]}", lang,
                   value=amount(result.target.value, lang))
        ax.axhline(result.target.value, color="C3", ls="--", label=target)
        alt.append(t("plot.alt.target", lang, target=target))
        best = result.best()
        if best is not None:
            answer = t("plot.best", lang, value=amount(best[param], lang))
            ax.axvline(best[param], color="C2", ls=":", label=answer)
            alt.append(t("plot.alt.best", lang, best=answer))
        else:
            alt.append(t("plot.alt.none", lang))
    if param in result.offered_load:
        floor = result.offered_load[param]
        left = min(min(xs), floor) - 1
        ax.axvspan(left, floor, color="grey", alpha=0.15,
                   label=t("plot.floor", lang, value=number(floor, lang, 1)))
        ax.set_xlim(left, max(xs) + 1)
        alt.append(t("plot.alt.floor", lang, value=number(floor, lang, 1)))
    ax.set_xlabel(setting)
    ax.set_ylabel(_with_unit(kpi, lang))
    _numbers_on(ax.xaxis, lang)
    _numbers_on(ax.yaxis, lang, share=kpi_unit(kpi) == "share")
    ax.set_ylim(bottom=0)
    ax.legend()
    fig.set_label(" ".join(alt))
    return fig


def staffing_curves_figure(curves: Sequence[tuple[str, Sequence[float], Sequence]], param: str,
                           kpi: str, target=None, lang: str = "en") -> Figure:
    """One small panel per scenario of a study (sim/study.py): ``kpi`` against the staffing
    ``param`` with 95 % CIs (``curves``: (scenario, values, CIs)), and the target line."""
    check_language(lang)
    cols = min(3, max(len(curves), 1))
    rows = max(1, -(-len(curves) // cols))
    fig = Figure(figsize=(3.6 * cols, 2.8 * rows + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    target_words = None
    if target is not None and target.kpi == kpi:
        target_words = t(f"plot.target.{_TARGET_WORDS[target.op]}", lang,
                         value=amount(target.value, lang))
    for ax, (name, xs, cis) in zip(axes.flat, curves):
        ax.errorbar(xs, [c.mean for c in cis], yerr=np.array([_err(c) for c in cis]).T,
                    marker="o", capsize=3)
        if target_words is not None:
            ax.axhline(target.value, color="C3", ls="--", label=target_words)
        ax.set_title(name, fontsize="medium")
        ax.set_xlabel(setting_label(param, lang), fontsize="small")
        ax.set_ylabel(_with_unit(kpi, lang), fontsize="small")
        _numbers_on(ax.xaxis, lang)
        _numbers_on(ax.yaxis, lang, share=kpi_unit(kpi) == "share")
        ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(curves):]:
        ax.set_visible(False)
    if target_words is not None and curves:
        axes.flat[0].legend(fontsize="small")
    alt = [t("plot.alt.study", lang, kpi=kpi_label(kpi, lang), setting=setting_label(param, lang),
             count=len(curves), names=", ".join(name for name, _, _ in curves))]
    if target_words is not None:
        alt.append(t("plot.alt.target", lang, target=target_words))
    fig.set_label(" ".join(alt))
    return fig


def comparison_figure(rows: list[dict], kpi: str, lang: str = "en") -> Figure:
    """Paired differences (alternative − base) with 95 % CIs for one KPI."""
    check_language(lang)
    rows = [r for r in rows if r["metric"] == kpi]
    fig = Figure(figsize=(7, 0.6 + 0.6 * max(len(rows), 1)), layout="constrained")
    ax = fig.add_subplot()
    names = [r["scenario"] for r in rows]
    diffs = [r["difference"] for r in rows]
    err = np.array([[max(r["difference"] - r["ci95_low"], 0), max(r["ci95_high"] - r["difference"], 0)]
                    for r in rows]).T if rows else None
    ax.errorbar(diffs, names, xerr=err, fmt="o", capsize=4)
    ax.axvline(0, color="grey", lw=1)
    ax.set_xlabel(t("plot.difference", lang, kpi=_with_unit(kpi, lang)))
    _numbers_on(ax.xaxis, lang, share=kpi_unit(kpi) == "share")
    fig.set_label(t("plot.alt.comparison", lang, kpi=kpi_label(kpi, lang), names=", ".join(names)))
    return fig


# --- diagnostics and teaching -----------------------------------------------------------------

def warmup_figure(analysis: dict, lang: str = "en") -> Figure:
    """Welch's plot with the MSER-5 cut-off marked."""
    check_language(lang)
    series = t(f"plot.series.{analysis['series']}", lang)
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.add_subplot()
    days = analysis["days"]
    ax.plot(days, analysis["mean"], alpha=0.4, label=t("plot.raw", lang))
    ax.plot(days[: len(analysis["welch"])], analysis["welch"],
            label=t("plot.welch", lang, window=amount(analysis["window"], lang)))
    ax.axvline(analysis["suggested_warmup_days"], color="C3", ls="--", label=t("plot.cut", lang))
    ax.set_xlabel(t("plot.day_of_run", lang))
    ax.set_ylabel(series)
    _numbers_on(ax.xaxis, lang)
    _numbers_on(ax.yaxis, lang)
    ax.legend()
    fig.set_label(t("plot.alt.warmup", lang, series=series,
                    day=number(analysis["suggested_warmup_days"], lang)))
    return fig


def utilisation_figure(servers: int = 5, mean_days: float = 14, lang: str = "en") -> Figure:
    """The mean wait of a simple queue with ``servers`` places (Erlang C) against the share of
    places in use, from 40 % to 98 %: waits grow steeply near full use."""
    check_language(lang)
    shares = [u / 100 for u in range(40, 99)]
    waits = [mmc_wait(u * servers / mean_days, mean_days, servers) for u in shares]
    fig = Figure(figsize=(6.5, 3.3), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(shares, waits)
    points = []
    for u in (0.70, 0.85, 0.95):
        w = mmc_wait(u * servers / mean_days, mean_days, servers)
        days = t("plot.utilisation.point", lang, days=number(w, lang))
        ax.annotate(days, (u, w), textcoords="offset points", xytext=(-60, 8))
        ax.plot([u], [w], "o", color="#dd8452")
        points.append(t("plot.utilisation.at", lang, days=days, share=percent(u, lang)))
    ax.set_xlabel(t("plot.utilisation.x", lang))
    ax.set_ylabel(t("plot.utilisation.y", lang))
    ax.set_title(t("plot.utilisation.title", lang, servers=amount(servers, lang)))
    _numbers_on(ax.xaxis, lang, share=True)
    _numbers_on(ax.yaxis, lang)
    fig.set_label(t("plot.alt.utilisation", lang, servers=amount(servers, lang),
                    days=amount(mean_days, lang), points="; ".join(points)))
    return fig


# --- the pathway with its yearly flows -------------------------------------------------------

_FLOW_DIRECT = ("education", "pension", "other")  # team decisions that end the pathway at once


def pathway_flows(reps: Replications) -> dict:
    """Who goes where, in people a year: referrals → the team's first decision → the situation
    at the end of the run, from the mean exit counts of the replications.

    The counts are of the clients referred in the observed period (after the warm-up), scaled
    to a year (× 365 / observed days). Returns ``{"per_year": factor, "referrals": n,
    "decisions": {node: n}, "outcomes": {exit: n}, "links": [(from, to, n), ...]}``: first the
    links from ``"referred"`` to each first decision (a service pathway, a direct decision or
    ``"before_team"`` for those who left or still waited before the team decided), then from
    each decision to an outcome (``sim.scenario.EXITS`` and ``"in_service"``). Referrals equal
    the sum of the decisions and the sum of the outcomes.
    """
    s = reps.scenario
    days = s.horizon_days - s.warmup_days
    factor = 365.0 / days if days > 0 else float("nan")
    kinds = EXITS + ("in_service",)
    have = reps.runs[0].kpis

    def mean(kpi: str) -> float:
        value = float(np.nanmean(reps.values(kpi))) if kpi in have else 0.0
        return value * factor

    services = [p for p in PATHWAYS if f"exit_employed.{p}" in have]
    rest = {x: mean(f"exit_{x}") - sum(mean(f"exit_{x}.{p}") for p in services) for x in kinds}
    stage1: list[tuple[str, str, float]] = []
    stage2: list[tuple[str, str, float]] = []
    for p in services:
        values = {x: max(mean(f"exit_{x}.{p}"), 0.0) for x in kinds}
        stage1.append(("referred", p, sum(values.values())))
        stage2 += [(p, x, v) for x, v in values.items()]
    for p in (p for p in PATHWAYS if p not in services and p in _FLOW_DIRECT and p in rest):
        value = max(rest.pop(p), 0.0)
        stage1.append(("referred", p, value))
        stage2.append((p, p, value))
    before = {x: max(v, 0.0) for x, v in rest.items()}
    stage1.append(("referred", "before_team", sum(before.values())))
    stage2 += [("before_team", x, v) for x, v in before.items()]
    decisions = {dst: v for _, dst, v in stage1}
    outcomes = {x: sum(v for _, dst, v in stage2 if dst == x) for x in kinds}
    return {"per_year": factor, "referrals": mean("referrals"), "decisions": decisions,
            "outcomes": outcomes, "links": stage1 + stage2}


def _people(value: float, lang: str) -> str:
    """A number of people a year: whole from 10 up, one decimal below."""
    return number(value, lang, 0 if abs(value) >= 10 else 1)


def flow_node_label(node: str, column: int, lang: str = "en") -> str:
    """The words for a node of :func:`pathway_flows` (column 0 referrals, 1 decisions,
    2 outcomes)."""
    if column == 0:
        return t("plot.flow.referred", lang)
    if column == 2:
        return t(f"plot.exit.{node}", lang)
    if node == "before_team":
        return t("plot.flow.before_team", lang)
    try:
        return t(f"plot.pathway.{node}", lang)
    except UnknownKeyError:
        try:
            return t(f"plot.flow.decision.{node}", lang)
        except UnknownKeyError:
            return node.replace("_", " ")


def flow_figure(reps: Replications, lang: str = "en", flows: dict | None = None) -> Figure:
    """A Sankey-style picture of the pathway: yearly referrals, the team's first decision and
    the situation at the end of the run (bands as wide as the number of people)."""
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MplPath

    check_language(lang)
    flows = flows or pathway_flows(reps)
    columns = [{"referred": flows["referrals"]},
               {k: v for k, v in flows["decisions"].items() if v > 0},
               {k: v for k, v in flows["outcomes"].items() if v > 0}]
    total = max(sum(columns[0].values()), 1e-9)
    gap, width, xs = 0.025, 0.035, (0.0, 0.45, 0.9)
    scale = (1 - gap * (max(len(c) for c in columns) - 1)) / total
    nodes: dict[tuple[int, str], list[float]] = {}  # (column, node) -> [bottom, top, out, in]
    for i, column in enumerate(columns):
        height = sum(column.values()) * scale + gap * (len(column) - 1)
        y = 0.5 + height / 2
        for name, value in column.items():
            nodes[(i, name)] = [y - value * scale, y, y, y]  # bands fill from the top down
            y -= value * scale + gap
    colours = {name: f"C{i}" for i, name in enumerate([*PATHWAYS, "before_team"])}
    outcome_colours = {"employed": "#2a9d4b", "education": "#4c72b0", "pension": "#8172b2",
                       "dropout": "#c44e52", "other": "#937860", "in_service": "#8c8c8c"}
    fig = Figure(figsize=(9, 5.6), layout="constrained")
    ax = fig.add_subplot()
    stage_of = {}
    for src, dst, value in flows["links"]:
        stage = 0 if src == "referred" else 1
        a, b = nodes.get((stage, src)), nodes.get((stage + 1, dst))
        if value <= 0 or a is None or b is None:
            continue
        h = value * scale
        x0, x1 = xs[stage] + width, xs[stage + 1]
        xm = (x0 + x1) / 2
        ya, yb = a[2], b[3]
        path = MplPath([(x0, ya), (xm, ya), (xm, yb), (x1, yb), (x1, yb - h), (xm, yb - h),
                        (xm, ya - h), (x0, ya - h), (x0, ya)],
                       [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4,
                        MplPath.LINETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4,
                        MplPath.CLOSEPOLY])
        colour = colours.get(dst, "C7") if stage == 0 else outcome_colours.get(dst, "C7")
        ax.add_patch(PathPatch(path, facecolor=colour, edgecolor="none", alpha=0.4))
        a[2] -= h
        b[3] -= h
        stage_of[dst] = stage
    for (i, name), (bottom, top, _, _) in nodes.items():
        colour = ("#555555" if i == 0 else colours.get(name, "C7") if i == 1
                  else outcome_colours.get(name, "C7"))
        ax.add_patch(Rectangle((xs[i], bottom), width, top - bottom, color=colour))
        text = f"{flow_node_label(name, i, lang)} {_people(columns[i][name], lang)}"
        if i == 0:
            ax.text(xs[i] - 0.01, (bottom + top) / 2, text, ha="right", va="center", fontsize=9)
        else:
            ax.text(xs[i] + width + 0.01, (bottom + top) / 2, text, ha="left", va="center",
                    fontsize=8, bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none",
                                      "pad": 1})
    for i, key in enumerate(("referral", "decision", "outcome")):
        ax.text(xs[i] + width / 2, 1.04, t(f"plot.flow.col.{key}", lang), ha="center",
                va="bottom", fontsize=9, fontweight="bold")
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(-0.02, 1.1)
    ax.axis("off")
    name = reps.scenario.name
    ax.set_title(t("plot.flow.title", lang, name=name))

    def listed(column: int) -> str:
        return "; ".join(f"{flow_node_label(k, column, lang)} {_people(v, lang)}"
                         for k, v in columns[column].items())

    fig.set_label(t("plot.alt.flow", lang, name=name, referrals=_people(flows["referrals"], lang),
                    decisions=listed(1), outcomes=listed(2)))
    return fig


# --- fit from data (sim/fit.py): observed against fitted --------------------------------------

def _p_text(p: float, lang: str) -> str:
    return "< " + number(0.001, lang, 3) if p < 0.001 else number(p, lang, 3)


def referral_fit_figure(fit, lang: str = "en") -> Figure:
    """Referrals per month (all sources) against the fitted monthly level: the yearly rate times
    the month's multiplier (flat when the month effects are not supported). ``fit`` is a
    :class:`sim.fit.ReferralFit`."""
    check_language(lang)
    months = [m for m, _ in fit.monthly]
    observed = [n for _, n in fit.monthly]
    per_day = sum(fit.per_year.values()) / 365
    season = fit.seasonality
    days = [((m.replace(year=m.year + 1, month=1) if m.month == 12 else m.replace(month=m.month + 1))
             - m).days for m in months]
    fitted = [per_day * d * season[m.month - 1] for m, d in zip(months, days, strict=True)]
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(months))
    ax.bar(x, observed, color="C0", alpha=0.6, label=t("plot.fit.observed", lang))
    ax.plot(x, fitted, color="C3", marker="o", ms=3,
            label=t("plot.fit.seasonal" if fit.seasonal else "plot.fit.flat", lang))
    step = max(1, len(months) // 12)
    ax.set_xticks(x[::step], [f"{m.month}/{m.year}" for m in months[::step]], rotation=45,
                  fontsize=8)
    ax.set_xlabel(t("plot.fit.month", lang))
    ax.set_ylabel(t("plot.fit.referrals", lang))
    _numbers_on(ax.yaxis, lang)
    ax.set_title(t("plot.fit.monthly_title", lang))
    ax.legend(loc="upper center", ncols=2)
    verdict = t("plot.fit.supported" if fit.seasonal else "plot.fit.unsupported", lang,
                p=_p_text(fit.p_value, lang))
    fig.set_label(t("plot.alt.fit_referrals", lang, start=f"{months[0].month}/{months[0].year}",
                    end=f"{months[-1].month}/{months[-1].year}", verdict=verdict))
    return fig


def duration_fit_figure(fit, lang: str = "en") -> Figure:
    """Left: a histogram of the ended spells, each weighted by its Kaplan–Meier step so that
    ongoing spells are allowed for, with the chosen distribution's density; right: Kaplan–Meier
    quantiles against the fitted ones. ``fit`` is a :class:`sim.fit.DurationFit`."""
    from .fit import kaplan_meier
    check_language(lang)
    best = fit.best
    km_t, km_f = kaplan_meier(fit.times, fit.observed)
    jumps = np.diff(np.concatenate([[0.0], km_f]))
    top = float(np.quantile(fit.times, 0.99))
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    bins = np.linspace(0, top, 31)
    ax1.hist(km_t, bins=bins, weights=jumps / (bins[1] - bins[0]), color="C0", alpha=0.6,
             label=t("plot.fit.ended", lang))
    grid = np.linspace(top / 300, top, 300)
    name = t(f"plot.dist.{best.dist}", lang)
    ax1.plot(grid, best.frozen.pdf(grid), color="C3", label=t("plot.fit.fitted", lang, dist=name))
    ax1.set_xlabel(t("plot.fit.duration", lang))
    ax1.set_ylabel(t("plot.fit.density", lang))
    ax1.legend()
    _numbers_on(ax1.xaxis, lang)
    inside = (km_f > 0) & (km_f < 0.999)
    fitted_q = best.frozen.ppf(km_f[inside] - jumps[inside] / 2)
    ax2.plot(fitted_q, km_t[inside], "o", ms=3, alpha=0.6)
    lim = float(max(km_t[inside].max(initial=1), fitted_q.max(initial=1)))
    ax2.plot([0, lim], [0, lim], color="grey", ls="--", lw=1)
    ax2.set_xlabel(t("plot.fit.qq_x", lang))
    ax2.set_ylabel(t("plot.fit.qq_y", lang))
    ax2.set_title(t("plot.fit.qq_title", lang), fontsize=10)
    for axis in (ax2.xaxis, ax2.yaxis):
        _numbers_on(axis, lang)
    fig.set_label(t("plot.alt.fit_durations", lang, n=amount(fit.records, lang),
                    censored=amount(fit.censored, lang), dist=name,
                    mean=number(best.mean, lang, 1), cv=number(best.cv, lang, 2)))
    return fig
