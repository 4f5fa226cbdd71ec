"""The client's journey as flows (light simpy processes) that read like the service path.

referral -> coordinator assessment -> team decision -> pathway (IPS coaching, stepwise work
activity or vocational rehabilitation) -> exit. A flow yields a number of days to hold, or
what a queue's ``acquire`` returns (see :mod:`sim.engine`). Every first-episode random
quantity is drawn at referral from its own named stream, in referral order, so a client
meets the same luck in every scenario (common random numbers), whatever routing or staffing
change.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Generator, Iterator
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from .results import Event
from .scenario import EXITS, PATHWAYS

if TYPE_CHECKING:  # pragma: no cover
    from .model import Model

__all__ = ["Client", "STREAM_NAMES", "Picker", "clients", "journey", "ENTRY_STAGES"]

IPS, STEPWISE, VOCATIONAL = (PATHWAYS.index(p) for p in ("ips", "stepwise", "vocational"))
X_EMPLOYED, X_EDUCATION, X_PENSION, X_DROPOUT, X_OTHER = (EXITS.index(x) for x in EXITS)
_DIRECT_EXIT = {PATHWAYS.index("education"): X_EDUCATION,
                PATHWAYS.index("pension"): X_PENSION, PATHWAYS.index("other"): X_OTHER}
ENTRY_STAGES = ("referral", "team", "ips_waiting", "ips_in_service", "stepwise_in_service",
                "vocational_in_service")

Proc = Generator  # a flow's body (sim.engine.Flow)


class Client(NamedTuple):
    """One person: an id and the first-episode luck drawn at referral (CRN latent values).

    The ``n``-th client referred takes the ``n``-th value of each stream in
    :data:`STREAM_NAMES` (the ``n``-th client pre-loaded at day 0, of ``"initial." + name``),
    so a client meets the same luck in every scenario. Clients are built a block at a time
    (see :func:`clients`); pre-loaded clients are numbered first.
    """

    id: int
    profile: int
    route_u: float
    assess_days: float
    assess_patience: float
    ips_patience: float
    finds_job: bool
    search_days: float
    tenure_days: float
    ips_dropout: float
    research_u: float
    step_patience: float
    step_days: float
    step_dropout: float
    onward_u: float
    voc_wait: float
    voc_days: float
    voc_dropout: float
    voc_outcome_u: float


STREAM_NAMES = {"profile": "profile", "route_u": "routing",
                "assess_days": "assessment.duration", "assess_patience": "assessment.dropout",
                "ips_patience": "ips.dropout_waiting", "finds_job": "ips.job_finder",
                "search_days": "ips.days_to_job", "tenure_days": "ips.job_tenure",
                "ips_dropout": "ips.dropout_in_service", "research_u": "ips.research",
                "step_patience": "stepwise.dropout_waiting", "step_days": "stepwise.duration",
                "step_dropout": "stepwise.dropout_in_service", "onward_u": "stepwise.onward",
                "voc_wait": "vocational.wait", "voc_days": "vocational.duration",
                "voc_dropout": "vocational.dropout", "voc_outcome_u": "vocational.outcome"}
"""Client field -> stream name (the name is what seeds the stream)."""

assert tuple(STREAM_NAMES) == Client._fields[1:]


_new_client = partial(tuple.__new__, Client)  # Client from a ready tuple, without Python code


def clients(first_id: int, columns: list[Iterator[list]]) -> Iterator[Client]:
    """Clients numbered from ``first_id``; ``columns`` yield blocks of values, one per field.

    C-level iterators build them a block at a time: a client costs one tuple.
    """
    return itertools.chain.from_iterable(_client_blocks(first_id, columns))


def _client_blocks(first_id: int, columns: list[Iterator[list]]) -> Iterator[Iterator[Client]]:
    start = first_id
    for block in zip(*columns):
        stop = start + len(block[0])
        yield map(_new_client, zip(range(start, stop), *block))
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


def journey(m: Model, c: Client, entry: str = "referral") -> Proc:
    """The whole path of one client; ``entry`` places a pre-loaded client mid-path."""
    if entry == "referral" and not (yield from assessment(m, c)):
        return
    if entry in ("referral", "team"):
        pathway = yield from team_decision(m, c)
    else:
        pathway = {"ips_waiting": IPS, "ips_in_service": IPS, "stepwise_in_service": STEPWISE,
                   "vocational_in_service": VOCATIONAL}[entry]
    if pathway == STEPWISE:
        refer_on = yield from stepwise(m, c, placed=entry == "stepwise_in_service")
        if refer_on:
            yield from ips_coaching(m, c, later=True)
    elif pathway == IPS:
        yield from ips_coaching(m, c, placed=entry == "ips_in_service")
    elif pathway == VOCATIONAL:
        yield from vocational(m, c, started=entry == "vocational_in_service")
    else:
        m.exit(c, _DIRECT_EXIT[pathway])


def assessment(m: Model, c: Client) -> Proc:
    """Wait for a coordinator's case place (FIFO, may drop out), then the assessment."""
    granted = yield m.coordinators.acquire(c.assess_patience)
    if not granted:
        m.log((c.id, m.env._now, Event.RENEGE, 0))
        m.exit(c, X_DROPOUT)
        return False
    m.log((c.id, m.env._now, Event.ASSESS_START, 0))
    yield c.assess_days
    m.coordinators.release()
    m.log((c.id, m.env._now, Event.ASSESS_END, 0))
    return True


