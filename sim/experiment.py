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
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .model import run
from .results import KEY_KPIS, RunResult, check_kpi, known_kpis, kpi_unit
from .scenario import Scenario
from .stats import CI, mser5, paired_difference, t_interval, welch
from .streams import sampler

__all__ = ["Replications", "SummaryRow", "replicate", "compare", "Comparison", "sweep",
           "SweepResult", "Target", "parse_target", "min_staffing", "offered_load",
           "stability_warnings", "warmup_analysis", "UnstableScenarioWarning", "known_kpis",
           "check_kpi", "parse_range", "MAX_REPLICATIONS", "MAX_RUNS", "replicate_to_precision",
           "parse_precision", "PrecisionStop", "replicate_many", "PrecisionCheck", "PRECISION_FLOORS",
           "PRECISION_BATCH", "PRECISION_CAP", "refinement_cap", "result_warnings", "stage_loads",
           "Check", "stability_checks", "result_checks", "UTILISATION_WARNING",
           "StaffingCertainty",
           "miss_confidence"]


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
    stopping: PrecisionStop | None = field(default=None, compare=False)
    """How :func:`replicate_to_precision` chose ``n`` (None for a fixed number)."""

    @property
    def n(self) -> int:
        return len(self.runs)

    def checks(self) -> list[Check]:
        """The scenario's analytic overload checks (:func:`stability_checks`) and what the run
        itself shows (:func:`result_checks`) that fire."""
        return stability_checks(self.scenario) + result_checks(self)

    def warnings(self) -> list[str]:
        """:meth:`checks` in the model's own English words (in the planner's language:
        :func:`sim.report.warning_texts`)."""
        return [c.english for c in self.checks()]

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
        rows = [r.series[name] for r in self.runs]  # each read once (a store's series: from the file)
        m = min(len(row) for row in rows)
        return days[:m], np.vstack([row[:m] for row in rows])


# --- running many tasks ----------------------------------------------------------------

def _task(args: tuple[Scenario, int, int]) -> RunResult:
    scenario, seed, rep = args
    return run(scenario, seed=seed, replication=rep)


def _task_chunk(tasks: list[tuple[Scenario, int, int]]) -> list[RunResult]:
    """Several tasks as one Dask task (see :class:`_DaskSubmit`), each by :func:`_task`."""
    return [_task(t) for t in tasks]


def _pool(jobs: int) -> _LocalPool:
    # fork where the platform has it: scripts need no __main__ guard and workers start
    # at once; the workers only run pure simulation code, so a threaded parent (a Jupyter
    # kernel) is safe. Elsewhere spawn (scripts then need the usual __main__ guard).
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return _LocalPool(max_workers=jobs, mp_context=ctx)


def _execute(tasks: Iterable[tuple[Scenario, int, int]], count: int, jobs: int | Any,
             progress: bool | Callable[[int, int], None], store: Any = None) -> list[RunResult]:
    """Run ``count`` tasks serially, in worker processes or on a Dask cluster; results come
    back in task order.

    ``jobs`` is a number of worker processes, or a ``distributed.Client`` (anything with
    ``submit``; the API functions pass it for ``jobs``): then the cluster's workers run the
    tasks. ``tasks`` may be a generator: it is read as the work goes on, and at most a few tasks
    per worker are waiting at a time, so memory grows with the results kept, not with a task list.

    With ``store`` (a :class:`sim.store.ResultStore`) a task already stored is read back instead
    of run, and every task run is stored as soon as its worker finishes it (in the order they
    finish), so an interrupted call loses at most the tasks in flight. The results then keep
    their weekly series in the store (:class:`sim.store.StoredSeries`): what stays in memory
    is each replication's KPIs and run facts.
    """
    client = jobs if callable(getattr(jobs, "submit", None)) else None
    jobs = _check_jobs(jobs) if client is None else 1
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
        if client is not None:
            threads = _dask_threads(client)
            chunk = _dask_chunk(count, threads)
            for i, r in enumerate(_in_order(_DaskSubmit(client, chunk), tasks,
                                            max(8, 4 * threads) * chunk, store)):
                results.append(r)
                tick(i)
        elif jobs == 1 or count == 1:
            for i, t in enumerate(tasks):
                r = store.get(t, lazy=True) if store is not None else None
                if r is None:
                    r = _task(t)
                    if store is not None:
                        store.put(t, r)
                        r = store.lazy(t, r)
                results.append(r)
                tick(i)
        else:
            with warnings.catch_warnings():
                # Python ≥3.12 warns about fork() in threaded parents; see _pool()
                warnings.filterwarnings("ignore", category=DeprecationWarning,
                                        message=".*fork.*")
                with _pool(min(jobs, count)) as pool:
                    for i, r in enumerate(_in_order(pool, tasks, 4 * jobs, store)):
                        results.append(r)
                        tick(i)
    finally:
        if bar is not None:
            bar.close()
    return results


class _Slot:
    """One task on its way: its future, and its result once collected (or read from a store)."""

    __slots__ = ("task", "future", "result")

    def __init__(self, task: tuple[Scenario, int, int], future: Any = None,
                 result: RunResult | None = None) -> None:
        self.task, self.future, self.result = task, future, result


