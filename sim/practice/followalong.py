"""Support in work (follow-along), fading, and the review of a job ending.

The pure logic behind the module 12 planner:

* :class:`SupportPlan` / :func:`contact_days` / :func:`review_plan`: a coach's plan of face-to-face
  contacts after a client starts work, how it fades, whether the service sets an end date, who
  continues when the coach steps back, and whether the client is asked what support he wants.
  The contact rhythm is compared with the top anchor of the follow-along fidelity item (contact
  within three days of the start, weekly in the first month, at least monthly for a year), which is
  unconfirmed in the course's sources, so those findings say so. Time-unlimited support is an IPS
  principle (C13); support fading as work settles and reaching the employer is S0 and C20.
* :class:`JobEnding` / :func:`review_ending`: what a coach does after a job ends: whether the
  ending was satisfactory in the sense of C43, contact within three days (unconfirmed anchor), the
  profile updated after every job (C7), the client's own account written down (the course's
  practice guidance), and a next step that does not close the case (C13).

The reviews return :class:`~sim.practice.findings.Finding` s. Labels, finding texts and the
fictional case are data in ``sim/data/practice/followalong.yaml``, read through
:func:`sim.learning.text.load_data`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

from sim.learning.text import Bilingual, load_data
from sim.practice.findings import LEVELS, Finding, by_level, finding, needs_work

__all__ = [
    "BASES", "CONTACT_AFTER_START_MAX_DAYS", "CONTACT_AFTER_LOSS_MAX_DAYS", "EXAMPLE_CLIENT",
    "EXAMPLE_ENDING", "EXAMPLE_PLAN", "FIRST_MONTH_WEEKS", "FollowAlongError", "Finding", "HORIZON_DAYS",
    "JobEnding",
    "LEVELS", "MONTHLY_WEEKS", "NEXT_STEPS", "REASONS", "STEP_DOWN", "SupportPlan", "UNSATISFACTORY",
    "contact_days", "contacts_by_month", "review_ending", "review_plan",
]

DATA_FILE = "practice/followalong.yaml"
_DATA = load_data(DATA_FILE)

STEP_DOWN: Mapping[str, Bilingual] = MappingProxyType(_DATA["step_down"])
REASONS: Mapping[str, Bilingual] = MappingProxyType({k: v["label"] for k, v in _DATA["reasons"].items()})
#: Endings C43 counts as unsatisfactory: quitting without a plan, being fired.
UNSATISFACTORY: frozenset[str] = frozenset(k for k, v in _DATA["reasons"].items() if v["unsatisfactory"])
NEXT_STEPS: Mapping[str, Bilingual] = MappingProxyType(_DATA["next_steps"])
BASES: Mapping[str, Bilingual] = MappingProxyType(_DATA["bases"])
# The follow-along item's top anchor (unconfirmed [U], see sim/data/practice/followalong.yaml):
CONTACT_AFTER_START_MAX_DAYS = 3
FIRST_MONTH_WEEKS = 4
MONTHLY_WEEKS = 4
CONTACT_AFTER_LOSS_MAX_DAYS = 3
HORIZON_DAYS = 365  # the plan's first year
_MONTH_DAYS = 365 / 12
_finding = partial(finding, _DATA)


class FollowAlongError(ValueError):
    """A plan or job ending with a value out of range; the message names the field and the fix."""


def _whole(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FollowAlongError(f"{field} is {value!r}; use a whole number from {low} to {high}")
    return value


def _key(value: str, table: Mapping[str, Bilingual], field: str) -> str:
    if value not in table:
        raise FollowAlongError(f"{field}: unknown value {value!r}; use one of {', '.join(table)}")
    return value


@dataclass(frozen=True, kw_only=True)
class SupportPlan:
    """A coach's support plan after a start at work.

    The first face-to-face contact is on day ``first_contact_days`` after the start, then one a week
    for ``weekly_weeks`` weeks, then one every ``later_every_weeks`` weeks. ``months`` is an end date
    set by the service (``None``: none; support fades by agreement instead).
    """

    first_contact_days: int = 3
    weekly_weeks: int = 4
    later_every_weeks: int = 4
    months: int | None = None
    employer_contact: bool = True
    step_down: str = "mental_health_nurse"
    client_review: bool = True

    def __post_init__(self) -> None:
        _whole(self.first_contact_days, "first_contact_days", 0, 30)
        _whole(self.weekly_weeks, "weekly_weeks", 0, 26)
        _whole(self.later_every_weeks, "later_every_weeks", 1, 12)
        if self.months is not None:
            _whole(self.months, "months", 1, 24)
        _key(self.step_down, STEP_DOWN, "step_down")


def contact_days(plan: SupportPlan) -> tuple[int, ...]:
    """Days after the start on which the plan has a face-to-face contact, within the first year."""
    end = HORIZON_DAYS if plan.months is None else min(HORIZON_DAYS, round(plan.months * _MONTH_DAYS))
    days = {plan.first_contact_days}
    days |= {7 * w for w in range(1, plan.weekly_weeks + 1)}
    day = max(plan.first_contact_days, 7 * plan.weekly_weeks) + 7 * plan.later_every_weeks
    while day < end:
        days.add(day)
        day += 7 * plan.later_every_weeks
    return tuple(sorted(d for d in days if d < end))


def contacts_by_month(plan: SupportPlan) -> tuple[int, ...]:
    """Contacts in each of the first twelve months after the start."""
    counts = [0] * 12
    for day in contact_days(plan):
        counts[min(11, int(day // _MONTH_DAYS))] += 1
    return tuple(counts)


def review_plan(plan: SupportPlan) -> tuple[Finding, ...]:
    """Findings on a support plan, errors and warnings first; ``plan.ready`` when none needs work."""
    found = []
    if plan.first_contact_days > CONTACT_AFTER_START_MAX_DAYS:
        found.append(_finding("plan.first_contact_late", days=plan.first_contact_days))
    if plan.weekly_weeks < FIRST_MONTH_WEEKS:
        found.append(_finding("plan.first_month_thin", weeks=plan.weekly_weeks))
    if plan.later_every_weeks > MONTHLY_WEEKS:
        found.append(_finding("plan.gaps_too_long", weeks=plan.later_every_weeks))
    if plan.months is not None:
        found.append(_finding("plan.end_date", months=plan.months))
    if plan.step_down == "none":
        found.append(_finding("plan.no_step_down"))
    if not plan.employer_contact:
        found.append(_finding("plan.no_employer"))
    if not plan.client_review:
        found.append(_finding("plan.no_client_voice"))
    found.append(_finding("plan.contacts", contacts=len(contact_days(plan))))
    if not needs_work(found):
        found.append(_finding("plan.ready"))
    return by_level(found)


@dataclass(frozen=True, kw_only=True)
class JobEnding:
    """What is known when a job has ended, and the next step agreed."""

    reason: str
    months_in_job: int
    days_to_contact: int
    lessons_recorded: bool = False
    client_account_recorded: bool = False
    next_step: str = "new_search"

    def __post_init__(self) -> None:
        _key(self.reason, REASONS, "reason")
        _whole(self.months_in_job, "months_in_job", 0, 120)
        _whole(self.days_to_contact, "days_to_contact", 0, 90)
        _key(self.next_step, NEXT_STEPS, "next_step")

    @property
    def unsatisfactory(self) -> bool:
        return self.reason in UNSATISFACTORY


def review_ending(ending: JobEnding) -> tuple[Finding, ...]:
    """Findings on a job ending and the step agreed after it, errors and warnings first."""
    found = [_finding("ending.unsatisfactory" if ending.unsatisfactory else "ending.satisfactory"),
             _finding("ending.tenure", tenure=ending.months_in_job)]
    if ending.days_to_contact > CONTACT_AFTER_LOSS_MAX_DAYS:
        found.append(_finding("ending.contact_late", days=ending.days_to_contact))
    if not ending.lessons_recorded:
        found.append(_finding("ending.no_lessons"))
    if not ending.client_account_recorded:
        found.append(_finding("ending.no_client_account"))
    found.append(_finding(f"ending.{ending.next_step}"))
    return by_level(found)


def _example_plan() -> SupportPlan:
    return SupportPlan(**_DATA["example"]["plan"])


def _example_ending() -> JobEnding:
    return JobEnding(**_DATA["example"]["ending"])


#: Module 12's fictional case: Petri's first support plan and the first notes on his job ending.
EXAMPLE_CLIENT: str = _DATA["example"]["client"]
EXAMPLE_PLAN: SupportPlan = _example_plan()
EXAMPLE_ENDING: JobEnding = _example_ending()
