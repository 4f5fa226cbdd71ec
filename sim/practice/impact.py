"""Evaluating impact: employment rates from a service's quarterly counts, with honest uncertainty.

A small service sees few people a quarter, so its employment rate moves a lot by chance. This
module turns counts into rates with a confidence interval (Wilson score or exact Clopper–Pearson),
compares them with the IPS Employment Center's quarterly benchmarks (31 % minimum, 41 % average,
50 % excellent, C38) and says plainly when the numbers are too small to judge.

The rule for "too small to judge" is the course team's own: when the interval still contains both
the minimum and the excellent benchmark, the data cannot tell a struggling service from an excellent
one. Trial and Finnish results (:data:`REFERENCES`) measure "ever worked during follow-up", not a
quarter's rate, so they are listed for context and never used as quarterly benchmarks.

The benchmarks, references and every sentence shown are data in ``sim/data/practice/impact.yaml``,
read through :func:`sim.learning.text.load_data`; rates are written with
:func:`sim.learning.text.percent` (``41%`` in English, ``41 %`` in Finnish).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from matplotlib.figure import Figure
from scipy import stats

from sim.learning.text import Bilingual, check_language, load_data, percent

__all__ = [
    "BENCHMARKS", "BENCHMARK_SOURCES", "Benchmark", "BANDS", "ImpactError", "METHODS",
    "PeriodResult", "Proportion", "REFERENCES", "Reference", "band", "band_label",
    "exact_interval", "impact_figure", "judge_period", "judge_periods", "proportion",
    "served_needed", "too_small_to_judge", "verdicts", "wilson_interval",
]

METHODS = ("wilson", "exact")
DATA_FILE = "practice/impact.yaml"
_DATA = load_data(DATA_FILE)


class ImpactError(ValueError):
    """Bad counts or settings; the message names the value and the fix."""


@dataclass(frozen=True)
class Benchmark:
    """A quarterly competitive-employment benchmark for routine IPS practice (C38).

    ``label("fi")`` names it on its own; ``clear`` is its form after "clearly above/below" and
    ``unclear`` its form in "cannot be told apart from" (Finnish needs a different case for each).
    """

    key: str
    rate: float
    label: Bilingual
    clear: Bilingual
    unclear: Bilingual


BENCHMARKS = tuple(Benchmark(**raw) for raw in _DATA["benchmarks"])
BENCHMARK_SOURCES = tuple(_DATA["benchmark_sources"])
_BENCH = {b.key: b for b in BENCHMARKS}

#: Bands of a point estimate against the benchmarks, lowest first.
BANDS: Mapping[str, Bilingual] = MappingProxyType(_DATA["bands"])


@dataclass(frozen=True)
class Reference:
    """A published employment result for context: share who worked, with what follow-up."""

    key: str
    label: Bilingual
    ips: float
    comparison: float | None
    measure: Bilingual
    sources: tuple[str, ...]


REFERENCES = tuple(Reference(**{**raw, "sources": tuple(raw["sources"])}) for raw in _DATA["references"])


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ImpactError(f"{name} must be a whole number of people, 0 or more; got {value!r}")
    return int(value)


def _check(k: object, n: object, level: float, method: str) -> tuple[int, int]:
    k, n = _count(k, "working"), _count(n, "served")
    if n == 0:
        raise ImpactError("served is 0: nobody was on the caseload, so there is no rate to estimate")
    if k > n:
        raise ImpactError(f"working ({k}) is more than served ({n}); count each person once, among "
                          "those served in the same quarter")
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0.5 <= level < 1:
        raise ImpactError(f"level must be a confidence level such as 0.95 (0.5–0.999); got {level!r}")
    if method not in METHODS:
        raise ImpactError(f"method must be one of {METHODS}, got {method!r}")
    return k, n


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes out of n; stays inside 0–1 and works for k = 0 or n."""
    k, n = _check(k, n, level, "wilson")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # At k = 0 or k = n the bound is exactly 0 or 1; rounding would otherwise leave 1e-17.
    low = 0.0 if k == 0 else min(p, max(0.0, centre - half))
    high = 1.0 if k == n else max(p, min(1.0, centre + half))
    return low, high