def team_decision(m: Model, c: Client) -> Proc:
    """Wait for the next team meeting with room on its agenda; the team picks a pathway."""
    yield m.team.wait_for_decision()
    pathway = m.routes[c.profile](c.route_u)
    m.log((c.id, m.env._now, Event.DECISION, pathway))
    return pathway


def ips_coaching(m: Model, c: Client, *, placed: bool = False, later: bool = False) -> Proc:
    """Caseload place -> search -> job -> follow-along; re-search after a job loss.

    The place is held from the start of coaching until step-down in stable work, drop-out,
    discharge after long unemployment (if set) or exit after a job loss.
    """
    ips = m.s.ips
    env = m.env
    m.log((c.id, env._now, Event.IPS_QUEUE, 0))
    patience = m.later("ips_patience") if later else c.ips_patience
    if not (yield m.caseload.acquire(math.inf if placed else patience)):
        m.log((c.id, env._now, Event.RENEGE, 1))
        return m.exit(c, X_DROPOUT)
    m.log((c.id, env._now, Event.IPS_START, 0))
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
        m.log((c.id, env._now, Event.JOB_START, 0))
        m.in_work.add(1)
        if tenure >= ips.step_down_after_employed_days:
            yield ips.step_down_after_employed_days
            m.in_work.add(-1)
            m.caseload.release()
            return m.exit(c, X_EMPLOYED)  # stable work: support steps down, place freed
        yield tenure
        m.in_work.add(-1)
        m.log((c.id, env._now, Event.JOB_END, 0))
        if research_u >= ips.research_after_job_loss_share:
            m.caseload.release()
            return m.exit(c, X_OTHER)
        yield ips.recontact_days
        episode += 1
        limit = full_limit


def stepwise(m: Model, c: Client, *, placed: bool = False) -> Proc:
    """Periods of rehabilitative work activity; returns True when referred on to IPS."""
    sw = m.s.stepwise
    env = m.env
    onward_names = sw.onward.NAMES
    period = 0
    while True:
        m.log((c.id, env._now, Event.STEP_QUEUE, 0))
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
            m.log((c.id, env._now, Event.RENEGE, 2))
            m.exit(c, X_DROPOUT)
            return False
        m.log((c.id, env._now, Event.STEP_START, 0))
        if dropout < days:
            yield dropout
            m.places.release()
            m.exit(c, X_DROPOUT)
            return False
        yield days
        m.places.release()
        m.log((c.id, env._now, Event.STEP_END, 0))
        period += 1
        onward = onward_names[m.onward(onward_u)]
        if onward == "repeat" and period < sw.max_periods:
            continue
        if onward == "refer_ips":
            return True
        if onward == "open_market":
            m.log((c.id, env._now, Event.JOB_START, 0))
            m.exit(c, X_EMPLOYED)
        else:
            m.exit(c, {"education": X_EDUCATION, "pension": X_PENSION}.get(onward, X_OTHER))
        return False


def vocational(m: Model, c: Client, *, started: bool = False) -> Proc:
    """Vocational rehabilitation by an outside provider: a wait, the programme, an outcome."""
    if not started:
        yield c.voc_wait
    m.log((c.id, m.env._now, Event.VOC_START, 0))
    m.in_vocational.add(1)
    if c.voc_dropout < c.voc_days:
        yield c.voc_dropout
        m.in_vocational.add(-1)
        return m.exit(c, X_DROPOUT)
    yield c.voc_days
    m.in_vocational.add(-1)
    m.log((c.id, m.env._now, Event.VOC_END, 0))
    if c.voc_outcome_u < m.s.vocational.employment_share:
        m.log((c.id, m.env._now, Event.JOB_START, 0))
        return m.exit(c, X_EMPLOYED)
    return m.exit(c, X_OTHER)
