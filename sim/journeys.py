"""The client's journey as flows that read like the service path, and the stage registry.

referral -> coordinator assessment -> team decision -> pathway stage (IPS coaching, stepwise
work activity, vocational rehabilitation, or a direct exit) -> exit. A flow yields a number
of days to hold, or what a queue's ``acquire`` returns (the engine's interface is listed in
``sim/engine.py``'s docstring). Every first-episode random quantity is drawn at referral
from its own named stream, in referral order, so a client meets the same luck in every
scenario (common random numbers), whatever routing or staffing change.

The stage registry (:data:`STAGES`, :func:`register_stage`) is the one place where the
pathways are stated: for each team decision, the generator that runs it (or the exit it
leads to at once), the parameter block it reads, the first-episode draws it takes from named
streams, the pools and levels it keeps on the model, the weekly series it exposes and the
pre-loaded clients it takes. :func:`journey` dispatches on the team's decision through it.
``sim/README.md`` ("Adding a stage") walks through adding one.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections import namedtuple
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field, fields
from functools import cache, partial
from typing import TYPE_CHECKING, Any

import numpy as np

from . import results
from .resources import Level, Pool
from .results import Event
from .scenario import EXITS, PATHWAYS, Initial, Scenario
from .streams import Transform, exponential_time, sampler

if TYPE_CHECKING:  # pragma: no cover
    from .model import Model

__all__ = ["Stage", "STAGES", "register_stage", "unregister_stage", "DECIDED", "PLACED",
           "REFERRED", "CORE_DRAWS", "client_type", "Client", "Picker", "clients", "journey",
           "X_EMPLOYED", "X_EDUCATION", "X_PENSION", "X_DROPOUT", "X_OTHER"]

# exit codes (the EXIT event's detail), each found by its name
X_EMPLOYED = EXITS.index("employed")
X_EDUCATION = EXITS.index("education")
X_PENSION = EXITS.index("pension")
X_DROPOUT = EXITS.index("dropout")
X_OTHER = EXITS.index("other")

# how a client enters a stage (the stage generator's ``entry`` argument)
DECIDED = "decided"    # the team has chosen it (or, pre-loaded, the client waits for it)
PLACED = "placed"      # pre-loaded: already in service at day 0
REFERRED = "referred"  # moved on from another stage, which returned this stage's name

Proc = Generator  # a flow's body (see sim/engine.py)


@dataclass(frozen=True, eq=False)
class Stage:
    """One team decision and what it sets going; register it with :func:`register_stage`.

    ``name`` is the decision: a routing column in scenarios, the KPIs ``routed_<name>_share``
    and, for a service, ``exit_*.<name>``. Give either ``run`` or ``exit``:

    * ``run(m, c, block, entry)`` — the generator that takes client ``c`` through the service
      (``block`` is its parameter block, ``entry`` one of :data:`DECIDED`, :data:`PLACED`,
      :data:`REFERRED`); it ends with ``m.exit(c, code)``, or returns the name of the stage
      the client moves on to;
    * ``exit`` — a direct exit: the name (in ``EXITS``) of the exit the client takes at once.

    The rest is optional:

    * ``params(scenario)`` — the parameter block the stage reads (e.g. ``scenario.ips``);
    * ``draws`` — first-episode draws, each drawn for every client at referral, in referral
      order: ``{client field: (stream name, make_transform)}``, where ``make_transform(block)``
      turns uniforms into values (None keeps the uniforms); ``c.<field>`` reads the draw, and
      ``m.later(field)`` draws again for a later episode (from ``<stream name>.later``);
    * ``resources(env, block)`` — pools, levels and helpers the stage keeps on the model, as
      ``{attribute: object}``; those with ``reset()`` restart at the end of the warm-up;
    * ``series`` — weekly series it exposes, ``{series name: "attribute.path"}`` on the model;
    * ``preload`` — fields of the scenario's ``initial`` section whose clients start in this
      stage at day 0, with their entry (:data:`PLACED` or :data:`DECIDED`);
    * ``started`` — the event code marking the start of the service, which adds the KPI
      ``<name>_employed_within_365d_share``;
    * ``title`` (a noun phrase for KPI definitions) and ``about`` (a line for the report).
    """

    name: str
    run: Callable[..., Proc] | None = None
    exit: str | None = None
    params: Callable[[Scenario], Any] = lambda scenario: None
    draws: Mapping[str, tuple[str, Callable[[Any], Transform] | None]] = field(
        default_factory=dict)
    resources: Callable[[Any, Any], Mapping[str, Any]] | None = None
    series: Mapping[str, str] = field(default_factory=dict)
    preload: Mapping[str, str] = field(default_factory=dict)
    started: int | None = None
    title: str = ""
    about: str = ""

    def __post_init__(self) -> None:
        if (self.run is None) == (self.exit is None):
            raise ValueError(f"stage {self.name!r}: give either run (a generator function) or "
                             "exit (a direct exit), not both or neither.")
        if self.exit is not None and self.exit not in EXITS:
            raise ValueError(f"stage {self.name!r}: exit {self.exit!r} is not one of "
                             f"{', '.join(EXITS)}.")
        initial = {f.name for f in fields(Initial)}
        for name, entry in self.preload.items():
            if name not in initial or entry not in (PLACED, DECIDED):
                raise ValueError(f"stage {self.name!r}: preload {name!r}: {entry!r}; give a "
                                 f"field of initial ({', '.join(sorted(initial))}) with PLACED "
                                 "or DECIDED.")


STAGES: dict[str, Stage] = {}
"""Team decision -> its stage, in the order of ``PATHWAYS`` (change it only through
:func:`register_stage` and :func:`unregister_stage`)."""

CORE_DRAWS: dict[str, tuple[str, Callable[[Scenario], Transform] | None]] = {
    "profile": ("profile", lambda s: _profile_transform(s)),
    "route_u": ("routing", None),
    "assess_days": ("assessment.duration", lambda s: sampler(s.assessment.duration)),
    "assess_patience": ("assessment.dropout",
                        lambda s: exponential_time(s.assessment.dropout_per_year_waiting)),
}
"""The first-episode draws of referral, assessment and team, like :attr:`Stage.draws` but
made from the whole scenario."""


def _profile_transform(s: Scenario) -> Transform:
    cum = np.cumsum([p.share for p in s.arrivals.profiles])
    last = len(cum) - 1
    return lambda u: np.minimum(np.searchsorted(cum, u, side="right"), last)


def _taken(stages: Iterator[Stage]) -> tuple[set[str], set[str]]:
    """The client fields and series names already used by the core and *stages*."""
    draws, series = set(CORE_DRAWS), set()
    for stage in stages:
        draws.update(stage.draws)
        series.update(stage.series)
    return draws, series


def register_stage(stage: Stage) -> Stage:
    """Add *stage* as a new team decision (after those registered before it).

    From now on scenarios may route clients to it (``routing: {profile: {<name>: share}}``),
    every new run draws its first-episode values, keeps its resources and samples its series,
    and the KPI table (``sim.results.KPIS``) names it. Runs in worker processes see it when
    they are forked from this one (as ``sim.replicate(..., jobs=2)`` does on Linux).
    """
    draws, series = _taken(iter(STAGES.values()))
    clash = (draws & set(stage.draws)) | (series & set(stage.series))
    if clash:
        raise ValueError(f"stage {stage.name!r}: {', '.join(sorted(clash))} already taken; "
                         "choose other draw and series names.")
    PATHWAYS.declare(stage.name)
    STAGES[stage.name] = stage
    _describe()
    return stage


def unregister_stage(name: str) -> None:
    """Remove a stage added by :func:`register_stage` (the built-in ones stay)."""
    if name in _BUILT_IN:
        raise ValueError(f"stage {name!r} is built in and cannot be removed.")
    del STAGES[name]
    PATHWAYS.withdraw(name)
    _describe()


def _describe() -> None:
    """Keep the KPI table in step with the registry."""
    results.describe_pathways(tuple(STAGES), {
        stage.name: (stage.title or stage.name, stage.started)
        for stage in STAGES.values() if stage.run is not None})


@cache
def client_type(draw_fields: tuple[str, ...]) -> type:
    """The client record: an id, then one field per first-episode draw.

    The ``n``-th client referred takes the ``n``-th value of each draw's stream (the ``n``-th
    client pre-loaded at day 0, of ``"initial." + name``), so a client meets the same luck in
    every scenario. Clients are built a block at a time (see :func:`clients`); pre-loaded
    clients are numbered first.
    """
    return namedtuple("Client", ("id", *draw_fields))


def clients(first_id: int, columns: list[Iterator[list]], record: type) -> Iterator[Any]:
    """Clients (of type *record*) numbered from ``first_id``; ``columns`` yield blocks of
    values, one per draw. C-level iterators build them a block at a time: a client costs one
    tuple."""
    return itertools.chain.from_iterable(_client_blocks(first_id, columns, record))


def _client_blocks(first_id: int, columns: list[Iterator[list]], record: type
                   ) -> Iterator[Iterator[Any]]:
    new = partial(tuple.__new__, record)  # a record from a ready tuple, without Python code
    start = first_id
    for block in zip(*columns):
        stop = start + len(block[0])
        yield map(new, zip(range(start, stop), *block))
        start = stop


class Picker:
    """Picks an option for a uniform draw ``u``: option ``i`` when the shares before it sum
    to ≤ u < the shares up to it, so options keep their slices of [0, 1) (CRN-friendly);
    a u beyond the rounded total goes to the last option with a share."""

    __slots__ = ("_edges", "_last")

    def __init__(self, shares: tuple[float, ...]) -> None:
        self._edges = list(itertools.accumulate(shares))
        self._last = max(i for i, p in enumerate(shares) if p > 0)

    def __call__(self, u: float) -> int:
        i = bisect_right(self._edges, u)
        return i if i <= self._last else self._last


# -- the journey -----------------------------------------------------------------------------

def journey(m: Model, c: Any, start: str = "referral") -> Proc:
    """The whole path of one client; ``start`` places a pre-loaded client mid-path: "team"
    (waiting for the team) or a stage's ``preload`` field such as "ips_in_service"."""
    if start == "referral" and not (yield from assessment(m, c)):
        return
    if start in ("referral", "team"):
        stage, entry = m.stages[(yield from team_decision(m, c))], DECIDED
    else:
        stage, entry = m.entries[start]
    while True:
        if stage.run is None:  # a direct exit
            return m.exit(c, EXITS.index(stage.exit))
        following = yield from stage.run(m, c, m.blocks[stage.name], entry)
        if following is None:
            return
        stage, entry = m.stage_by_name[following], REFERRED


