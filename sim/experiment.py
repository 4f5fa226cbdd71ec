"""Experiments: replications with CIs, paired comparisons, parameter sweeps and the
"fewest staff that meet a target" search.

Replication *r* of every scenario uses the same named streams, so comparisons use common
random numbers; parallel runs give results identical to serial ones because each task's
randomness depends only on (seed, replication).
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import operator
import os
import re
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .model import run
from .results import RunResult, check_kpi, known_kpis, kpi_unit
from .scenario import Scenario
from .stats import CI, mser5, paired_difference, t_interval, welch

__all__ = ["Replications", "SummaryRow", "replicate", "compare", "Comparison", "sweep",
           "SweepResult", "Target", "parse_target", "min_staffing", "offered_load",
           "stability_warnings", "warmup_analysis", "UnstableScenarioWarning", "known_kpis",
           "check_kpi", "parse_range", "MAX_REPLICATIONS", "MAX_RUNS"]


class UnstableScenarioWarning(UserWarning):
    """Arrivals exceed a stage's capacity: waits grow for as long as the run lasts."""


@dataclass(frozen=True)
class SummaryRow:
    metric: str
    unit: str
    mean: float
    ci95_low: float
    ci95_high: float
    replications: int


def _summarise(per_rep: Sequence[Mapping[str, float]]) -> list[SummaryRow]:
    rows = []
    for name in per_rep[0]:
        if name.endswith(".n"):
            continue
        ci = t_interval([r[name] for r in per_rep])
        rows.append(SummaryRow(name, kpi_unit(name), ci.mean, ci.low, ci.high, ci.n))
    return rows


