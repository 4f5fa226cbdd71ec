"""Output analysis: t-based confidence intervals, paired differences, queueing theory and
warm-up diagnostics (Welch's moving average, MSER-5). Pure functions over numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["CI", "t_interval", "paired_difference", "erlang_c", "mmc_wait", "welch",
           "mser5", "replications_needed"]


@dataclass(frozen=True)
class CI:
    """Mean of replication values with a two-sided t-based confidence interval."""

    mean: float
    low: float
    high: float
    n: int
    sd: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def _t_quantile(p: float, df: int) -> float:
    """Student's t quantile; scipy.stats is imported on first use (it takes a second or more
    to import, which ``worksim validate`` need not pay)."""
    from scipy import stats
    return float(stats.t.ppf(p, df))


def t_interval(values: Sequence[float], level: float = 0.95) -> CI:
    """t-based CI over replication values; NaN values (KPI undefined in a run) are dropped."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return CI(math.nan, math.nan, math.nan, 0, math.nan)
    mean = float(x.mean())
    if n == 1:
        return CI(mean, math.nan, math.nan, 1, math.nan)
    sd = float(x.std(ddof=1))
    half = float(_t_quantile(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return CI(mean, mean - half, mean + half, n, sd)


def paired_difference(alt: Sequence[float], base: Sequence[float], level: float = 0.95) -> CI:
    """CI of alt − base over replications run with the same seeds (common random numbers)."""
    a, b = np.asarray(alt, dtype=float), np.asarray(base, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values need equal replications: {a.size} vs {b.size}.")
    return t_interval(a - b, level)


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C), offered load a = λ/μ."""
    c, a = servers, offered_load
    if a >= c:
        return 1.0
    # numerically stable recursion on Erlang B, then convert
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1 - b))


def mmc_wait(arrival_rate: float, mean_service: float, servers: int) -> float:
    """Mean wait in queue Wq of an M/M/c queue; inf when unstable."""
    a = arrival_rate * mean_service
    if a >= servers:
        return math.inf
    return erlang_c(servers, a) * mean_service / (servers - a)


def welch(series: np.ndarray, window: int) -> np.ndarray:
    """Welch's moving average of the across-replication mean (rows = replications)."""
    y = np.asarray(series, dtype=float)
    y = y.mean(axis=0) if y.ndim == 2 else y
    m = len(y)
    out = np.empty(max(m - window, 0))
    for i in range(len(out)):
        half = min(i, window)
        out[i] = y[i - half:i + half + 1].mean()
    return out


def mser5(series: np.ndarray) -> int:
    """MSER-5 truncation point (index into the original series) for a warm-up cut-off."""
    y = np.asarray(series, dtype=float)
    y = y.mean(axis=0) if y.ndim == 2 else y
    nb = len(y) // 5
    if nb < 4:
        return 0
    batches = y[: nb * 5].reshape(nb, 5).mean(axis=1)
    best, best_d = math.inf, 0
    for d in range(nb // 2):  # the rule only searches the first half
        rest = batches[d:]
        score = rest.var() / len(rest)
        if score < best:
            best, best_d = score, d
    return best_d * 5


def replications_needed(values: Sequence[float], rel_half_width: float = 0.05,
                        level: float = 0.95) -> int:
    """Replications for a CI half-width within ``rel_half_width`` of the mean (pilot-based)."""
    ci = t_interval(values, level)
    if ci.n < 2 or not math.isfinite(ci.sd) or ci.mean == 0:
        return ci.n
    n = ci.n
    while n < 100_000:
        half = float(_t_quantile(0.5 + level / 2, n - 1)) * ci.sd / math.sqrt(n)
        if half <= rel_half_width * abs(ci.mean):
            return n
        n += 1
    return n