def assessment(m: Model, c: Any) -> Proc:
    """Wait for a coordinator's case place (FIFO, may drop out), then the assessment."""
    granted = yield m.coordinators.acquire(c.assess_patience)
    if not granted:
        m.log((c.id, m.env.now, Event.RENEGE, 0))
        m.exit(c, X_DROPOUT)
        return False
    m.log((c.id, m.env.now, Event.ASSESS_START, 0))
    yield c.assess_days
    m.coordinators.release()
    m.log((c.id, m.env.now, Event.ASSESS_END, 0))
    return True


def team_decision(m: Model, c: Any) -> Proc:
    """Wait for the next team meeting with room on its agenda; the team picks a pathway
    (its index in ``PATHWAYS``)."""
    yield m.team.wait_for_decision()
    pathway = m.routes[c.profile](c.route_u)
    m.log((c.id, m.env.now, Event.DECISION, pathway))
    return pathway


# -- the stages --------------------------------------------------------------------------------

def ips_coaching(m: Model, c: Any, ips: Any, entry: str) -> Proc:
    """Caseload place -> search -> job -> follow-along; re-search after a job loss.

    The place is held from the start of coaching until step-down in stable work, drop-out,
    discharge after long unemployment (if set) or exit after a job loss. A client referred
    on from another stage draws every episode from the ``.later`` streams.
    """
    placed, later = entry == PLACED, entry == REFERRED
    env = m.env
    m.log((c.id, env.now, Event.IPS_QUEUE, 0))
    patience = m.later("ips_patience") if later else c.ips_patience
    if not (yield m.caseload.acquire(math.inf if placed else patience)):
        m.log((c.id, env.now, Event.RENEGE, 1))
        return m.exit(c, X_DROPOUT)
    m.log((c.id, env.now, Event.IPS_START, 0))
    episode = 0
    full_limit = ips.discharge_after_unemployed_days or math.inf
    # a client already on the caseload at day 0 has been searching for part of the limit
    limit = full_limit * (1 - m.streams["ips.elapsed"]()) if placed else full_limit
    while True:
        if episode == 0 and not later:
            finds, search, dropout, tenure, research_u = (
                c.finds_job, c.search_days, c.ips_dropout, c.tenure_days, c.research_u)
        else:  # later episodes draw in event order from their own streams
            later_draw = m.later
            finds = later_draw("finds_job")
            search = later_draw("search_days")
            dropout = later_draw("ips_dropout")
            tenure = later_draw("tenure_days")
            research_u = later_draw("research_u")
        search = search if finds else math.inf
        until = min(search, dropout, limit)
        yield until
        if until != search:  # dropped out, discharged, or (never) found work
            m.caseload.release()
            return m.exit(c, X_DROPOUT if until == dropout else X_OTHER)
        m.log((c.id, env.now, Event.JOB_START, 0))
        m.in_work.add(1)
        if tenure >= ips.step_down_after_employed_days:
            yield ips.step_down_after_employed_days
            m.in_work.add(-1)
            m.caseload.release()
            return m.exit(c, X_EMPLOYED)  # stable work: support steps down, place freed
        yield tenure
        m.in_work.add(-1)
        m.log((c.id, env.now, Event.JOB_END, 0))
        if research_u >= ips.research_after_job_loss_share:
            m.caseload.release()
            return m.exit(c, X_OTHER)
        yield ips.recontact_days
        episode += 1
        limit = full_limit


