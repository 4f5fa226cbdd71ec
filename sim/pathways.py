"""The client's journey as simpy processes that read like the service path.

referral -> coordinator assessment -> team decision -> pathway (IPS coaching, stepwise work
activity or vocational rehabilitation) -> exit. Every first-episode random quantity is drawn
at referral from its own named stream, in referral order, so a client meets the same luck in
every scenario (common random numbers), whatever routing or staffing change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, NamedTuple

from .results import Event
from .scenario import EXITS, PATHWAYS

if TYPE_CHECKING:  # pragma: no cover
    from .model import Model

__all__ = ["Client", "FirstDraws", "STREAM_NAMES", "journey", "ENTRY_STAGES"]

IPS, STEPWISE, VOCATIONAL = (PATHWAYS.index(p) for p in ("ips", "stepwise", "vocational"))
X_EMPLOYED, X_EDUCATION, X_PENSION, X_DROPOUT, X_OTHER = (EXITS.index(x) for x in EXITS)
_DIRECT_EXIT = {PATHWAYS.index("education"): X_EDUCATION,
                PATHWAYS.index("pension"): X_PENSION, PATHWAYS.index("other"): X_OTHER}
ENTRY_STAGES = ("referral", "team", "ips_waiting", "ips_in_service", "stepwise_in_service",
                "vocational_in_service")

Proc = Generator  # a simpy process body


class Client:
    """One person's first-episode luck, drawn at referral (latent attributes for CRN)."""

    __slots__ = ("id", "profile", "route_u", "assess_days", "assess_patience", "ips_patience",
                 "finds_job", "search_days", "tenure_days", "ips_dropout", "research_u",
                 "step_patience", "step_days", "step_dropout", "onward_u", "voc_wait",
                 "voc_days", "voc_dropout", "voc_outcome_u")

    def __init__(self, cid: int, d: FirstDraws) -> None:
        self.id = cid
        self.profile = d.profile()
        self.route_u = d.routing()
        self.assess_days = d.assess_days()
        self.assess_patience = d.assess_patience()
        self.ips_patience = d.ips_patience()
        self.finds_job = d.finds_job()
        self.search_days = d.search_days()
        self.tenure_days = d.tenure_days()
        self.ips_dropout = d.ips_dropout()
        self.research_u = d.research_u()
        self.step_patience = d.step_patience()
        self.step_days = d.step_days()
        self.step_dropout = d.step_dropout()
        self.onward_u = d.onward_u()
        self.voc_wait = d.voc_wait()
        self.voc_days = d.voc_days()
        self.voc_dropout = d.voc_dropout()
        self.voc_outcome_u = d.voc_outcome_u()


class FirstDraws(NamedTuple):
    """The named streams a client draws from at referral (one value each, in order)."""

    profile: Callable[[], float]
    routing: Callable[[], float]
    assess_days: Callable[[], float]
    assess_patience: Callable[[], float]
    ips_patience: Callable[[], float]
    finds_job: Callable[[], float]
    search_days: Callable[[], float]
    tenure_days: Callable[[], float]
    ips_dropout: Callable[[], float]
    research_u: Callable[[], float]
    step_patience: Callable[[], float]
    step_days: Callable[[], float]
    step_dropout: Callable[[], float]
    onward_u: Callable[[], float]
    voc_wait: Callable[[], float]
    voc_days: Callable[[], float]
    voc_dropout: Callable[[], float]
    voc_outcome_u: Callable[[], float]


STREAM_NAMES = {"profile": "profile", "routing": "routing",
                "assess_days": "assessment.duration", "assess_patience": "assessment.dropout",
                "ips_patience": "ips.dropout_waiting", "finds_job": "ips.job_finder",
                "search_days": "ips.days_to_job", "tenure_days": "ips.job_tenure",
                "ips_dropout": "ips.dropout_in_service", "research_u": "ips.research",
                "step_patience": "stepwise.dropout_waiting", "step_days": "stepwise.duration",
                "step_dropout": "stepwise.dropout_in_service", "onward_u": "stepwise.onward",
                "voc_wait": "vocational.wait", "voc_days": "vocational.duration",
                "voc_dropout": "vocational.dropout", "voc_outcome_u": "vocational.outcome"}
"""FirstDraws field -> stream name (the name is what seeds the stream)."""


