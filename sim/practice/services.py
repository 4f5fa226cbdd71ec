"""The Finnish work-ability service system as data, plus the pure rules behind
the course widgets (modules 0–4).

The texts (actors, the navigator's reasons, assessment areas, role tasks, evidence) are data in
``sim/data/practice/services.yaml``, read through :func:`sim.learning.text.load_data`; every text
there is a :class:`~sim.learning.text.Bilingual` (``actor("kela").name("fi")``). Every actor, rule
and figure carries source codes: ``S0``–``S4`` are the course's seed documents, ``C1``–``C79``
public sources, listed at the end of each course notebook. Nothing here imports ipywidgets: the
views in :mod:`sim.widgets.services` and :mod:`sim.widgets.pathway_comparison` only display what
these functions return, and the tests call the functions directly.

All client situations handled here are fictional teaching examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sim.learning.text import Bilingual, load_data

__all__ = [
    "Actor", "ACTORS", "actor",
    "Situation", "Suggestion", "REASONS", "Navigation", "navigate",
    "AGE_GROUPS", "BENEFITS", "BARRIERS", "WORK_HISTORIES",
    "AssessmentArea", "ASSESSMENT_AREAS", "HEALTH_CHECK_AREAS", "Coverage", "assess_coverage",
    "RoleTask", "ROLE_TASKS", "ROLE_CHOICES", "RoleResult", "check_roles",
    "Evidence", "EVIDENCE", "TimelinePhase", "PathwayComparison", "compare_pathways",
    "PREP_MONTHS_RANGE", "SEARCH_MONTHS_RANGE", "FIRST_EMPLOYER_CONTACT_DAYS",
    "MODULE_IDS", "LEARNER_ROLES", "learning_path",
]

DATA_FILE = "practice/services.yaml"
_DATA = load_data(DATA_FILE)


def _sourced(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A YAML record with its lists (``sources``, ``who``) as tuples, ready for a frozen dataclass."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}


# --- actors ------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """An organisation, team or professional in the service system."""

    id: str
    name: Bilingual
    role: Bilingual
    sources: tuple[str, ...]


ACTORS: Mapping[str, Actor] = MappingProxyType(
    {a.id: a for a in (Actor(**_sourced(raw)) for raw in _DATA["actors"])})


def actor(actor_id: str) -> Actor:
    """Look up an actor; the error lists the known ids."""
    try:
        return ACTORS[actor_id]
    except KeyError:
        raise KeyError(f"unknown actor {actor_id!r}; known: {', '.join(ACTORS)}") from None


def _known_actors(ids: Iterable[str], where: str) -> None:
    unknown = [a for a in ids if a not in ACTORS]
    if unknown:
        raise ValueError(f"{DATA_FILE}: {where} names unknown actor(s) {unknown}; known: {', '.join(ACTORS)}")


# --- service navigator (module 1) ---------------------------------------------

AGE_GROUPS = ("youth", "adult")
BENEFITS = ("unemployment_benefit", "labour_market_subsidy", "social_assistance",
            "sickness_allowance", "disability_pension", "none")
BARRIERS = ("health_mental", "health_physical", "disability", "life_situation", "skills")
WORK_HISTORIES = ("none_or_short", "established")
_HEALTH = {"health_mental", "health_physical", "disability"}
_UNEMPLOYED = {"unemployment_benefit", "labour_market_subsidy"}


@dataclass(frozen=True, kw_only=True)
class Situation:
    """A fictional client's situation, as the navigator asks about it."""

    age_group: str = "adult"
    benefit: str = "labour_market_subsidy"
    barrier: str = "health_mental"
    work_history: str = "none_or_short"
    wants_open_market: bool = True

    def __post_init__(self) -> None:
        for name, allowed in (("age_group", AGE_GROUPS), ("benefit", BENEFITS),
                              ("barrier", BARRIERS), ("work_history", WORK_HISTORIES)):
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"{name}={value!r} is not one of: {', '.join(allowed)}")


@dataclass(frozen=True)
class Suggestion:
    """One actor to involve, and why (with sources)."""

    actor: str
    why: Bilingual
    sources: tuple[str, ...]