_ONWARD_EXITS = {"education": X_EDUCATION, "pension": X_PENSION}


def stepwise(m: Model, c: Any, sw: Any, entry: str) -> Proc:
    """Periods of rehabilitative work activity; returns "ips" when referred on to IPS."""
    placed = entry == PLACED
    env = m.env
    onward_names = sw.onward.NAMES
    period = 0
    while True:
        m.log((c.id, env.now, Event.STEP_QUEUE, 0))
        if period == 0:
            patience, days, dropout, onward_u = c.step_patience, c.step_days, c.step_dropout, \
                c.onward_u
        else:
            later_draw = m.later
            patience = later_draw("step_patience")
            days = later_draw("step_days")
            dropout = later_draw("step_dropout")
            onward_u = later_draw("onward_u")
        if not (yield m.places.acquire(math.inf if placed and period == 0 else patience)):
            m.log((c.id, env.now, Event.RENEGE, 2))
            return m.exit(c, X_DROPOUT)
        m.log((c.id, env.now, Event.STEP_START, 0))
        if dropout < days:
            yield dropout
            m.places.release()
            return m.exit(c, X_DROPOUT)
        yield days
        m.places.release()
        m.log((c.id, env.now, Event.STEP_END, 0))
        period += 1
        onward = onward_names[m.onward(onward_u)]
        if onward == "repeat" and period < sw.max_periods:
            continue
        if onward == "refer_ips":
            return "ips"
        if onward == "open_market":
            m.log((c.id, env.now, Event.JOB_START, 0))
            return m.exit(c, X_EMPLOYED)
        return m.exit(c, _ONWARD_EXITS.get(onward, X_OTHER))