def _in_order(pool: ProcessPoolExecutor | _DaskSubmit, tasks: Iterable[tuple[Scenario, int, int]],
              ahead: int, store: Any = None) -> Iterator[RunResult]:
    """The pool's results in task order, with at most ``ahead`` tasks submitted and not yet
    collected (``pool.map`` would submit every task at once).

    With ``store``, tasks already stored are not submitted, and each finished task is collected
    and stored as soon as it is done (not when its turn in the order comes), so a kill loses
    only the tasks still running."""
    waiting: deque[_Slot] = deque()

    def collect(slot: _Slot) -> RunResult:
        if slot.result is None:
            slot.result = slot.future.result()
            if store is not None:
                store.put(slot.task, slot.result)
                slot.result = store.lazy(slot.task, slot.result)
        return slot.result

    def collect_done() -> None:
        for slot in waiting:
            if slot.result is None and slot.future.done():
                collect(slot)

    def head() -> RunResult:
        if store is not None:
            first = waiting[0]
            while first.result is None and not first.future.done():
                pool.wait_first([s.future for s in waiting if s.result is None])
                collect_done()
        return collect(waiting.popleft())

    try:
        for task in tasks:
            stored = store.get(task, lazy=True) if store is not None else None
            if stored is not None:
                waiting.append(_Slot(task, result=stored))
            else:
                waiting.append(_Slot(task, pool.submit(_task, task)))
                if store is not None:
                    collect_done()
            if sum(s.result is None for s in waiting) >= ahead or len(waiting) >= 4 * ahead:
                yield head()
        while waiting:
            yield head()
    finally:
        for slot in waiting:  # an error or an early stop: drop the work not yet started
            if slot.future is not None:
                try:
                    slot.future.cancel()
                except Exception:  # e.g. a Dask client already closed: keep the first error
                    break


class _LocalPool(ProcessPoolExecutor):
    """The process pool with :meth:`wait_first` (what :func:`_in_order` waits on)."""

    @staticmethod
    def wait_first(futures: Sequence[Future[RunResult]]) -> None:
        wait(futures, return_when=FIRST_COMPLETED)


class _DaskSubmit:
    """``pool.submit`` for a Dask client, a few replications to a Dask task.

    Dask costs the submitting process about 10-15 ms of its own per task (measured on the
    project machine: the client's futures, messages and result transfer), as much as a short
    county replication. So ``chunk`` consecutive tasks go to the cluster as one Dask task
    (:func:`_task_chunk`); each task still gets a future-like :class:`_Part` of its own, so
    :func:`_in_order`, the store and the progress bar work per replication. A chunk is sent
    when it is full or when anyone waits on one of its parts. Every Dask task has a key of its
    own naming its first replication; it is a pure function of its (scenario, seed,
    replication) list, so the scheduler may re-run one whose worker was lost and get the
    identical results."""

    def __init__(self, client: Any, chunk: int = 1) -> None:
        self.client = client
        self.chunk = max(1, chunk)
        self.token = uuid.uuid4().hex[:12]
        self.counter = itertools.count()
        self.pending: list[tuple[tuple[Scenario, int, int], _Part]] = []

    def submit(self, fn: Callable[[Any], RunResult], task: tuple[Scenario, int, int]) -> _Part:
        part = _Part(self)
        self.pending.append((task, part))
        if len(self.pending) >= self.chunk:
            self.flush()
        return part

    def flush(self) -> None:
        """Send the tasks gathered so far as one Dask task."""
        if not self.pending:
            return
        tasks = [task for task, _ in self.pending]
        parts = [part for _, part in self.pending]
        self.pending = []
        scenario, seed, rep = tasks[0]
        key = (f"worksim-runs-{scenario.name}-s{seed}-r{rep}+{len(tasks)}-{self.token}-"
               f"{next(self.counter)}")
        chunk = _Chunk(self.client.submit(_task_chunk, tasks, key=key, pure=False))
        for index, part in enumerate(parts):
            part.chunk, part.index = chunk, index

    def drop(self, part: _Part) -> None:
        self.pending = [(task, p) for task, p in self.pending if p is not part]

    def wait_first(self, parts: Sequence[_Part]) -> None:
        from distributed import wait as dask_wait
        self.flush()
        futures = list({id(p.chunk): p.chunk.future for p in parts}.values())
        with self.client.as_current():  # the CLI's clients are not the process's default
            dask_wait(futures, return_when="FIRST_COMPLETED")


class _Chunk:
    """One Dask task of several replications, and its results once fetched (fetched once)."""

    __slots__ = ("future", "values")

    def __init__(self, future: Any) -> None:
        self.future, self.values = future, None


class _Part:
    """One replication's share of a :class:`_Chunk`: what :func:`_in_order` holds as a future."""

    __slots__ = ("owner", "chunk", "index")

    def __init__(self, owner: _DaskSubmit) -> None:
        self.owner, self.chunk, self.index = owner, None, 0

    def done(self) -> bool:
        return self.chunk is not None and (self.chunk.values is not None or self.chunk.future.done())

    def result(self) -> RunResult:
        if self.chunk is None:
            self.owner.flush()
        chunk = self.chunk
        if chunk.values is None:
            chunk.values = chunk.future.result()
        return chunk.values[self.index]

    def cancel(self) -> None:
        if self.chunk is None:
            self.owner.drop(self)
        else:
            self.chunk.future.cancel()


def _dask_threads(client: Any) -> int:
    """The cluster's worker threads now (0 when the client cannot say)."""
    try:
        return sum(client.nthreads().values())
    except Exception:  # an odd client: the window only bounds memory
        return 0


MAX_DASK_CHUNK = 8
"""Most replications in one Dask task: a lost worker's chunk is run again whole."""