#: Every reason the navigator can give, by id (``sim/data/practice/services.yaml: reasons``).
REASONS: Mapping[str, Suggestion] = MappingProxyType(
    {key: Suggestion(**_sourced(raw)) for key, raw in _DATA["reasons"].items()})
_known_actors((s.actor for s in REASONS.values()), "reasons")
_CASE_MANAGER_WHY: Bilingual = _DATA["case_manager_why"]


@dataclass(frozen=True)
class Navigation:
    """The navigator's answer: where the client comes in, who leads, who else helps."""

    entry: str
    case_manager: str
    case_manager_why: Bilingual
    suggestions: tuple[Suggestion, ...]

    @property
    def actor_ids(self) -> tuple[str, ...]:
        """The actors to involve, each once, in the order first suggested."""
        return tuple(dict.fromkeys(s.actor for s in self.suggestions))

    def reasons(self, actor_id: str) -> tuple[Suggestion, ...]:
        """All suggestions (reasons with sources) that involve one actor."""
        return tuple(s for s in self.suggestions if s.actor == actor_id)


def _case_manager(s: Situation) -> str:
    """Course rule of thumb: the professional closest to the main barrier (see ``case_manager_why``)."""
    if s.age_group == "youth" and s.barrier == "skills":
        return "ohjaamo"
    if s.barrier in _HEALTH or s.benefit in {"sickness_allowance", "disability_pension"}:
        return "coordinator"
    if s.barrier == "life_situation":
        return "social_work"
    return "employment_services"


def _reasons(s: Situation) -> list[str]:
    """The ids of the :data:`REASONS` that apply to a situation, in the order they are shown."""
    reasons = ["low_threshold_door"]
    if s.age_group == "youth":
        reasons.append("young_people_ohjaamo")
    if s.benefit in _UNEMPLOYED:
        reasons.append("unemployed_jobseeker")
    if s.benefit in {"labour_market_subsidy", "social_assistance"} and s.barrier != "skills":
        reasons.append("long_unemployment_many_sectors")
    if s.barrier in _HEALTH or s.benefit in {"sickness_allowance", "disability_pension"}:
        reasons.append("partial_work_ability")
    if s.barrier in _HEALTH and s.benefit in _UNEMPLOYED | {"social_assistance"}:
        reasons.append("health_meets_employment")
    if s.barrier in _HEALTH and s.work_history == "none_or_short":
        reasons.append("rehabilitation_short_history")
    if s.benefit == "sickness_allowance":
        reasons.append("sickness_allowance_adviser")
    if s.barrier in _HEALTH and s.work_history == "established":
        reasons.append("rehabilitation_established_history")
    if s.benefit == "disability_pension" and s.work_history == "established":
        reasons.append("disability_pension_earnings_limits")
    if s.wants_open_market:
        reasons.append("wants_open_market_work")
    if s.barrier == "disability" and s.wants_open_market:
        reasons.append("social_care_decision_before_coaching")
    if not s.wants_open_market and s.benefit in {"labour_market_subsidy", "social_assistance"}:
        reasons.append("rehabilitative_work_activity")
    if s.benefit == "social_assistance" or s.barrier == "life_situation":
        reasons.append("housing_money_relationships")
    if s.barrier in {"life_situation", "disability", "health_mental"}:
        reasons.append("third_sector_support")
    return reasons


def navigate(situation: Situation) -> Navigation:
    """Which actors fit a (fictional) client's situation, and who is the case manager."""
    entry = "ohjaamo" if situation.age_group == "youth" else "sote_centre"
    return Navigation(entry=entry, case_manager=_case_manager(situation), case_manager_why=_CASE_MANAGER_WHY,
                      suggestions=tuple(REASONS[key] for key in _reasons(situation)))


# --- initial assessment (module 2) --------------------------------------------


@dataclass(frozen=True)
class AssessmentArea:
    """One area an initial assessment (alkukartoitus) should look at."""

    id: str
    name: Bilingual
    who: tuple[str, ...]  # actor ids
    why: Bilingual
    sources: tuple[str, ...]