def exact_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval from the beta distribution; conservative for small n."""
    k, n = _check(k, n, level, "exact")
    alpha = 1 - level
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return low, high


@dataclass(frozen=True)
class Proportion:
    """k of n with its point estimate and confidence interval."""

    k: int
    n: int
    low: float
    high: float
    level: float
    method: str

    @property
    def rate(self) -> float:
        return self.k / self.n

    @property
    def width(self) -> float:
        return self.high - self.low


def proportion(k: int, n: int, level: float = 0.95, method: str = "wilson") -> Proportion:
    """The share k/n with a ``method`` ("wilson" or "exact") interval at confidence ``level``."""
    k, n = _check(k, n, level, method)
    low, high = (wilson_interval if method == "wilson" else exact_interval)(k, n, level)
    return Proportion(k, n, low, high, float(level), method)


def band(rate: float) -> str:
    """Band of a point estimate against the quarterly benchmarks (C38)."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
        raise ImpactError(f"rate must be a share 0–1, got {rate!r}")
    key = "below_minimum"
    for b in BENCHMARKS:
        if rate >= b.rate:
            key = b.key
    return key


def band_label(band_key: str, lang: str = "en") -> str:
    """What a band key means, in *lang* ("at or above the average benchmark")."""
    if band_key not in BANDS:
        raise ImpactError(f"unknown band {band_key!r}; use one of {list(BANDS)}")
    return BANDS[band_key](lang)


def verdicts(p: Proportion) -> dict[str, str]:
    """Per benchmark: "above" (whole interval above it), "below" (whole interval below) or "unclear"."""
    out = {}
    for b in BENCHMARKS:
        out[b.key] = "above" if p.low > b.rate else ("below" if p.high < b.rate else "unclear")
    return out


def too_small_to_judge(p: Proportion) -> bool:
    """True when the interval contains both the minimum and the excellent benchmark (see module doc)."""
    return p.low <= _BENCH["minimum"].rate and p.high >= _BENCH["excellent"].rate


_MESSAGE: Mapping[str, Bilingual] = _DATA["message"]


@dataclass(frozen=True)
class PeriodResult:
    """One period's (usually a quarter's) employment rate judged against the benchmarks."""

    label: str
    proportion: Proportion
    band: str
    verdicts: Mapping[str, str]
    too_small: bool

    @property
    def served(self) -> int:
        return self.proportion.n

    @property
    def working(self) -> int:
        return self.proportion.k

    def message(self, lang: str = "en") -> str:
        """A one-paragraph reading of the result in English or Finnish."""
        p = self.proportion
        head = _MESSAGE["head"](lang, k=p.k, n=p.n, rate=percent(p.rate, lang), level=percent(p.level, lang),
                                low=percent(p.low, lang), high=percent(p.high, lang))
        if self.too_small:
            tail = _MESSAGE["too_small"](lang, minimum=percent(_BENCH["minimum"].rate, lang),
                                         excellent=percent(_BENCH["excellent"].rate, lang))
            return f"{head} {tail}"
        above = [b for b in BENCHMARKS if self.verdicts[b.key] == "above"]
        below = [b for b in BENCHMARKS if self.verdicts[b.key] == "below"]
        unclear = [b for b in BENCHMARKS if self.verdicts[b.key] == "unclear"]
        parts = []
        if above:
            b = above[-1]
            parts.append(_MESSAGE["clearly_above"](lang, benchmark=b.clear(lang), rate=percent(b.rate, lang)))
        if below:
            b = below[0]
            parts.append(_MESSAGE["clearly_below"](lang, benchmark=b.clear(lang), rate=percent(b.rate, lang)))
        if unclear:
            names = f" {_MESSAGE['and'](lang)} ".join(f"{b.unclear(lang)} ({percent(b.rate, lang)})"
                                                     for b in unclear)
            key = "unclear_many" if len(unclear) > 1 else "unclear_one"
            parts.append(_MESSAGE[key](lang, benchmarks=names))
        joined = "; ".join(parts)
        return f"{head} {joined[0].upper()}{joined[1:]}."


