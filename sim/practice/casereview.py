"""The rule check of a case plan against IPS practice: :func:`check` returns :class:`Finding` s.

Each rule is a small generator registered with ``@_rule(rule_id, severity, principle, fidelity item,
*sources)``; it looks at a :class:`~sim.practice.caseplan.CasePlan` and yields one hit per problem
(the field to fix, which of its texts to show, and the values for that text's ``{fields}``). A rule's
texts sit in ``sim/data/practice/caseplan_rules.yaml`` under the rule's own id, so registering a rule
whose texts are missing fails at import, and a test checks that every text there has its rule.

A finding is tied to an IPS principle (C13) or a fidelity item; ``sources`` holds confirmed codes
only. A rule whose standard comes from an unconfirmed fidelity anchor is ``unconfirmed``: its
docstring marks the anchor [U] and every finding's message ends by saying so.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from sim.learning.text import LANGUAGES, Bilingual, load_data, number
from sim.practice.benefits import BENEFITS
from sim.practice.caseplan import CasePlan, CasePlanError, Step

__all__ = [
    "Finding", "RAPID_SEARCH_MAX_WEEK", "RELAPSE_CONTACT_MAX_DAYS", "RULES", "Rule", "SEVERITIES",
    "TEXTS_FILE", "check",
]

TEXTS_FILE = "practice/caseplan_rules.yaml"
SEVERITIES = ("error", "warning", "info")
RAPID_SEARCH_MAX_WEEK = 4  # 30 days (C13): a step due in week 4 lands on day 28 at the latest
RELAPSE_CONTACT_MAX_DAYS = 3  # SV12 [U]


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One rule result; ``message("fi")`` is its text. ``principle`` is an IPS principle key (see
    :data:`sim.practice.caseplan.PRINCIPLES`) or a fidelity item id."""

    rule_id: str
    severity: str
    message: Bilingual
    principle: str
    field: str
    fidelity_item: str | None = None
    sources: tuple[str, ...] = ()
    unconfirmed: bool = False  # the rule rests on an unconfirmed fidelity anchor; the message says so


class _Hit(NamedTuple):
    """What a rule yields: the field to fix, the name of the text to show, values for its fields."""

    field: str
    text: str
    values: Mapping[str, object]


def _hit(field: str, text: str = "message", **values: object) -> _Hit:
    return _Hit(field, text, values)


@dataclass(frozen=True)
class Rule:
    """A registered check: stable id, severity, IPS principle (or item id), fidelity item, sources,
    and its texts (``texts["message"]`` and any variants it picks), from :data:`TEXTS_FILE`."""

    rule_id: str
    severity: str
    principle: str
    fidelity_item: str | None
    sources: tuple[str, ...]
    func: Callable[[CasePlan], Iterator[_Hit]]
    texts: Mapping[str, Bilingual]
    unconfirmed: bool = False

    @property
    def doc(self) -> str:
        return self.func.__doc__ or ""


_TEXTS = load_data(TEXTS_FILE)
_UNCONFIRMED_NOTE: Bilingual = _TEXTS["unconfirmed_note"]
_RULES: list[Rule] = []


def _rule(rule_id: str, severity: str, principle: str, item: str | None, *sources: str,
          unconfirmed: bool = False):
    texts = MappingProxyType(_TEXTS["rules"].get(rule_id, {}))
    if "message" not in texts:
        raise LookupError(f"{TEXTS_FILE}: rule {rule_id!r} has no texts; add rules.{rule_id}.message")

    def register(func: Callable[[CasePlan], Iterator[_Hit]]):
        _RULES.append(Rule(rule_id, severity, principle, item, sources, func, texts, unconfirmed))
        return func
    return register


def _blank(s: str | None) -> bool:
    return s is None or not s.strip()


def _contact_steps(plan: CasePlan) -> list[tuple[int, Step]]:
    return [(i, s) for i, s in enumerate(plan.steps) if s.employer_contact]


@_rule("rapid-search-late", "error", "rapid_job_search", "SV4", "C13")
def _rapid_search_late(plan):
    """First face-to-face employer contact should come within 30 days, i.e. by week 4 (C13; SV4)."""
    steps = _contact_steps(plan)
    if steps:
        i, s = min(steps, key=lambda t: t[1].due_week)
        if s.due_week > RAPID_SEARCH_MAX_WEEK:
            yield _hit(f"steps[{i}].due_week", step=s.description, week=s.due_week, days=7 * s.due_week)


@_rule("no-employer-contact", "error", "rapid_job_search", "SV4", "C13")
def _no_employer_contact(plan):
    """A plan needs at least one step that meets employers face to face (C13 rapid search; SV4, SV6)."""
    if not _contact_steps(plan):
        yield _hit("steps")