@dataclass(frozen=True)
class Replications:
    """Results of one scenario over replications 0..n-1 of one master seed."""

    scenario: Scenario
    seed: int
    runs: tuple[RunResult, ...]

    @property
    def n(self) -> int:
        return len(self.runs)

    def values(self, kpi: str) -> np.ndarray:
        """One value per replication, e.g. ``values("ips_wait_days.p90")``."""
        if kpi not in self.runs[0].kpis:
            raise KeyError(f"unknown KPI {kpi!r}; known: {', '.join(sorted(self.runs[0].kpis))}")
        return np.array([r.kpis[kpi] for r in self.runs], dtype=float)

    def ci(self, kpi: str, level: float = 0.95) -> CI:
        return t_interval(self.values(kpi), level)

    def summary(self) -> list[SummaryRow]:
        return _summarise([r.kpis for r in self.runs])

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(days, values[replication, sample]) of a weekly time series."""
        days = self.runs[0].series["day"]
        m = min(len(r.series[name]) for r in self.runs)
        return days[:m], np.vstack([r.series[name][:m] for r in self.runs])


# --- running many tasks ----------------------------------------------------------------

def _task(args: tuple[Scenario, int, int]) -> RunResult:
    scenario, seed, rep = args
    return run(scenario, seed=seed, replication=rep)


def _pool(jobs: int) -> ProcessPoolExecutor:
    # fork where the platform has it: scripts need no __main__ guard and workers start
    # at once; the workers only run pure simulation code, so a threaded parent (a Jupyter
    # kernel) is safe. Elsewhere spawn (scripts then need the usual __main__ guard).
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)


def _execute(tasks: Iterable[tuple[Scenario, int, int]], count: int, jobs: int,
             progress: bool | Callable[[int, int], None]) -> list[RunResult]:
    """Run ``count`` tasks serially or in worker processes; results come back in task order.

    ``tasks`` may be a generator: it is read as the work goes on, and at most a few tasks per
    worker are waiting at a time, so memory grows with the results kept, not with a task list.
    """
    jobs = _check_jobs(jobs)
    bar = None
    if progress is True:
        from tqdm.auto import tqdm
        bar = tqdm(total=count, desc="replications", unit="run")

    def tick(i: int) -> None:
        if bar is not None:
            bar.update(1)
        elif callable(progress):
            progress(i + 1, count)

    results: list[RunResult] = []
    try:
        if jobs == 1 or count == 1:
            for i, t in enumerate(tasks):
                results.append(_task(t))
                tick(i)
        else:
            with warnings.catch_warnings():
                # Python ≥3.12 warns about fork() in threaded parents; see _pool()
                warnings.filterwarnings("ignore", category=DeprecationWarning,
                                        message=".*fork.*")
                with _pool(min(jobs, count)) as pool:
                    for i, r in enumerate(_in_order(pool, tasks, 4 * jobs)):
                        results.append(r)
                        tick(i)
    finally:
        if bar is not None:
            bar.close()
    return results


def _in_order(pool: ProcessPoolExecutor, tasks: Iterable[tuple[Scenario, int, int]],
              ahead: int) -> Iterator[RunResult]:
    """The pool's results in task order, with at most ``ahead`` tasks submitted and not yet
    collected (``pool.map`` would submit every task at once)."""
    waiting: deque[Future[RunResult]] = deque()
    try:
        for task in tasks:
            waiting.append(pool.submit(_task, task))
            if len(waiting) >= ahead:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()
    finally:
        for future in waiting:  # an error or an early stop: drop the work not yet started
            future.cancel()


def _check_jobs(jobs: int | None) -> int:
    if jobs is None or jobs == 0:
        return os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
        raise ValueError(f"jobs: {jobs!r} must be a whole number ≥ 1 (0 = all cores).")
    if jobs > MAX_JOBS:
        shown = f"{jobs:,}" if jobs < 10 ** 15 else "more than 15 digits"
        raise ValueError(f"jobs: {shown}; at most {MAX_JOBS} worker processes (each is a copy of "
                         "Python); give the number of cores, or 0 for all of them.")
    return jobs


MAX_JOBS = 256
"""Most worker processes one call starts (each is a Python process of its own)."""


MAX_REPLICATIONS = 10_000
"""Most replications of one scenario. A 95 % CI from 10,000 replications is already within
about 2 % of the run-to-run standard deviation, so more buy no planning answer; each run's
result is kept (about 60 kB), so 10,000 hold about 0.6 GB."""
MAX_RUNS = 10_000
"""Most simulation runs of one call: replications × grid points (sweep, min_staffing) or
× scenarios (compare), for the same memory reason as :data:`MAX_REPLICATIONS`."""


def _check_reps(replications: int, groups: int = 1, what: str = "") -> None:
    """``replications`` is a whole number from 1 to :data:`MAX_REPLICATIONS`, and with
    ``groups`` grid points or scenarios (named by ``what``) at most :data:`MAX_RUNS` runs."""
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications: {replications!r} must be a whole number ≥ 1.")
    if replications > MAX_REPLICATIONS:
        shown = f"{replications:,}" if replications < 10 ** 15 else "more than 15 digits"
        raise ValueError(f"replications: {shown}; at most {MAX_REPLICATIONS:,} (each "
                         "run's result is kept in memory, and the CI no longer narrows in any "
                         "way that matters); give fewer replications.")
    if groups * replications > MAX_RUNS:
        raise ValueError(f"replications: {what} × {replications:,} replications = "
                         f"{groups * replications:,} runs; at most {MAX_RUNS:,} in one call; "
                         "give fewer replications or fewer values.")


def replicate(scenario: Scenario, replications: int = 10, seed: int = 1, *, jobs: int = 1,
              progress: bool | Callable[[int, int], None] = False) -> Replications:
    """Run ``replications`` independent replications of one scenario."""
    _check_reps(replications)
    for message in stability_warnings(scenario):
        warnings.warn(message, UnstableScenarioWarning, stacklevel=2)
    runs = _execute(((scenario, seed, r) for r in range(replications)), replications, jobs,
                    progress)
    return Replications(scenario, seed, tuple(runs))


# --- comparisons -----------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """Each alternative against the base, paired replication by replication (CRN)."""

    base: Replications
    alternatives: dict[str, Replications]

    def difference(self, name: str, kpi: str) -> CI:
        return paired_difference(self.alternatives[name].values(kpi), self.base.values(kpi))

    def rows(self, kpis: Iterable[str] | None = None) -> list[dict[str, Any]]:
        kpis = list(kpis) if kpis is not None else [r.metric for r in self.base.summary()]
        out = []
        for name, alt in self.alternatives.items():
            for kpi in kpis:
                d = self.difference(name, kpi)
                b, a = self.base.ci(kpi), alt.ci(kpi)
                out.append({"scenario": name, "metric": kpi, "unit": kpi_unit(kpi),
                            "base_mean": b.mean, "alt_mean": a.mean, "difference": d.mean,
                            "ci95_low": d.low, "ci95_high": d.high, "replications": d.n})
        return out


def compare(base: Scenario, alternatives: Mapping[str, Scenario], replications: int = 10,
            seed: int = 1, *, jobs: int = 1, progress: bool = False) -> Comparison:
    """Run base and alternatives with the same seeds; report paired differences."""
    scenarios = [base, *alternatives.values()]
    _check_reps(replications, len(scenarios), f"{len(scenarios)} scenarios (base and alternatives)")
    tasks = ((s, seed, r) for s in scenarios for r in range(replications))
    runs = _execute(tasks, len(scenarios) * replications, jobs, progress)
    groups = [tuple(runs[i * replications:(i + 1) * replications]) for i in range(len(scenarios))]
    reps = [Replications(s, seed, g) for s, g in zip(scenarios, groups)]
    return Comparison(reps[0], dict(zip(alternatives, reps[1:])))


# --- targets, sweeps and the staffing search --------------------------------------------

_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


@dataclass(frozen=True)
class Target:
    """A KPI target such as ``ips_wait_days.p90<=30``, judged on the CI's far bound."""

    kpi: str
    op: str
    value: float

    def met_by(self, ci: CI) -> bool:
        """True when the whole CI meets the target (upper bound for ≤, lower for ≥)."""
        bound = ci.high if self.op in ("<=", "<") else ci.low
        if ci.n == 1:
            bound = ci.mean
        return bool(np.isfinite(bound) and _OPS[self.op](bound, self.value))

    def __str__(self) -> str:
        return f"{self.kpi}{self.op}{self.value:g}"