ASSESSMENT_AREAS: tuple[AssessmentArea, ...] = tuple(
    AssessmentArea(**_sourced(raw)) for raw in _DATA["assessment_areas"])
_known_actors((who for area in ASSESSMENT_AREAS for who in area.who), "assessment_areas")
HEALTH_CHECK_AREAS = frozenset({"health"})
_AREA_IDS = tuple(a.id for a in ASSESSMENT_AREAS)


@dataclass(frozen=True)
class Coverage:
    """Which assessment areas are covered, which are missing and who could fill the gaps."""

    covered: tuple[str, ...]
    missing: tuple[str, ...]
    actors_to_involve: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def health_check_only(self) -> bool:
        return set(self.covered) <= HEALTH_CHECK_AREAS

    @property
    def share_covered(self) -> float:
        return len(self.covered) / len(_AREA_IDS)


def assess_coverage(covered_areas: Iterable[str]) -> Coverage:
    """Compare what an initial assessment covered with the full list of areas."""
    chosen = set(covered_areas)
    unknown = chosen - set(_AREA_IDS)
    if unknown:
        raise ValueError(f"unknown assessment area(s) {sorted(unknown)}; known: {', '.join(_AREA_IDS)}")
    missing = tuple(a for a in _AREA_IDS if a not in chosen)
    involve: list[str] = []
    for area in ASSESSMENT_AREAS:
        if area.id in missing:
            involve += [who for who in area.who if who not in involve]
    return Coverage(tuple(a for a in _AREA_IDS if a in chosen), missing, tuple(involve))


# --- who does what (module 3) -------------------------------------------------


@dataclass(frozen=True)
class RoleTask:
    """A task in a client's pathway and the actor who does it."""

    id: str
    task: Bilingual
    actor: str
    explanation: Bilingual
    sources: tuple[str, ...]


ROLE_TASKS: tuple[RoleTask, ...] = tuple(RoleTask(**_sourced(raw)) for raw in _DATA["role_tasks"])

#: The actors offered in the role matcher's drop-downs, in display order.
ROLE_CHOICES: tuple[str, ...] = ("coordinator", "job_coach", "work_ability_team", "social_work",
                                 "kela", "pension_insurer", "typ", "employment_services")
_known_actors((*ROLE_CHOICES, *(task.actor for task in ROLE_TASKS)), "role_tasks/ROLE_CHOICES")


@dataclass(frozen=True)
class RoleResult:
    task_id: str
    chosen: str | None
    expected: str
    correct: bool


def check_roles(answers: Mapping[str, str | None]) -> tuple[RoleResult, ...]:
    """Compare the learner's task → actor choices with the expected actors (all tasks)."""
    known = {task.id for task in ROLE_TASKS}
    unknown = set(answers) - known
    if unknown:
        raise KeyError(f"unknown task(s) {sorted(unknown)}; known: {', '.join(sorted(known))}")
    results = []
    for task in ROLE_TASKS:
        chosen = answers.get(task.id)
        if chosen is not None and chosen not in ACTORS:
            raise KeyError(f"unknown actor {chosen!r} for task {task.id!r}")
        results.append(RoleResult(task.id, chosen, task.actor, chosen == task.actor))
    return tuple(results)


# --- place-then-train vs train-then-place (module 4) --------------------------


@dataclass(frozen=True)
class Evidence:
    """Share in competitive work with IPS and with the comparison service in one study."""

    id: str
    label: Bilingual
    ips_share: float
    comparison_share: float
    detail: Bilingual
    sources: tuple[str, ...]


EVIDENCE: Mapping[str, Evidence] = MappingProxyType(
    {e.id: e for e in (Evidence(**_sourced(raw)) for raw in _DATA["evidence"])})

PREP_MONTHS_RANGE = (3, 24)  # kuntouttava työtoiminta lasts 3–24 months [C63]
SEARCH_MONTHS_RANGE = (1, 12)  # learner's assumption; absolute times are unconfirmed
FIRST_EMPLOYER_CONTACT_DAYS = 30  # [C13]
_DAYS_PER_MONTH = 30.4