@_rule("benefits-plan-missing", "error", "benefits_counselling", "SV1", "C13")
def _benefits_missing(plan):
    """A client who receives a benefit needs a benefits plan before working (principle 5, C13; SV1)."""
    received = tuple(BENEFITS[b] for b in plan.client.benefits if b != "none")
    if received and plan.benefits is None:
        yield _hit("benefits", benefits=received)


@_rule("benefits-counselling-late", "error", "benefits_counselling", "SV1", "C13", unconfirmed=True)
def _benefits_late(plan):
    """Counselling must be scheduled, and before the planned job start (SV1 [U]; principle 5, C13)."""
    b = plan.benefits
    if b is not None and b.counselling_week is None:
        yield _hit("benefits.counselling_week", "unscheduled")
    elif b is not None and b.planned_job_start_week is not None \
            and b.counselling_week >= b.planned_job_start_week:
        yield _hit("benefits.counselling_week", week=b.counselling_week, start=b.planned_job_start_week)


@_rule("benefits-untrained", "warning", "benefits_counselling", "SV1", unconfirmed=True)
def _benefits_untrained(plan):
    """SV1 expects counselling from a person trained in benefits (SV1 [U])."""
    if plan.benefits is not None and not plan.benefits.by_trained_person:
        yield _hit("benefits.by_trained_person")


@_rule("benefits-no-earnings-reporting", "warning", "benefits_counselling", "SV1", "C72", unconfirmed=True)
def _benefits_reporting(plan):
    """Counselling covers how to report earnings, as benefits are adjusted to pay (SV1 [U]; C72)."""
    if plan.benefits is not None and not plan.benefits.covers_earnings_reporting:
        yield _hit("benefits.covers_earnings_reporting")


@_rule("parallel-service-no-owner", "warning", "integration_with_treatment", None, "S3")
def _parallel_no_owner(plan):
    """Each parallel service has a named owner so nothing falls between services (S3)."""
    for i, p in enumerate(plan.parallel_services):
        if _blank(p.owner):
            yield _hit(f"parallel_services[{i}].owner", name=p.name)


@_rule("parallel-service-no-review", "info", "integration_with_treatment", None, "S3")
def _parallel_no_review(plan):
    """Parallel services carry a review date (S3)."""
    for i, p in enumerate(plan.parallel_services):
        if p.review_week is None:
            yield _hit(f"parallel_services[{i}].review_week", name=p.name)


@_rule("entry-barrier", "error", "zero_exclusion", "O6", "C13")
def _entry_barrier(plan):
    """Nobody who wants work is screened out or told to get 'ready' first (zero exclusion, C13; O6)."""
    if not _blank(plan.exclusion_reason):
        yield _hit("exclusion_reason", "exclusion", reason=plan.exclusion_reason)
    for i, r in enumerate(plan.readiness_requirements):
        yield _hit(f"readiness_requirements[{i}]", reason=r)


@_rule("follow-along-missing", "error", "time_unlimited_support", "SV11", "C13")
def _follow_missing(plan):
    """Support continues once the person is in work (principle 8, C13; SV11, SV12)."""
    if plan.follow_along is None:
        yield _hit("follow_along")


@_rule("support-time-limited", "error", "time_unlimited_support", "SV12", "C13", "S3")
def _time_limited(plan):
    """Support has no agency end date (principle 8, C13; SV12); Finnish project funding often sets one
    (S3)."""
    f = plan.follow_along
    if f is not None and f.end_week is not None:
        yield _hit("follow_along.time_limited", "ends", week=f.end_week)
    elif f is not None and f.time_limited:
        yield _hit("follow_along.time_limited")


@_rule("follow-along-sparse", "warning", "time_unlimited_support", "SV12", unconfirmed=True)
def _follow_sparse(plan):
    """After month one, contact is at least monthly for as long as the person wants (SV12 [U])."""
    if plan.follow_along is not None and plan.follow_along.min_contacts_per_month < 1:
        yield _hit("follow_along.min_contacts_per_month")


@_rule("no-step-down-owner", "warning", "time_unlimited_support", "SV12", unconfirmed=True)
def _no_step_down(plan):
    """Once work is steady, support passes to a named person such as treatment staff (SV12 [U])."""
    if plan.follow_along is not None and _blank(plan.follow_along.step_down_owner):
        yield _hit("follow_along.step_down_owner")