def vocational(m: Model, c: Any, voc: Any, entry: str) -> Proc:
    """Vocational rehabilitation by an outside provider: a wait, the programme, an outcome."""
    if entry != PLACED:
        yield c.voc_wait
    m.log((c.id, m.env.now, Event.VOC_START, 0))
    m.in_vocational.add(1)
    if c.voc_dropout < c.voc_days:
        yield c.voc_dropout
        m.in_vocational.add(-1)
        return m.exit(c, X_DROPOUT)
    yield c.voc_days
    m.in_vocational.add(-1)
    m.log((c.id, m.env.now, Event.VOC_END, 0))
    if c.voc_outcome_u < voc.employment_share:
        m.log((c.id, m.env.now, Event.JOB_START, 0))
        return m.exit(c, X_EMPLOYED)
    return m.exit(c, X_OTHER)


# -- the pathways, stated once: three services, then three direct exits -------------------------

register_stage(Stage(
    "ips", run=ips_coaching, params=lambda s: s.ips, started=Event.IPS_START,
    title="IPS coaching", about="IPS coaching with a caseload cap that includes people in work",
    draws={"ips_patience": ("ips.dropout_waiting",
                            lambda p: exponential_time(p.dropout_per_year_waiting)),
           "finds_job": ("ips.job_finder", lambda p: lambda u: u < p.job_finding_share),
           "search_days": ("ips.days_to_job",
                           lambda p: sampler(p.days_to_job, scale=p.job_rate_multiplier)),
           "tenure_days": ("ips.job_tenure", lambda p: sampler(p.job_tenure)),
           "ips_dropout": ("ips.dropout_in_service",
                           lambda p: exponential_time(p.dropout_per_year_in_service)),
           "research_u": ("ips.research", None)},
    resources=lambda env, p: {"caseload": Pool(env, p.slots), "in_work": Level(env)},
    series={"ips_waiting": "caseload.waiting", "ips_caseload": "caseload.busy",
            "ips_in_work": "in_work.value"},
    preload={"ips_in_service": PLACED, "ips_waiting": DECIDED}))