def parse_target(text: str) -> Target:
    """Parse ``"metric<=value"``; the error names the expected form and known metrics."""
    form = "write it as METRIC<=VALUE or METRIC>=VALUE, e.g. \"ips_wait_days.p90<=30\""
    m = re.fullmatch(r"\s*([A-Za-z0-9_.]+)\s*(<=|>=|<|>)\s*(.+?)\s*", text or "")
    if not m:
        raise ValueError(f"target {text!r}: {form}.")
    kpi, op, raw = m.groups()
    try:
        check_kpi(kpi)
    except ValueError as exc:
        raise ValueError(f"target {text!r}: {exc}") from None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"target {text!r}: VALUE {raw!r} is not a number; {form}.") from None
    if not math.isfinite(value):
        raise ValueError(f"target {text!r}: VALUE {raw!r} is not a finite number; {form}.")
    return Target(kpi, op, value)


@dataclass(frozen=True)
class SweepResult:
    """One Replications per grid point; ``points[i]`` maps parameter -> value."""

    parameters: tuple[str, ...]
    points: tuple[dict[str, Any], ...]
    results: tuple[Replications, ...]
    target: Target | None = None
    offered_load: dict[str, float] = field(default_factory=dict)

    def table(self, kpis: Sequence[str]) -> list[dict[str, Any]]:
        rows = []
        for point, reps in zip(self.points, self.results):
            row = dict(point)
            for k in kpis:
                ci = reps.ci(k)
                row.update({f"{k}.mean": ci.mean, f"{k}.ci95_low": ci.low,
                            f"{k}.ci95_high": ci.high})
            if self.target is not None:
                row["meets_target"] = self.target.met_by(reps.ci(self.target.kpi))
            rows.append(row)
        return rows

    def best(self) -> dict[str, Any] | None:
        """The first grid point (in grid order, smallest first) whose CI meets the target."""
        if self.target is None:
            raise ValueError("this sweep has no target; pass target=... to sweep().")
        for point, reps in zip(self.points, self.results):
            if self.target.met_by(reps.ci(self.target.kpi)):
                return dict(point)
        return None