def _dask_chunk(count: int, threads: int) -> int:
    """Replications per Dask task: enough tasks for four per worker thread (so the work still
    spreads evenly, and workers that join later find some), at most :data:`MAX_DASK_CHUNK`."""
    return max(1, min(MAX_DASK_CHUNK, count // (4 * max(threads, 1))))


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
              progress: bool | Callable[[int, int], None] = False,
              client: Any = None, store: Any = None) -> Replications:
    """Run ``replications`` independent replications of one scenario.

    ``jobs`` worker processes run them (1: in this process); with ``client`` (a
    ``distributed.Client``) the workers of that Dask cluster do instead, and ``jobs`` is
    ignored. The results are the same either way. With ``store`` (a
    :class:`sim.store.ResultStore`) stored replications are read back, not run again, and each
    one run is stored as it finishes."""
    _check_reps(replications)
    for message in stability_warnings(scenario):
        warnings.warn(message, UnstableScenarioWarning, stacklevel=2)
    runs = _execute(((scenario, seed, r) for r in range(replications)), replications,
                    jobs if client is None else client, progress, store)
    return Replications(scenario, seed, tuple(runs))


def replicate_many(scenarios: Sequence[Scenario], replications: int = 10, seed: int = 1, *,
                   jobs: int = 1, progress: bool | Callable[[int, int], None] = False,
                   client: Any = None, store: Any = None) -> list[Replications]:
    """:func:`replicate` for many scenarios in one pool (one task per scenario and replication,
    so the workers stay busy across scenarios), e.g. the scenarios × grid points of a study;
    ``client`` and ``store`` as in :func:`replicate`. No stability warnings are issued here."""
    scenarios = list(scenarios)
    _check_reps(replications, len(scenarios), f"{len(scenarios):,} scenarios")
    tasks = ((s, seed, r) for s in scenarios for r in range(replications))
    runs = _execute(tasks, len(scenarios) * replications, jobs if client is None else client,
                    progress, store)
    return [Replications(s, seed, tuple(runs[i * replications:(i + 1) * replications]))
            for i, s in enumerate(scenarios)]


# --- replications by precision -----------------------------------------------------------

PRECISION_FLOORS: dict[str, float] = {"days": 0.5, "share": 0.01, "clients": 1.0}
"""Absolute half-width floors by KPI unit, for KPIs near 0 (where a relative target would ask
for ever more replications): half a day for waits and times, 1 percentage point for shares
and utilisations, one client for counts. A KPI's target half-width is
``max(precision × |mean|, floor)``; a unit not listed has no floor."""
PRECISION_BATCH = 10
"""Replications of the first batch of :func:`replicate_to_precision`."""
PRECISION_CAP = 200
"""Default cap on the replications :func:`replicate_to_precision` runs."""


@dataclass(frozen=True)
class PrecisionCheck:
    """One KPI's 95 % CI half-width against its target half-width at a stop."""

    kpi: str
    unit: str
    mean: float
    half_width: float
    target: float
    n: int

    @property
    def met(self) -> bool:
        return self.n >= 2 and math.isfinite(self.half_width) and self.half_width <= self.target

    @property
    def ratio(self) -> float:
        """Half-width over target: ≤ 1 when met."""
        if self.n < 2 or not math.isfinite(self.half_width):
            return math.inf
        if self.target > 0:
            return self.half_width / self.target
        return 0.0 if self.half_width == 0 else math.inf

    def as_dict(self) -> dict[str, Any]:
        return {"kpi": self.kpi, "unit": self.unit, "mean": self.mean,
                "half_width": self.half_width, "target_half_width": self.target,
                "replications": self.n, "met": self.met}


@dataclass(frozen=True)
class PrecisionStop:
    """Why :func:`replicate_to_precision` stopped where it did.

    ``decided_by`` is the KPI whose half-width was widest relative to its target at the stop:
    the last one to come within it (or, when the cap was hit, the one furthest from it).
    ``checks`` has one entry per KPI with a value; ``undefined`` lists KPIs with no value in
    any replication (e.g. a 365-day share in a shorter run); ``history`` the n of each check.
    """

    precision: float
    floors: dict[str, float]
    replications: int
    cap: int
    capped: bool
    decided_by: str | None
    checks: tuple[PrecisionCheck, ...]
    undefined: tuple[str, ...] = ()
    history: tuple[int, ...] = ()

    @property
    def deciding(self) -> PrecisionCheck | None:
        return next((c for c in self.checks if c.kpi == self.decided_by), None)

    @property
    def still_wide(self) -> list[str]:
        """KPIs whose half-width is still above the target (only when the cap was hit)."""
        return [c.kpi for c in self.checks if not c.met]

    def describe(self) -> str:
        """One line for a planner: the n, the KPI that decided it and its half-width."""
        d = self.deciding
        target = f"±{self.precision:.0%} (floors: " + ", ".join(
            _amount(v, u) if not (u == "clients" and v == 1) else "1 client"
            for u, v in self.floors.items()) + ")"
        if d is None:
            return f"{self.replications} replications; no KPI had a value to judge."
        hw = _amount(d.half_width, d.unit)
        want = _amount(d.target, d.unit)
        if not self.capped:
            return (f"{self.replications} replications reached the precision target {target}; "
                    f"the last KPI to get there was {d.kpi} (95 % CI ±{hw}, target ±{want}).")
        wide = ", ".join(self.still_wide)
        return (f"stopped at the cap of {self.cap} replications before reaching {target}; still "
                f"wider than the target: {wide} (widest: {d.kpi}, 95 % CI ±{hw}, target ±{want}).")

    def as_dict(self) -> dict[str, Any]:
        return {"precision": self.precision, "floors": dict(self.floors),
                "replications": self.replications, "cap": self.cap, "capped": self.capped,
                "decided_by": self.decided_by,
                "decided_half_width": self.deciding.half_width if self.deciding else None,
                "still_wide": self.still_wide, "undefined": list(self.undefined),
                "history": list(self.history), "checks": [c.as_dict() for c in self.checks]}


def _amount(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value * 100:.3g} pp"
    return f"{value:.3g} {unit}".strip()


def parse_precision(value: float | str) -> float:
    """``"5%"``, ``"0.05"`` or ``0.05`` -> 0.05; a relative precision above 0 and at most 1."""
    form = "give a relative precision such as 5% or 0.05"
    raw = value
    if isinstance(value, str):
        text = value.strip()
        pct = text.endswith("%")
        try:
            value = float(text.rstrip("%").strip()) / (100 if pct else 1)
        except ValueError:
            raise ValueError(f"precision {raw!r} is not a number; {form}.") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"precision {raw!r}: {form}.")
    if not 0 < value <= 1:
        raise ValueError(f"precision {raw!r}: must be above 0 % and at most 100 %; {form}.")
    return float(value)