register_stage(Stage(
    "stepwise", run=stepwise, params=lambda s: s.stepwise, started=Event.STEP_START,
    title="stepwise work activity",
    about="stepwise rehabilitative work activity with onward moves",
    draws={"step_patience": ("stepwise.dropout_waiting",
                             lambda p: exponential_time(p.dropout_per_year_waiting)),
           "step_days": ("stepwise.duration", lambda p: sampler(p.duration)),
           "step_dropout": ("stepwise.dropout_in_service",
                            lambda p: exponential_time(p.dropout_per_year_in_service)),
           "onward_u": ("stepwise.onward", None)},
    resources=lambda env, p: {"places": Pool(env, p.places),
                              "onward": Picker(p.onward.probabilities())},
    series={"stepwise_waiting": "places.waiting", "stepwise_in_service": "places.busy"},
    preload={"stepwise_in_service": PLACED}))
register_stage(Stage(
    "vocational", run=vocational, params=lambda s: s.vocational, started=Event.VOC_START,
    title="vocational rehabilitation", about="vocational rehabilitation",
    draws={"voc_wait": ("vocational.wait", lambda p: sampler(p.wait)),
           "voc_days": ("vocational.duration", lambda p: sampler(p.duration)),
           "voc_dropout": ("vocational.dropout",
                           lambda p: exponential_time(p.dropout_per_year_in_service)),
           "voc_outcome_u": ("vocational.outcome", None)},
    resources=lambda env, p: {"in_vocational": Level(env)},
    series={"vocational_in_service": "in_vocational.value"},
    preload={"vocational_in_service": PLACED}))
for _exit in ("education", "pension", "other"):
    register_stage(Stage(_exit, exit=_exit))

_BUILT_IN = frozenset(STAGES)

Client = client_type((*CORE_DRAWS, *(f for stage in STAGES.values() for f in stage.draws)))
"""The client record of the built-in stages (a registered stage adds its draws)."""