def _g(x: float) -> str:
    """A number as a planner writes it: 1000000, not 1e+06."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _number(text: str, part: str) -> float:
    form = "give START:STOP[:STEP] (e.g. 1:10) or a comma list (e.g. 4,6,8)"
    what = f"{text!r}" if part.strip() == text.strip() else f"{text!r}: {part.strip()!r}"
    try:
        value = float(part)
    except ValueError:
        if re.fullmatch(r"\s*[0-9.]+\s*-\s*[0-9.]+\s*", part):
            dashed = re.sub(r"\s*-\s*", ":", part.strip(), count=1)
            raise ValueError(f"{what} is not a number; write a range with ':' as START:STOP, "
                             f"e.g. {dashed}.") from None
        raise ValueError(f"{what} is not a number; {form}.") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} is not a finite number; {form}.")
    return value


def parse_range(text: str, limit: int | None = None) -> list[float]:
    """``"1:10"`` (step 1), ``"2:20:2"`` or ``"3,5,8"`` -> list of values.

    ``limit`` caps the number of values (checked before any list is built); the errors
    say what is wrong and how to write the range.
    """
    form = "give START:STOP[:STEP] (e.g. 1:10) or a comma list (e.g. 4,6,8)"
    if ":" in text:
        parts = text.split(":")
        if len(parts) > 3:
            raise ValueError(f"{text!r}: too many ':'; {form}.")
        start, stop = _number(text, parts[0]), _number(text, parts[1])
        step = _number(text, parts[2]) if len(parts) > 2 else 1.0
        if step <= 0:
            raise ValueError(f"{text!r}: STEP {_g(step)} must be above 0; {form}.")
        if stop < start:
            raise ValueError(f"{text!r}: STOP {_g(stop)} is below START {_g(start)}; write "
                             f"START:STOP smallest first, e.g. {_g(stop)}:{_g(start)}.")
        count = (stop - start) / step + 1
        if limit is not None and count > limit + 0.5:
            wider = (stop - start) / (limit - 1) if limit > 1 else stop - start
            wider = math.ceil(wider) if wider >= 1 else 10 ** math.ceil(math.log10(wider))
            raise ValueError(f"{text!r}: {math.floor(count + 0.5):,} values; at most {limit} "
                             f"are allowed per parameter; use a larger STEP, e.g. "
                             f"{_g(start)}:{_g(stop)}:{_g(wider)}.")
        values = list(np.arange(start, stop + step / 2, step))
    else:
        values = [_number(text, p) for p in text.split(",") if p.strip()]
        if limit is not None and len(values) > limit:
            raise ValueError(f"{text!r}: {len(values):,} values; at most {limit} are allowed "
                             "per parameter.")
    if not values:
        raise ValueError(f"{text!r}: no values; {form}.")
    return [int(v) if float(v).is_integer() else float(v) for v in values]


def sweep(scenario: Scenario, vary: Mapping[str, Sequence[Any]], replications: int = 10,
          seed: int = 1, *, target: Target | str | None = None, jobs: int = 1,
          progress: bool | Callable[[int, int], None] = False) -> SweepResult:
    """Run every grid point of one or two varied parameters with the same seeds."""
    _check_reps(replications)
    if not 1 <= len(vary) <= 2:
        raise ValueError("vary: give one or two parameters, e.g. {'ips.coaches': [4, 6, 8]}.")
    names = tuple(vary)
    count = math.prod(len(values) for values in vary.values())
    _check_reps(replications, count, f"{count:,} grid points")
    points = [dict(zip(names, combo)) for combo in itertools.product(*vary.values())]
    scenarios = [scenario.with_changes(p) for p in points]  # validates every point first
    tasks = ((s, seed, r) for s in scenarios for r in range(replications))
    runs = _execute(tasks, len(scenarios) * replications, jobs, progress)
    results = tuple(Replications(s, seed, tuple(runs[i * replications:(i + 1) * replications]))
                    for i, s in enumerate(scenarios))
    if isinstance(target, str):
        target = parse_target(target)
    return SweepResult(names, tuple(points), results, target)


STAFF_PARAMETERS = ("ips.coaches", "assessment.coordinators")
"""The staffing fields the fewest-staff search varies (each has an offered-load floor)."""


def offered_load(scenario: Scenario, seed: int = 1, replications: int = 3) -> dict[str, float]:
    """Mean places in use with unlimited capacity (M/G/∞ ⇒ λ·E[S]): the staffing floor.

    Returns, per staff parameter, the FTE below which arrivals exceed capacity
    (utilisation ≥ 1), estimated from short unlimited-capacity runs with the same seeds.
    """
    big = {"ips.coaches": 100_000, "assessment.coordinators": 100_000,
           "team.cases_per_meeting": None, "stepwise.places": None}
    free = scenario.with_changes(big)
    runs = [run(free, seed=seed, replication=r) for r in range(replications)]
    ips_load = float(np.mean([r.kpis["ips_caseload_mean"] for r in runs]))
    assess_load = float(np.mean([r.kpis["assessment_in_service_mean"] for r in runs]))
    return {"ips.coaches": ips_load / scenario.ips.caseload_per_coach,
            "assessment.coordinators": assess_load / scenario.assessment.active_cases_per_coordinator}


def min_staffing(scenario: Scenario, parameter: str, values: Sequence[float], target: Target | str,
                 replications: int = 10, seed: int = 1, *, jobs: int = 1,
                 progress: bool | Callable[[int, int], None] = False) -> SweepResult:
    """Sweep ``parameter`` over ``values`` and find the fewest staff meeting ``target``.

    Values below the offered-load floor are unstable (waits grow without bound), so they
    are skipped; the floor is reported with the result. The answer is judged on the CI's
    far bound, so "meets" means "meets with 95 % confidence".
    """
    if parameter not in STAFF_PARAMETERS:
        raise ValueError(f"parameter {parameter!r}: the staffing search varies one of "
                         f"{', '.join(STAFF_PARAMETERS)}; use sweep() for other parameters.")
    target = parse_target(target) if isinstance(target, str) else target
    values = list(values)
    _check_reps(replications, len(values), f"{len(values):,} values")  # before offered_load runs
    load = offered_load(scenario, seed)
    floor = load[parameter]
    feasible = [v for v in sorted(values) if v > floor] or [max(values)]
    result = sweep(scenario, {parameter: feasible}, replications, seed, target=target,
                   jobs=jobs, progress=progress)
    return SweepResult(result.parameters, result.points, result.results, target, load)


# --- diagnostics ---------------------------------------------------------------------------

def stability_warnings(scenario: Scenario) -> list[str]:
    """Plain-language warnings for stages whose demand exceeds capacity (rough, analytic)."""
    out = []
    s = scenario
    lam = s.arrivals.per_year / 365.0
    slots = s.assessment.slots
    load = lam * s.assessment.duration.mean_days
    if lam > 0 and load >= slots:
        out.append(f"assessment: about {load:.0f} assessments are under way at once on average "
                   f"but there are only {slots} places (coordinators × active cases); the "
                   "waiting list grows for as long as the run lasts.")
    if s.team.enabled and s.team.cases_per_meeting is not None:
        per_meeting = lam * s.team.meeting_interval_days
        if per_meeting > s.team.cases_per_meeting:
            out.append(f"team: about {per_meeting:.0f} new cases arrive between meetings but the "
                       f"team decides at most {s.team.cases_per_meeting}; its queue grows.")
    return out


def warmup_analysis(scenario: Scenario, series: str = "ips_waiting", replications: int = 5,
                    seed: int = 1, window: int = 4, *, jobs: int = 1) -> dict[str, Any]:
    """Welch's moving average and the MSER-5 cut-off for one weekly series (empty start)."""
    reps = replicate(scenario, replications, seed, jobs=jobs)
    days, values = reps.series(series)
    smooth = welch(values, window)
    cut = mser5(values)
    return {"series": series, "days": days, "mean": values.mean(axis=0), "welch": smooth,
            "window": window, "mser5_index": cut,
            "suggested_warmup_days": float(days[cut]) if len(days) else 0.0}
