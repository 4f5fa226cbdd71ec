"""Figures for planners: functions that return matplotlib Figures (never ``plt.show()``).

They use ``matplotlib.figure.Figure`` directly, so they work headless, in notebooks, in the
web app and in worker processes without touching pyplot's global state.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from .experiment import Replications, SweepResult
from .scenario import EXITS

__all__ = ["waits_figure", "series_figure", "outcomes_figure", "capacity_figure",
           "warmup_figure", "comparison_figure"]

WAIT_KPIS = ("assessment_wait_days", "team_wait_days", "ips_wait_days", "time_to_first_job_days")
_LABELS = {
    "en": {"assessment_wait_days": "Assessment wait", "team_wait_days": "Team decision wait",
           "ips_wait_days": "IPS coaching wait", "time_to_first_job_days": "Coaching to first job",
           "days": "days", "mean": "mean", "p90": "90th percentile", "week": "day of run",
           "clients": "clients", "waits": "Waits with 95 % confidence intervals",
           "ips_waiting": "IPS waiting list", "ips_caseload": "On coaches' caseloads",
           "ips_in_work": "In work (follow-along)", "assessment_waiting": "Waiting for assessment",
           "team_waiting": "Waiting for the team", "stepwise_in_service": "In stepwise work activity",
           "cap": "caseload cap", "outcomes": "Outcomes of referred clients by pathway",
           "share": "share of clients", "target": "target", "floor": "offered-load floor",
           "employed": "employed", "education": "education", "pension": "pension",
           "dropout": "drop-out", "other": "other", "in_service": "still in service",
           "ips": "IPS", "stepwise": "stepwise", "vocational": "vocational rehab.",
           "within365": "In work within a year of starting (95 % CI)",
           "welch": "Welch moving average", "raw": "mean of replications",
           "cut": "MSER-5 cut-off"},
    "fi": {"assessment_wait_days": "Odotus arvioon", "team_wait_days": "Odotus tiimin päätökseen",
           "ips_wait_days": "Odotus työhönvalmennukseen",
           "time_to_first_job_days": "Valmennuksesta ensimmäiseen työhön",
           "days": "päivää", "mean": "keskiarvo", "p90": "90. persentiili", "week": "simuloinnin päivä",
           "clients": "asiakasta", "waits": "Odotusajat ja 95 %:n luottamusvälit",
           "ips_waiting": "Työhönvalmennuksen jono", "ips_caseload": "Valmentajien asiakkaina",
           "ips_in_work": "Työssä (seurantatuki)", "assessment_waiting": "Odottaa arviota",
           "team_waiting": "Odottaa tiimiä", "stepwise_in_service": "Kuntouttavassa työtoiminnassa",
           "cap": "asiakasmäärän katto", "outcomes": "Ohjattujen asiakkaiden tulokset",
           "share": "osuus asiakkaista", "target": "tavoite", "floor": "kuormitusraja",
           "employed": "työllistyi", "education": "koulutus", "pension": "eläke",
           "dropout": "keskeytti", "other": "muu", "in_service": "yhä palvelussa",
           "ips": "IPS", "stepwise": "porrasmalli", "vocational": "ammatillinen kuntoutus",
           "within365": "Työssä vuoden kuluessa aloituksesta (95 %:n lv.)",
           "welch": "Welchin liukuva keskiarvo", "raw": "toistojen keskiarvo",
           "cut": "MSER-5-katkaisu"},
}


def _lab(lang: str) -> dict[str, str]:
    if lang not in _LABELS:
        raise ValueError(f"lang: {lang!r} is not supported; use 'en' or 'fi'.")
    return _LABELS[lang]


def _err(ci) -> list[float]:
    """Error-bar lengths; waits and shares cannot be negative, so the bar stops at 0."""
    low = max(ci.low, 0.0) if np.isfinite(ci.low) else ci.mean
    return [max(ci.mean - low, 0.0) if np.isfinite(ci.mean) else 0.0,
            max(ci.high - ci.mean, 0.0) if np.isfinite(ci.high) else 0.0]


def waits_figure(reps: Replications, lang: str = "en") -> Figure:
    """Mean and 90th-percentile waits per stage with their 95 % CIs."""
    L = _lab(lang)
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(WAIT_KPIS))
    for offset, stat in ((-0.2, "mean"), (0.2, "p90")):
        cis = [reps.ci(f"{k}.{stat}") for k in WAIT_KPIS]
        means = [c.mean if np.isfinite(c.mean) else 0 for c in cis]
        ax.bar(x + offset, means, width=0.4, label=L[stat],
               yerr=np.array([_err(c) for c in cis]).T, capsize=4)
    ax.set_xticks(x, [L[k] for k in WAIT_KPIS], rotation=10)
    ax.set_ylabel(L["days"])
    ax.set_title(f"{reps.scenario.name}: {L['waits']} (n={reps.n})")
    ax.legend()
    return fig


def series_figure(reps: Replications, names: Sequence[str] = ("ips_waiting", "ips_caseload",
                                                                 "ips_in_work"),
                  lang: str = "en") -> Figure:
    """Weekly levels over the run: mean across replications with a 5–95 % band."""
    L = _lab(lang)
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for name in names:
        days, values = reps.series(name)
        line, = ax.plot(days, values.mean(axis=0), label=L.get(name, name))
        if values.shape[0] > 1:
            lo, hi = np.percentile(values, [5, 95], axis=0)
            ax.fill_between(days, lo, hi, alpha=0.2, color=line.get_color())
    if "ips_caseload" in names and reps.scenario.ips.slots:
        ax.axhline(reps.scenario.ips.slots, color="grey", ls="--", lw=1, label=L["cap"])
    ax.set_xlabel(L["week"])
    ax.set_ylabel(L["clients"])
    ax.set_title(reps.scenario.name)
    ax.legend(loc="upper left")
    return fig


def outcomes_figure(reps: Replications, lang: str = "en") -> Figure:
    """Left: exits of referred clients; right: employment within a year, IPS vs stepwise."""
    L = _lab(lang)
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    kinds = EXITS + ("in_service",)
    means = [reps.ci(f"exit_{k}").mean for k in kinds]
    total = sum(m for m in means if np.isfinite(m)) or 1.0
    ax1.barh([L[k] for k in kinds], [m / total for m in means])
    ax1.set_xlabel(L["share"])
    ax1.set_title(L["outcomes"])
    paths = ("ips", "stepwise", "vocational")
    cis = [reps.ci(f"{p}_employed_within_365d_share") for p in paths]
    ax2.barh([L[p] for p in paths], [c.mean if np.isfinite(c.mean) else 0 for c in cis],
             xerr=np.array([_err(c) for c in cis]).T, capsize=5, color=["C2", "C1", "C0"])
    ax2.set_xlim(0, 1)
    ax2.set_xlabel(L["share"])
    ax2.set_title(L["within365"], fontsize=10)
    return fig


def capacity_figure(result: SweepResult, kpi: str | None = None, lang: str = "en") -> Figure:
    """A KPI against the varied staffing with CIs, the target line and the load floor."""
    L = _lab(lang)
    if len(result.parameters) != 1:
        raise ValueError("capacity_figure draws one varied parameter; this sweep has "
                         f"{len(result.parameters)}.")
    param = result.parameters[0]
    kpi = kpi or (result.target.kpi if result.target else "ips_wait_days.p90")
    xs = [p[param] for p in result.points]
    cis = [r.ci(kpi) for r in result.results]
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.errorbar(xs, [c.mean for c in cis], yerr=np.array([_err(c) for c in cis]).T,
                marker="o", capsize=4, label=kpi)
    if result.target is not None and result.target.kpi == kpi:
        ax.axhline(result.target.value, color="C3", ls="--", label=f"{L['target']} {result.target}")
        best = result.best()
        if best is not None:
            ax.axvline(best[param], color="C2", ls=":", label=f"{param} = {best[param]:g}")
    if param in result.offered_load:
        floor = result.offered_load[param]
        left = min(min(xs), floor) - 1
        ax.axvspan(left, floor, color="grey", alpha=0.15, label=f"{L['floor']} ({floor:.1f})")
        ax.set_xlim(left, max(xs) + 1)
    ax.set_xlabel(param)
    ax.set_ylabel(kpi)
    ax.set_ylim(bottom=0)
    ax.legend()
    return fig


def comparison_figure(rows: list[dict], kpi: str, lang: str = "en") -> Figure:
    """Paired differences (alternative − base) with 95 % CIs for one KPI."""
    _lab(lang)
    rows = [r for r in rows if r["metric"] == kpi]
    fig = Figure(figsize=(7, 0.6 + 0.6 * max(len(rows), 1)), layout="constrained")
    ax = fig.add_subplot()
    names = [r["scenario"] for r in rows]
    diffs = [r["difference"] for r in rows]
    err = np.array([[max(r["difference"] - r["ci95_low"], 0), max(r["ci95_high"] - r["difference"], 0)]
                    for r in rows]).T if rows else None
    ax.errorbar(diffs, names, xerr=err, fmt="o", capsize=4)
    ax.axvline(0, color="grey", lw=1)
    ax.set_xlabel(f"Δ {kpi}")
    return fig


def warmup_figure(analysis: dict, lang: str = "en") -> Figure:
    """Welch's plot with the MSER-5 cut-off marked."""
    L = _lab(lang)
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.add_subplot()
    days = analysis["days"]
    ax.plot(days, analysis["mean"], alpha=0.4, label=L["raw"])
    ax.plot(days[: len(analysis["welch"])], analysis["welch"],
            label=f"{L['welch']} (w={analysis['window']})")
    ax.axvline(analysis["suggested_warmup_days"], color="C3", ls="--", label=L["cut"])
    ax.set_xlabel(L["week"])
    ax.set_ylabel(L.get(analysis["series"], analysis["series"]))
    ax.legend()
    return fig