def _precision_checks(reps: Replications, kpis: Sequence[str], precision: float,
                      floors: Mapping[str, float]) -> tuple[list[PrecisionCheck], list[str]]:
    checks, undefined = [], []
    for kpi in kpis:
        ci = reps.ci(kpi)
        if ci.n == 0:
            undefined.append(kpi)
            continue
        unit = kpi_unit(kpi)
        target = max(precision * abs(ci.mean), floors.get(unit, 0.0))
        checks.append(PrecisionCheck(kpi, unit, ci.mean, ci.half_width, target, ci.n))
    return checks, undefined


def replicate_to_precision(scenario: Scenario, precision: float | str = 0.05, seed: int = 1, *,
                           kpis: Sequence[str] = KEY_KPIS,
                           floors: Mapping[str, float] | None = None,
                           batch: int = PRECISION_BATCH,
                           max_replications: int = PRECISION_CAP, jobs: int = 1,
                           progress: bool | Callable[[int, int], None] = False,
                           client: Any = None, store: Any = None) -> Replications:
    """Replications in batches until every KPI's 95 % CI half-width is within
    ``max(precision × |mean|, floor)`` (floors by unit, :data:`PRECISION_FLOORS`), or the cap.

    The first batch runs ``batch`` replications; each later one grows n to what the widest
    KPI's half-width projects (half-widths shrink as 1/√n), at least ``batch // 2`` more and at
    most doubling n, never beyond ``max_replications``. Replication r uses the streams of
    index r, so the result equals ``replicate(scenario, n, seed)`` for the n it stopped at.
    ``result.stopping`` (:class:`PrecisionStop`) records which KPI decided and whether the
    cap was hit.
    """
    precision = parse_precision(precision)
    _check_reps(max_replications)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 2:
        raise ValueError(f"batch: {batch!r} must be a whole number ≥ 2 (a CI needs two "
                         "replications).")
    floors = dict(PRECISION_FLOORS if floors is None else floors)
    for unit, value in floors.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ValueError(f"floors[{unit!r}]: {value!r} must be a number ≥ 0.")
    kpis = list(kpis)
    for kpi in kpis:
        check_kpi(kpi)
    for message in stability_warnings(scenario):
        warnings.warn(message, UnstableScenarioWarning, stacklevel=2)
    cap = max_replications
    runs: list[RunResult] = []
    history: list[int] = []
    target_n = min(batch, cap)
    while True:
        start = len(runs)
        tick = progress
        if callable(progress):
            def tick(i: int, _count: int, _start: int = start, _to: int = target_n) -> None:
                progress(_start + i, _to)
        runs += _execute(((scenario, seed, r) for r in range(start, target_n)),
                         target_n - start, jobs if client is None else client, tick, store)
        reps = Replications(scenario, seed, tuple(runs))
        history.append(reps.n)
        checks, undefined = _precision_checks(reps, kpis, precision, floors)
        worst = max((c.ratio for c in checks), default=0.0)
        if worst <= 1 or reps.n >= cap:
            break
        n = reps.n
        projected = math.ceil(n * worst ** 2 * 1.1) if math.isfinite(worst) else 2 * n
        target_n = min(cap, n + min(n, max(batch // 2, projected - n)))
    decided = max(checks, key=lambda c: c.ratio, default=None)
    stop = PrecisionStop(precision, floors, reps.n, cap, worst > 1,
                         decided.kpi if decided else None, tuple(checks), tuple(undefined),
                         tuple(history))
    return Replications(scenario, seed, reps.runs, stop)


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
            seed: int = 1, *, jobs: int = 1, progress: bool = False,
            client: Any = None, store: Any = None) -> Comparison:
    """Run base and alternatives with the same seeds; report paired differences
    (``client``, ``store``: as in :func:`replicate`)."""
    scenarios = [base, *alternatives.values()]
    _check_reps(replications, len(scenarios), f"{len(scenarios)} scenarios (base and alternatives)")
    tasks = ((s, seed, r) for s in scenarios for r in range(replications))
    runs = _execute(tasks, len(scenarios) * replications, jobs if client is None else client, progress,
                    store)
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
    skipped: tuple[float, ...] = ()
    """Values not simulated because they are at or below the offered-load floor."""

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

    def certainty(self) -> StaffingCertainty:
        """How sure the answer of a one-parameter search is: the best level's CI bound and
        the confidence that the next-lower level misses (see :class:`StaffingCertainty`)."""
        if self.target is None:
            raise ValueError("this sweep has no target; pass target=... to sweep().")
        param, target = self.parameters[0], self.target
        best = self.best()
        if best is None:
            return StaffingCertainty(param, target, None)
        i = list(self.points).index(best)
        ci = self.results[i].ci(target.kpi)
        bound = ci.mean if ci.n == 1 else (ci.high if target.op in ("<=", "<") else ci.low)
        out = dict(parameter=param, target=target, best_value=best[param], mean=ci.mean,
                   bound=bound, n=ci.n, degenerate=_degenerate(ci))
        if i > 0:
            values = self.results[i - 1].values(target.kpi)
            low_ci = t_interval(values)
            out.update(lower_value=self.points[i - 1][param], lower_mean=low_ci.mean,
                       lower_n=low_ci.n, lower_misses=miss_confidence(target, values),
                       lower_degenerate=_degenerate(low_ci))
        elif any(v < best[param] for v in self.skipped):
            out["below_floor"] = True
        return StaffingCertainty(**out)


@dataclass(frozen=True)
class StaffingCertainty:
    """How sure the staffing answer is (:meth:`SweepResult.certainty`).

    ``bound`` is the best level's 95 % CI bound that the target is judged on (the upper bound
    for ≤, the lower for ≥). ``lower_value`` is the next-lower level in the sweep (None when
    there is none) and ``lower_misses`` the one-sided confidence, from its replications' t
    distribution, that its true mean misses the target. ``*_degenerate`` names an interval
    that says nothing of the certainty: "single" (one replication with a value) or
    "no_spread" (every replication gave the same value, e.g. 0.0–0.0).
    """

    parameter: str
    target: Target
    best_value: float | None
    mean: float = math.nan
    bound: float = math.nan
    n: int = 0
    degenerate: str | None = None
    lower_value: float | None = None
    lower_mean: float = math.nan
    lower_n: int = 0
    lower_misses: float = math.nan
    lower_degenerate: str | None = None
    below_floor: bool = False
    """True when no lower level was simulated because the lower values are below the
    offered-load floor (they cannot keep up at all)."""


def _degenerate(ci: CI) -> str | None:
    if ci.n < 2:
        return "single"
    if not ci.sd > 0:
        return "no_spread"
    return None


def miss_confidence(target: Target, values: Sequence[float]) -> float:
    """One-sided confidence that the true mean misses ``target``: the t distribution's
    P(mean > value) for a ≤ target (P(mean < value) for ≥), from replication values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan
    mean = float(x.mean())
    sign = 1.0 if target.op in ("<=", "<") else -1.0
    gap = sign * (mean - target.value)
    sd = float(x.std(ddof=1)) if x.size > 1 else math.nan
    if not sd > 0:  # degenerate: all alike (or one value): certain in name only
        return 1.0 if gap > 0 else 0.0
    from scipy import stats
    return float(stats.t.cdf(gap / (sd / math.sqrt(x.size)), x.size - 1))


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
          progress: bool | Callable[[int, int], None] = False,
          client: Any = None, store: Any = None) -> SweepResult:
    """Run every grid point of one or two varied parameters with the same seeds
    (``client``, ``store``: as in :func:`replicate`)."""
    _check_reps(replications)
    if not 1 <= len(vary) <= 2:
        raise ValueError("vary: give one or two parameters, e.g. {'ips.coaches': [4, 6, 8]}.")
    names = tuple(vary)
    count = math.prod(len(values) for values in vary.values())
    _check_reps(replications, count, f"{count:,} grid points")
    points = [dict(zip(names, combo)) for combo in itertools.product(*vary.values())]
    scenarios = [scenario.with_changes(p) for p in points]  # validates every point first
    tasks = ((s, seed, r) for s in scenarios for r in range(replications))
    runs = _execute(tasks, len(scenarios) * replications, jobs if client is None else client, progress,
                    store)
    results = tuple(Replications(s, seed, tuple(runs[i * replications:(i + 1) * replications]))
                    for i, s in enumerate(scenarios))
    if isinstance(target, str):
        target = parse_target(target)
    return SweepResult(names, tuple(points), results, target)


STAFF_PARAMETERS = ("ips.coaches", "assessment.coordinators")
"""The staffing fields the fewest-staff search varies (each has an offered-load floor)."""


def offered_load(scenario: Scenario, seed: int = 1, replications: int = 3, *,
                 jobs: int = 1, client: Any = None, store: Any = None) -> dict[str, float]:
    """Mean places in use with unlimited capacity (M/G/∞ ⇒ λ·E[S]): the staffing floor.

    Returns, per staff parameter, the FTE below which arrivals exceed capacity
    (utilisation ≥ 1), estimated from short unlimited-capacity runs with the same seeds.
    """
    big = {"ips.coaches": 100_000, "assessment.coordinators": 100_000,
           "team.cases_per_meeting": None, "stepwise.places": None}
    free = scenario.with_changes(big)
    if jobs == 1 and client is None and store is None:
        runs = [run(free, seed=seed, replication=r) for r in range(replications)]
    else:  # the same runs in worker processes, on a cluster or from a store (identical results)
        runs = _execute(((free, seed, r) for r in range(replications)), replications,
                        jobs if client is None else client, False, store)
    ips_load = float(np.mean([r.kpis["ips_caseload_mean"] for r in runs]))
    assess_load = float(np.mean([r.kpis["assessment_in_service_mean"] for r in runs]))
    return {"ips.coaches": ips_load / scenario.ips.caseload_per_coach,
            "assessment.coordinators": assess_load / scenario.assessment.active_cases_per_coordinator}


def _undecided(target: Target, ci: CI, precision: float | None) -> bool:
    """The CI straddles the target: neither met with 95 % confidence nor clearly missed, and
    (with ``precision``) wider than ``precision × |target value|``."""
    if ci.n == 0:
        return False  # no value at all (e.g. nobody started): more of the same will not help
    if ci.n >= 2 and not ci.sd > 0:
        return False  # every replication alike: no interval to narrow (the answer says so)
    if target.met_by(ci):
        return False
    if ci.n >= 2:
        near = ci.low if target.op in ("<=", "<") else ci.high
        if not _OPS[target.op](near, target.value):
            return False  # the whole CI misses
        if precision is not None and ci.half_width <= precision * abs(target.value):
            return False  # as close to the target as the precision asks
    return True


def refinement_cap(replications: int) -> int:
    """How many replications a straddling staffing level may get in the planners' CLI and app:
    four times the first round, at most :data:`PRECISION_CAP` (and never fewer than given)."""
    return max(replications, min(4 * replications, PRECISION_CAP))


def min_staffing(scenario: Scenario, parameter: str, values: Sequence[float], target: Target | str,
                 replications: int = 10, seed: int = 1, *, jobs: int = 1,
                 progress: bool | Callable[[int, int], None] = False,
                 max_replications: int | None = None,
                 precision: float | str | None = 0.05, client: Any = None,
                 store: Any = None) -> SweepResult:
    """Sweep ``parameter`` over ``values`` and find the fewest staff meeting ``target``.

    Values below the offered-load floor are unstable (waits grow without bound), so they
    are skipped; the floor is reported with the result. The answer is judged on the CI's
    far bound, so "meets" means "meets with 95 % confidence".

    Every value first gets ``replications``. With ``max_replications`` above that (the
    planners' CLI and app pass :func:`refinement_cap`), a value whose CI straddles the target
    gets more (n doubles each round) until its CI meets or misses the target, its half-width is
    within ``precision × |target value|`` (None: no such stop), or ``max_replications``. The
    default, None, runs exactly ``replications`` per value, as the course's exercises expect
    (they teach what a fixed number of replications can and cannot tell).
    :meth:`SweepResult.certainty` says how sure the answer is.
    """
    if parameter not in STAFF_PARAMETERS:
        raise ValueError(f"parameter {parameter!r}: the staffing search varies one of "
                         f"{', '.join(STAFF_PARAMETERS)}; use sweep() for other parameters.")
    target = parse_target(target) if isinstance(target, str) else target
    values = list(values)
    _check_reps(replications, len(values), f"{len(values):,} values")  # before offered_load runs
    cap = replications if max_replications is None else max_replications
    _check_reps(cap)
    if cap < replications:
        raise ValueError(f"max_replications: {cap} is below replications ({replications}).")
    precision = None if precision is None else parse_precision(precision)
    load = offered_load(scenario, seed, jobs=jobs, client=client, store=store)
    floor = load[parameter]
    feasible = [v for v in sorted(values) if v > floor] or [max(values)]
    skipped = tuple(v for v in sorted(values) if v not in feasible)
    result = sweep(scenario, {parameter: feasible}, replications, seed, target=target,
                   jobs=jobs, progress=progress, client=client, store=store)
    reps = list(result.results)
    budget = MAX_RUNS - sum(r.n for r in reps)
    while True:
        cis = [r.ci(target.kpi) for r in reps]
        todo = [i for i, (r, ci) in enumerate(zip(reps, cis))
                if r.n < cap and _undecided(target, ci, precision)]
        best = next((i for i, ci in enumerate(cis) if target.met_by(ci)), None)
        if best is not None and best not in todo and reps[best].n < cap and _degenerate(cis[best]):
            todo.append(best)  # the answer rests on no spread at all: look again with more
            todo.sort()
        grow = {i: min(cap, 2 * reps[i].n) - reps[i].n for i in todo}
        if not todo or sum(grow.values()) > budget:
            break
        budget -= sum(grow.values())
        tasks = ((reps[i].scenario, seed, r) for i in todo
                 for r in range(reps[i].n, reps[i].n + grow[i]))
        runs = _execute(tasks, sum(grow.values()), jobs if client is None else client, False,
                        store)
        for i in todo:
            more, runs = runs[:grow[i]], runs[grow[i]:]
            reps[i] = Replications(reps[i].scenario, seed, reps[i].runs + tuple(more))
    return SweepResult(result.parameters, result.points, tuple(reps), target, load, skipped)


# --- diagnostics ---------------------------------------------------------------------------

_U = (np.arange(4096) + 0.5) / 4096
"""Evenly spread uniforms: exact quantiles of a duration for the analytic loads below."""


def _held(days: np.ndarray | float, rate_per_day: float) -> np.ndarray | float:
    """E[min(days, Exp(rate))]-style integral ∫₀^days e^(−rate·t) dt (= days at rate 0)."""
    if rate_per_day <= 0:
        return days
    return (1 - np.exp(-rate_per_day * np.asarray(days, dtype=float))) / rate_per_day


def _ips_days(scenario: Scenario) -> float:
    """Mean days one client holds an IPS caseload place (job search, work until step-down,
    re-searches after job losses), ignoring waiting: the 'service time' of the caseload."""
    ips = scenario.ips
    rate = ips.dropout_per_year_in_service / 365.0
    limit = ips.discharge_after_unemployed_days or math.inf
    finds = ips.job_finding_share
    search = sampler(ips.days_to_job, scale=ips.job_rate_multiplier)(_U)
    never = (1 - finds) * float(_held(limit, rate))  # never finds work: dropout or discharge
    if not math.isfinite(never):
        return math.inf
    found = finds * float(np.mean(np.where(search < limit, np.exp(-rate * search), 0.0)))
    episode = never + finds * float(np.mean(_held(np.minimum(search, limit), rate)))
    tenure = sampler(ips.job_tenure)(_U)
    step_down = ips.step_down_after_employed_days
    loses = float(np.mean(tenure < step_down))
    again = found * loses * ips.research_after_job_loss_share
    episode += found * (float(np.mean(np.minimum(tenure, step_down)))
                        + loses * ips.research_after_job_loss_share * ips.recontact_days)
    return episode / (1 - again)


def _stepwise_flow(scenario: Scenario) -> tuple[float, float]:
    """Per client sent to stepwise work activity: (mean days on a place over all periods,
    probability of being referred on to IPS)."""
    sw = scenario.stepwise
    rate = sw.dropout_per_year_in_service / 365.0
    days = sampler(sw.duration)(_U)
    per_period = float(np.mean(_held(days, rate)))
    completes = float(np.mean(np.exp(-rate * days)))
    periods = sum((completes * sw.onward.repeat) ** k for k in range(sw.max_periods))
    return periods * per_period, periods * completes * sw.onward.refer_ips


def stage_loads(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Each capacity's analytic offered load (M/G/∞: arrivals a day × mean days held) against
    its places: ``{stage: {"per_year", "mean_days", "load", "capacity"}}``.

    Arrival rates follow the referrals, the profile mix and the team's routing shares (plus
    stepwise clients referred on to IPS); drop-out while waiting is ignored, so the loads are
    upper bounds. The team's 'capacity' is cases per meeting, its load the cases that arrive
    between meetings. Vocational rehabilitation has no places in the model (an outside
    provider with its own wait), so it cannot overload and is not listed.
    """
    s = scenario
    per_year = s.arrivals.per_year
    share = {name: sum(p.share * s.route_for(p.name).share(name) for p in s.arrivals.profiles)
             for name in ("ips", "stepwise")}
    out: dict[str, dict[str, float]] = {}
    days = s.assessment.duration.mean_days
    out["assessment"] = {"per_year": per_year, "mean_days": days,
                         "load": per_year / 365 * days, "capacity": s.assessment.slots}
    if s.team.enabled and s.team.cases_per_meeting is not None:
        out["team"] = {"per_year": per_year, "mean_days": s.team.meeting_interval_days,
                       "load": per_year / 365 * s.team.meeting_interval_days,
                       "capacity": s.team.cases_per_meeting}
    step_days, to_ips = _stepwise_flow(s)
    step_rate = per_year * share["stepwise"]
    if s.stepwise.places is not None:
        out["stepwise"] = {"per_year": step_rate, "mean_days": step_days,
                           "load": step_rate / 365 * step_days, "capacity": s.stepwise.places}
    ips_rate = per_year * share["ips"] + step_rate * to_ips
    ips_days = _ips_days(s)
    out["ips"] = {"per_year": ips_rate, "mean_days": ips_days,
                  "load": ips_rate / 365 * ips_days if ips_rate > 0 else 0.0,
                  "capacity": s.ips.slots}
    return out


@dataclass(frozen=True)
class Check:
    """One overload or result check that fired: what it is (``kind``), its numbers (``values``,
    unformatted) and the model's own English words (``english``, the text of
    :class:`UnstableScenarioWarning` and of ``run.json``).

    The simulation core holds no translated text: :func:`sim.report.warning_text` words a check
    in English or Finnish from ``warning.<kind>`` in ``sim/data/strings.yaml`` (the English
    there is kept equal to ``english`` by tests/test_planner.py)."""

    kind: str
    values: Mapping[str, Any]
    english: str


def _whole(x: float) -> str:
    """A count or a number of days as the English words write it: 1,234."""
    return f"{x:,.0f}"


def stability_checks(scenario: Scenario) -> list[Check]:
    """The analytic overload checks that fire: every capacity whose demand exceeds it (rough:
    see :func:`stage_loads`) and pre-loaded caseloads above a stage's places.

    Pre-loaded clients above the places (``initial.ips_in_service`` over coaches × caseload,
    ``initial.stepwise_in_service`` over ``stepwise.places``) are a warning, not an error: the
    run puts the extra ones first on the waiting list, and the warning names the fix.

    Vocational rehabilitation has no capacity here: Kela or a pension provider runs it, and the
    scenario gives its wait as a distribution (``vocational.wait``), so nothing there can
    overload; stepwise work activity without ``stepwise.places`` is the same.
    """
    out = []
    s = scenario
    loads = stage_loads(s)
    a = loads["assessment"]
    if a["per_year"] > 0 and a["load"] >= a["capacity"]:
        out.append(Check("assessment", {"load": a["load"], "capacity": a["capacity"]},
                   f"assessment: about {_whole(a['load'])} assessments are under way at once on "
                   f"average but there are only {_whole(a['capacity'])} places (coordinators × active "
                   "cases); the waiting list grows for as long as the run lasts. Raise "
                   "assessment.coordinators or assessment.active_cases_per_coordinator."))
    team = loads.get("team")
    if team and team["load"] > team["capacity"]:
        out.append(Check("team", {"load": team["load"], "capacity": team["capacity"]},
                   f"team: about {_whole(team['load'])} new cases arrive between meetings but the "
                   f"team decides at most {_whole(team['capacity'])}; its queue grows. Raise "
                   "team.cases_per_meeting or meet more often (team.meeting_interval_days)."))
    ips = loads["ips"]
    if ips["per_year"] > 0 and ips["load"] >= ips["capacity"]:
        need = ips["load"] / s.ips.caseload_per_coach
        out.append(Check("ips", {"per_year": ips["per_year"], "days": ips["mean_days"],
                                 "load": ips["load"], "capacity": ips["capacity"],
                                 "coaches": s.ips.coaches, "caseload": s.ips.caseload_per_coach,
                                 "need": need},
                   f"IPS coaching: about {_whole(ips['per_year'])} clients a year start coaching and "
                   f"each holds a caseload place for about {_whole(ips['mean_days'])} days, so about "
                   f"{_whole(ips['load'])} places would be in use at once, but there are only "
                   f"{_whole(ips['capacity'])} ({s.ips.coaches:g} coaches × {s.ips.caseload_per_coach}"
                   f"); the waiting list grows until people give up waiting. Keeping up takes "
                   f"more than about {need:,.1f} coaches (ips.coaches)."))
    sw = loads.get("stepwise")
    if sw and sw["per_year"] > 0 and sw["load"] >= sw["capacity"]:
        out.append(Check("stepwise", {"per_year": sw["per_year"], "days": sw["mean_days"],
                                      "load": sw["load"], "capacity": sw["capacity"]},
                   f"stepwise work activity: about {_whole(sw['per_year'])} clients a year are sent "
                   f"there and each uses a place for about {_whole(sw['mean_days'])} days over their "
                   f"periods, so about {_whole(sw['load'])} places would be in use at once, but there "
                   f"are only {_whole(sw['capacity'])} (stepwise.places); the waiting list grows "
                   "until people give up waiting."))
    init = s.initial
    if init.ips_in_service > s.ips.slots:
        extra = init.ips_in_service - s.ips.slots
        out.append(Check("initial_ips", {"clients": init.ips_in_service, "places": s.ips.slots,
                                         "coaches": s.ips.coaches,
                                         "caseload": s.ips.caseload_per_coach, "extra": extra},
                   f"initial.ips_in_service: {init.ips_in_service:,} clients start on coaches' "
                   f"caseloads but there are only {s.ips.slots:,} places ({s.ips.coaches:g} "
                   f"coaches × {s.ips.caseload_per_coach}); the {extra:,} extra start at the head "
                   "of the waiting list. Lower initial.ips_in_service to at most "
                   f"{s.ips.slots:,} (move the rest to initial.ips_waiting) or raise ips.coaches."))
    places = s.stepwise.places
    if places is not None and init.stepwise_in_service > places:
        extra = init.stepwise_in_service - places
        out.append(Check("initial_stepwise", {"clients": init.stepwise_in_service,
                                              "places": places, "extra": extra},
                   f"initial.stepwise_in_service: {init.stepwise_in_service:,} clients start in "
                   f"stepwise work activity but there are only {places:,} places "
                   f"(stepwise.places); the {extra:,} extra start on the waiting list. Lower "
                   f"initial.stepwise_in_service to at most {places:,} or raise stepwise.places."))
    return out


def stability_warnings(scenario: Scenario) -> list[str]:
    """:func:`stability_checks` in the model's own English words (in the planner's language:
    :func:`sim.report.warning_texts`)."""
    return [c.english for c in stability_checks(scenario)]


_WAITING_SERIES = {"assessment_waiting": "assessment waiting list",
                   "team_waiting": "team's queue", "ips_waiting": "IPS waiting list",
                   "stepwise_waiting": "stepwise work-activity waiting list"}
_FULL = {"coach_caseload_utilisation": "coaches' caseloads",
         "coordinator_utilisation": "coordinators' assessment places"}
UTILISATION_WARNING = 0.98
"""A capacity in use at least this share of the time gets a warning after a run."""


def result_checks(reps: Replications) -> list[Check]:
    """The checks of what the run shows that fire: a waiting list that grows through the run
    (kind ``grew``), or a capacity full (≥ 98 %) nearly all the time (kind ``full``).

    "Grows" compares the mean (over replications) of the weekly series in the last quarter
    of the run with the second quarter (the first is left out: an empty or pre-loaded start
    is a transient); it fires when the list grew by more than 5 clients and a quarter and
    was still growing in the last quarter (it is above the third quarter's mean). Results
    read back from a folder have no series: only the utilisation checks apply to them.
    """
    out = []
    for name, words in _WAITING_SERIES.items():
        if name not in reps.runs[0].series:
            continue
        _, values = reps.series(name)
        mean = values.mean(axis=0)
        q = len(mean) // 4
        if q < 2:
            continue
        q2, q3, q4 = (float(mean[i * q:(i + 1) * q].mean()) for i in (1, 2, 3))
        if q4 > q2 + max(5.0, 0.25 * q2) and q4 > q3:
            out.append(Check("grew", {"queue": name, "second": q2, "last": q4},
                       f"the {words} grew through the run (about {_whole(q2)} waiting in the second "
                       f"quarter, {_whole(q4)} in the last): demand outpaces capacity, and waits in "
                       "the table depend on how long the run lasts."))
    full = []
    for kpi, words in _FULL.items():
        if kpi in reps.runs[0].kpis and reps.n:
            full.append((kpi, words, float(np.nanmean(reps.values(kpi)))))
    places = reps.scenario.stepwise.places
    if places and "stepwise_in_service" in reps.runs[0].series:
        _, values = reps.series("stepwise_in_service")
        full.append(("stepwise_places", "stepwise work-activity places",
                     float(values.mean()) / places))
    for what, words, value in full:
        if math.isfinite(value) and value >= UTILISATION_WARNING:
            out.append(Check("full", {"what": what, "share": value},
                       f"{words} were full {value:.0%} of the time: there is no slack, so waits "
                       "grow with any rise in referrals."))
    return out


def result_warnings(reps: Replications) -> list[str]:
    """:func:`result_checks` in the model's own English words (in the planner's language:
    :func:`sim.report.warning_texts`)."""
    return [c.english for c in result_checks(reps)]


def warmup_analysis(scenario: Scenario, series: str = "ips_waiting", replications: int = 5,
                    seed: int = 1, window: int = 4, *, jobs: int = 1,
                    client: Any = None) -> dict[str, Any]:
    """Welch's moving average and the MSER-5 cut-off for one weekly series (empty start)."""
    reps = replicate(scenario, replications, seed, jobs=jobs, client=client)
    days, values = reps.series(series)
    smooth = welch(values, window)
    cut = mser5(values)
    return {"series": series, "days": days, "mean": values.mean(axis=0), "welch": smooth,
            "window": window, "mser5_index": cut,
            "suggested_warmup_days": float(days[cut]) if len(days) else 0.0}