def _pick(u: float, probabilities: tuple[float, ...]) -> int:
    acc = 0.0
    for i, p in enumerate(probabilities):
        acc += p
        if u < acc:
            return i
    return max(i for i, p in enumerate(probabilities) if p > 0)


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
        m.log(c, Event.RENEGE, 0)
        m.exit(c, X_DROPOUT)
        return False
    m.log(c, Event.ASSESS_START)
    yield m.env.timeout(c.assess_days)
    m.coordinators.release()
    m.log(c, Event.ASSESS_END)
    return True


def team_decision(m: Model, c: Client) -> Proc:
    """Wait for the next team meeting with room on its agenda; the team picks a pathway."""
    yield m.team.wait_for_decision()
    pathway = _pick(c.route_u, m.routes[c.profile])
    m.log(c, Event.DECISION, pathway)
    return pathway


def ips_coaching(m: Model, c: Client, *, placed: bool = False, later: bool = False) -> Proc:
    """Caseload place -> search -> job -> follow-along; re-search after a job loss.

    The place is held from the start of coaching until step-down in stable work, drop-out,
    discharge after long unemployment (if set) or exit after a job loss.
    """
    ips = m.s.ips
    env = m.env
    m.log(c, Event.IPS_QUEUE)
    patience = m.later("ips_patience") if later else c.ips_patience
    if not (yield m.caseload.acquire(math.inf if placed else patience)):
        m.log(c, Event.RENEGE, 1)
        return m.exit(c, X_DROPOUT)
    m.log(c, Event.IPS_START)
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
        yield env.timeout(until)
        if until != search:  # dropped out, discharged, or (never) found work
            m.caseload.release()
            return m.exit(c, X_DROPOUT if until == dropout else X_OTHER)
        m.log(c, Event.JOB_START)
        m.in_work.add(1)
        if tenure >= ips.step_down_after_employed_days:
            yield env.timeout(ips.step_down_after_employed_days)
            m.in_work.add(-1)
            m.caseload.release()
            return m.exit(c, X_EMPLOYED)  # stable work: support steps down, place freed
        yield env.timeout(tenure)
        m.in_work.add(-1)
        m.log(c, Event.JOB_END)
        if research_u >= ips.research_after_job_loss_share:
            m.caseload.release()
            return m.exit(c, X_OTHER)
        yield env.timeout(ips.recontact_days)
        episode += 1
        limit = full_limit


def stepwise(m: Model, c: Client, *, placed: bool = False) -> Proc:
    """Periods of rehabilitative work activity; returns True when referred on to IPS."""
    sw = m.s.stepwise
    env = m.env
    onward_names = sw.onward.NAMES
    period = 0
    while True:
        m.log(c, Event.STEP_QUEUE)
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
            m.log(c, Event.RENEGE, 2)
            m.exit(c, X_DROPOUT)
            return False
        m.log(c, Event.STEP_START)
        if dropout < days:
            yield env.timeout(dropout)
            m.places.release()
            m.exit(c, X_DROPOUT)
            return False
        yield env.timeout(days)
        m.places.release()
        m.log(c, Event.STEP_END)
        period += 1
        onward = onward_names[_pick(onward_u, sw.onward.probabilities())]
        if onward == "repeat" and period < sw.max_periods:
            continue
        if onward == "refer_ips":
            return True
        if onward == "open_market":
            m.log(c, Event.JOB_START)
            m.exit(c, X_EMPLOYED)
        else:
            m.exit(c, {"education": X_EDUCATION, "pension": X_PENSION}.get(onward, X_OTHER))
        return False


def vocational(m: Model, c: Client, *, started: bool = False) -> Proc:
    """Vocational rehabilitation by an outside provider: a wait, the programme, an outcome."""
    if not started:
        yield m.env.timeout(c.voc_wait)
    m.log(c, Event.VOC_START)
    m.in_vocational.add(1)
    if c.voc_dropout < c.voc_days:
        yield m.env.timeout(c.voc_dropout)
        m.in_vocational.add(-1)
        return m.exit(c, X_DROPOUT)
    yield m.env.timeout(c.voc_days)
    m.in_vocational.add(-1)
    m.log(c, Event.VOC_END)
    if c.voc_outcome_u < m.s.vocational.employment_share:
        m.log(c, Event.JOB_START)
        return m.exit(c, X_EMPLOYED)
    return m.exit(c, X_OTHER)