@dataclass(frozen=True)
class TimelinePhase:
    """A phase on a service pathway's timeline, in months from entry (``key`` is a strings.yaml key)."""

    key: str
    start_month: float
    end_month: float
    assumed: bool  # True when the length is the learner's assumption, not a sourced figure


@dataclass(frozen=True)
class PathwayComparison:
    """The stepwise and the IPS pathway side by side on one timeline, with one study's outcome."""

    prep_months: int
    search_months: int
    stepwise: tuple[TimelinePhase, ...]
    ips: tuple[TimelinePhase, ...]
    evidence: Evidence
    horizon_months: float = field(default=0.0)

    @property
    def stepwise_first_contact_month(self) -> float:
        return float(self.prep_months)

    @property
    def ips_first_contact_month(self) -> float:
        return FIRST_EMPLOYER_CONTACT_DAYS / _DAYS_PER_MONTH

    @property
    def stepwise_first_job_month(self) -> float:
        return float(self.prep_months + self.search_months)

    @property
    def ips_first_job_month(self) -> float:
        return self.ips_first_contact_month + self.search_months

    @property
    def months_earlier(self) -> float:
        """How much sooner the IPS path reaches its first job under the same search time."""
        return self.stepwise_first_job_month - self.ips_first_job_month


def compare_pathways(prep_months: int = 12, search_months: int = 4,
                     evidence: str = "bond2008") -> PathwayComparison:
    """Timelines of the stepwise and IPS paths under the learner's assumptions.

    Only the 30-day first employer contact [C13] and the 3–24-month range of
    rehabilitative work activity [C63] are sourced; the job-search time is the
    learner's own assumption, used for both paths.
    """
    lo, hi = PREP_MONTHS_RANGE
    if not lo <= prep_months <= hi:
        raise ValueError(f"prep_months={prep_months} is outside {lo}–{hi} (kuntouttava työtoiminta, C63)")
    lo, hi = SEARCH_MONTHS_RANGE
    if not lo <= search_months <= hi:
        raise ValueError(f"search_months={search_months} is outside {lo}–{hi}")
    if evidence not in EVIDENCE:
        raise ValueError(f"evidence={evidence!r} is not one of: {', '.join(EVIDENCE)}")
    contact = FIRST_EMPLOYER_CONTACT_DAYS / _DAYS_PER_MONTH
    stepwise_job = prep_months + search_months
    horizon = float(max(stepwise_job + 6, 18))
    stepwise = (
        TimelinePhase("path.phase.preparation", 0.0, float(prep_months), False),
        TimelinePhase("path.phase.search", float(prep_months), float(stepwise_job), True),
        TimelinePhase("path.phase.work", float(stepwise_job), horizon, False),
    )
    ips = (
        TimelinePhase("path.phase.agreement", 0.0, contact, False),
        TimelinePhase("path.phase.search_with_coach", contact, contact + search_months, True),
        TimelinePhase("path.phase.work_with_support", contact + search_months, horizon, False),
    )
    return PathwayComparison(prep_months, search_months, stepwise, ips, EVIDENCE[evidence], horizon)


# --- learning path (module 0) -------------------------------------------------

MODULE_IDS = tuple(f"m{n:02d}" for n in range(13))
LEARNER_ROLES = ("coordinator", "job_coach", "social_worker", "manager")
_CORE = ("m00", "m01", "m02", "m03", "m04")
_NEXT = {
    "coordinator": ("m06", "m10", "m11", "m08", "m07", "m12", "m05", "m09"),
    "job_coach": ("m05", "m07", "m11", "m12", "m06", "m10", "m09", "m08"),
    "social_worker": ("m06", "m10", "m11", "m07", "m12", "m05", "m08", "m09"),
    "manager": ("m05", "m08", "m09", "m06", "m07", "m10", "m11", "m12"),
}


def learning_path(role: str) -> tuple[str, ...]:
    """A suggested module order for a learner role: the shared core 0–4, then the
    other modules in the order most useful for that role (a course-design suggestion, not a rule)."""
    if role not in _NEXT:
        raise ValueError(f"role={role!r} is not one of: {', '.join(LEARNER_ROLES)}")
    return _CORE + _NEXT[role]