@_rule("relapse-contact-slow", "warning", "time_unlimited_support", "SV12", unconfirmed=True)
def _relapse_slow(plan):
    """After a job loss the coach contacts the person within 3 days (SV12 [U])."""
    f = plan.follow_along
    if f is not None and f.relapse_contact_days is None:
        yield _hit("follow_along.relapse_contact_days", "no_time")
    elif f is not None and f.relapse_contact_days > RELAPSE_CONTACT_MAX_DAYS:
        yield _hit("follow_along.relapse_contact_days", days=f.relapse_contact_days)


@_rule("no-phase5-owner", "warning", "time_unlimited_support", "SV11", "C21")
def _no_phase5(plan):
    """Phase 5 (on-/off-the-job support) has at least one step with an owner (C21; SV11)."""
    if not any(s.phase == 5 and not _blank(s.owner) for s in plan.steps):
        yield _hit("steps")


@_rule("step-no-owner", "warning", "S3", "S3", "C6")
def _step_no_owner(plan):
    """Every step has an owner; in IPS one coach carries the person through all phases (item S3, C6)."""
    for i, s in enumerate(plan.steps):
        if _blank(s.owner):
            yield _hit(f"steps[{i}].owner", step=s.description)


@_rule("disclosure-not-discussed", "warning", "SV2", "SV2", unconfirmed=True)
def _disclosure(plan):
    """Disclosure is the client's choice, talked through before employer contact (SV2 [U])."""
    if plan.disclosure is None or not plan.disclosure.discussed:
        yield _hit("disclosure")


@_rule("disclosure-no-revisit", "info", "SV2", "SV2", unconfirmed=True)
def _disclosure_revisit(plan):
    """A disclosure choice is revisited, e.g. after about two months without a job (SV2 [U])."""
    if plan.disclosure is not None and plan.disclosure.revisit_week is None:
        yield _hit("disclosure.revisit_week")


@_rule("profile-few-sessions", "warning", "SV3", "SV3", "C7", unconfirmed=True)
def _profile_sessions(plan):
    """The profile is built over 2–3 meetings (SV3 revised wording [U]; C7 for the profile itself)."""
    if plan.profile.sessions_held < 2:
        yield _hit("profile.sessions_held", n=plan.profile.sessions_held)


@_rule("profile-one-source", "warning", "SV3", "SV3", "C7", unconfirmed=True)
def _profile_sources(plan):
    """The profile draws on several sources, e.g. client, team, past employers (SV3 revised
    wording [U]; C7 for the profile itself)."""
    if len(set(plan.profile.sources)) < 2:
        yield _hit("profile.sources")


@_rule("profile-not-updated", "info", "SV3", "SV3", "C7")
def _profile_updated(plan):
    """The profile is refreshed after each job (SV3; C7)."""
    if not plan.profile.updated_after_last_job:
        yield _hit("profile.updated_after_last_job")


@_rule("goal-not-preferred", "warning", "worker_preferences", "SV5", "C13")
def _goal_preference(plan):
    """Job goals follow the person's own preferences, not open vacancies (principle 4, C13; SV5)."""
    for i, g in enumerate(plan.goals):
        if not g.from_client_preferences:
            yield _hit(f"goals[{i}].from_client_preferences", goal=g.description)


@_rule("no-goals", "warning", "worker_preferences", None, "C13")
def _no_goals(plan):
    """A plan names at least one goal in the client's words (principle 4, C13)."""
    if not plan.goals:
        yield _hit("goals")


RULES: tuple[Rule, ...] = tuple(_RULES)


def _shown(value: object, lang: str) -> object:
    """A value as a person reads it in *lang*: texts in that language, numbers in its style."""
    if isinstance(value, Bilingual):
        return value(lang)
    if isinstance(value, tuple):
        return ", ".join(str(_shown(v, lang)) for v in value)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return number(value, lang)
    return value


def _message(rule: Rule, hit: _Hit) -> Bilingual:
    def say(lang: str) -> str:
        text = rule.texts[hit.text](lang, **{k: _shown(v, lang) for k, v in hit.values.items()})
        return f"{text} {_UNCONFIRMED_NOTE(lang, item=rule.fidelity_item)}" if rule.unconfirmed else text
    return Bilingual(**{lang: say(lang) for lang in LANGUAGES})


def check(plan: CasePlan) -> list[Finding]:
    """Run every rule on a plan; findings come in rule order (an empty list means nothing to fix)."""
    if not isinstance(plan, CasePlan):
        raise CasePlanError("", "check() needs a CasePlan (use plan_from_dict for dicts), "
                                f"got {type(plan).__name__}")
    return [Finding(rule_id=r.rule_id, severity=r.severity, message=_message(r, hit), principle=r.principle,
                    field=hit.field, fidelity_item=r.fidelity_item, sources=r.sources,
                    unconfirmed=r.unconfirmed)
            for r in RULES for hit in r.func(plan)]