def judge_period(working: int, served: int, label: str = "", level: float = 0.95,
                 method: str = "wilson") -> PeriodResult:
    """Judge one period's count of people in competitive work among those served (C38)."""
    p = proportion(working, served, level, method)
    return PeriodResult(label, p, band(p.rate), MappingProxyType(verdicts(p)), too_small_to_judge(p))


def judge_periods(counts: Mapping[str, tuple[int, int]] | Iterable[tuple[str, int, int]],
                  level: float = 0.95, method: str = "wilson") -> list[PeriodResult]:
    """Judge several periods: ``{"Q1": (working, served), ...}`` or ``[("Q1", working, served), ...]``.

    Periods with nobody served are skipped (a service that had not started yet), not errors.
    """
    rows = [(k, *v) for k, v in counts.items()] if isinstance(counts, Mapping) else list(counts)
    out = []
    for row in rows:
        if len(row) != 3:
            raise ImpactError(f"each period needs (label, working, served); got {row!r}")
        name, working, served = row
        if _count(served, f"served in {name}") == 0 and _count(working, f"working in {name}") == 0:
            continue
        out.append(judge_period(working, served, str(name), level, method))
    return out


def served_needed(rate: float = 0.41, level: float = 0.95, method: str = "wilson",
                  max_n: int = 5000) -> int:
    """Smallest number served in a period for which a service at ``rate`` is no longer too small to
    judge (its interval stops containing both 31 % and 50 %). Counts are ``round(rate * n)``."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
        raise ImpactError(f"rate must be a share 0–1, got {rate!r}")
    for n in range(1, max_n + 1):
        if not too_small_to_judge(proportion(int(round(rate * n)), n, level, method)):
            return n
    raise ImpactError(f"no n up to {max_n} separates the benchmarks at rate {rate}")


_FIGURE: Mapping[str, Bilingual] = _DATA["figure"]


def impact_figure(results: Sequence[PeriodResult], lang: str = "en") -> Figure:
    """Point estimates with interval bars per period, and the three benchmark lines (C38)."""
    lang = check_language(lang)
    fig = Figure(figsize=(7, 3.6))
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.1, right=0.78, bottom=0.15, top=0.88)
    xs = list(range(len(results)))
    for x, r in zip(xs, results):
        p = r.proportion
        colour = "#9e9e9e" if r.too_small else "#4c72b0"
        ax.errorbar([x], [100 * p.rate], yerr=[[100 * (p.rate - p.low)], [100 * (p.high - p.rate)]],
                    fmt="o", color=colour, capsize=5, markersize=7)
        ax.annotate(f"{p.k}/{p.n}", (x, 100 * p.high), textcoords="offset points", xytext=(0, 5),
                    ha="center", fontsize=8)
    styles = {"minimum": ":", "average": "--", "excellent": "-"}
    for b in BENCHMARKS:
        ax.axhline(100 * b.rate, color="#dd8452", linestyle=styles[b.key], linewidth=1)
        ax.text(1.01, 100 * b.rate, f"{b.label(lang)} {percent(b.rate, lang)}", va="center", fontsize=8,
                color="#a04000", transform=ax.get_yaxis_transform())
    ax.set_xticks(xs, [r.label or str(i + 1) for i, r in enumerate(results)])
    ax.set_xlim(-0.6, max(len(results) - 0.4, 0.6))
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    level = percent(results[0].proportion.level if results else 0.95, lang)
    ax.set_title(_FIGURE["title"](lang, level=level), fontsize=9)
    if any(r.too_small for r in results):
        note = _FIGURE["grey_note"](lang, minimum=percent(_BENCH["minimum"].rate, lang),
                                    excellent=percent(_BENCH["excellent"].rate, lang))
        fig.text(0.1, 0.02, note, fontsize=8, color="#666")
    return fig
