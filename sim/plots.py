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
from .learning.text import UnknownKeyError, check_language, number, percent, t
from .results import KPIS, kpi_unit
from .scenario import EXITS, PATHWAYS
from .stats import mmc_wait

__all__ = ["waits_figure", "series_figure", "outcomes_figure", "capacity_figure",
           "warmup_figure", "comparison_figure", "utilisation_figure", "kpi_label",
           "setting_label", "amount"]

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


def amount(value: float, lang: str = "en") -> str:
    """A count or a staffing level in *lang*'s style with only the decimals it needs (at most
    three): ``7``, ``7.5`` / ``7,5``, ``1,200`` / ``1 200``."""
    digits = next((d for d in range(3) if round(value, d) == round(value, 3)), 3)
    return number(value, lang, digits)


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
