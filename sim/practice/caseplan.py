"""An individual supported-employment case plan as plain data: records, parsing and reference data.

A plan has an agreement and the job seeker, a vocational profile, goals, steps by the five EUSE
phases (C20, C23), disclosure, benefits counselling, parallel services and follow-along support,
as in the IPS principles (C13). Every record checks its fields on construction;
:func:`plan_from_dict` builds a plan from plain dicts (notebooks, YAML) with errors naming the field
path, and :func:`plan_to_dict` turns it back. The phases and IPS principles are data in
``sim/data/practice/caseplan.yaml``. Weeks count whole weeks from entry to the service (week 0 =
agreement); all texts are the team's own wording.

The rule check is :mod:`sim.practice.casereview`; benefit names and earnings rules are
:mod:`sim.practice.benefits`.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass

from sim.learning.text import Bilingual, load_data
from sim.practice.benefits import BENEFITS

__all__ = [
    "BenefitsPlan", "CasePlan", "CasePlanError", "DISCLOSURE_CHOICES", "DisclosureDecision",
    "EusePhase", "FollowAlongPlan", "Goal", "JobSeeker", "PHASES", "PRINCIPLES", "ParallelService",
    "Principle", "Step", "VocationalProfile", "example_plan", "plan_from_dict", "plan_to_dict",
]

DATA_FILE = "practice/caseplan.yaml"


class CasePlanError(ValueError):
    """A malformed plan; ``path`` names the field (e.g. ``steps[2].phase``), the message the fix."""

    def __init__(self, path: str, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"{path}: {problem}" if path else problem)


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return prefix + path if path.startswith("[") else f"{prefix}.{path}"


# --------------------------------------------------------------------------- reference data

_DATA = load_data(DATA_FILE)


@dataclass(frozen=True)
class EusePhase:
    """One of the five EUSE stages a step belongs to, with THL's two Finnish names: ``name`` from
    the quality-based model (C20), ``ips_name`` from its IPS material (C23)."""

    number: int
    name: Bilingual
    ips_name: Bilingual


PHASES: tuple[EusePhase, ...] = tuple(EusePhase(**raw) for raw in _DATA["phases"])


@dataclass(frozen=True)
class Principle:
    """One of the eight IPS principles (C13, C1); Finnish names are working translations [U]."""

    number: int
    key: str
    name: Bilingual


PRINCIPLES: tuple[Principle, ...] = tuple(
    Principle(number=i + 1, **raw) for i, raw in enumerate(_DATA["principles"]))
DISCLOSURE_CHOICES = ("full", "partial", "none")


# --------------------------------------------------------------------------- plan records


@functools.cache
def _hints(cls: type) -> dict[str, object]:
    return typing.get_type_hints(cls)


def _coerce(value: object, tp: object, path: str) -> object:
    """Check ``value`` against a field type, turning lists into tuples and dicts into records."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(value, inner, path)
    if origin is tuple:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise CasePlanError(path, f"expected a list, got {type(value).__name__} {value!r}")
        return tuple(_coerce(v, args[0], f"{path}[{i}]") for i, v in enumerate(value))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if isinstance(value, Mapping):
            return _build(tp, value, path)
        raise CasePlanError(path, f"expected a {tp.__name__} or a dict of its fields, got {value!r}")
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, numbers.Integral) and not isinstance(value, bool),
        str: isinstance(value, str),
    }[tp]  # type: ignore[index]
    if not ok:
        want = {bool: "true/false", int: "a whole number", str: "text"}[tp]  # type: ignore[index]
        raise CasePlanError(path, f"expected {want}, got {type(value).__name__} {value!r}")
    return int(value) if tp is int else value  # type: ignore[call-overload]


def _build(cls: type, data: Mapping, path: str) -> object:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise CasePlanError(_join(path, str(unknown[0])),
                            f"unknown key for {cls.__name__}; allowed keys are {', '.join(fields)}")
    missing = [n for n, f in fields.items() if n not in data
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise CasePlanError(_join(path, missing[0]),
                            f"missing required field of {cls.__name__} (required: {', '.join(missing)})")
    try:
        return cls(**data)
    except CasePlanError as exc:
        raise CasePlanError(_join(path, exc.path), exc.problem) from None


class _Record:
    """Mixin: type-check every field on construction and run the class's range checks."""

    def __post_init__(self) -> None:
        for name, tp in _hints(type(self)).items():
            object.__setattr__(self, name, _coerce(getattr(self, name), tp, name))
        self._validate()

    def _validate(self) -> None:  # overridden where a field has a range
        pass


def _week(value: int | None, name: str) -> None:
    if value is not None and value < 0:
        raise CasePlanError(name, f"{value} is negative; weeks count from entry (week 0)")


@dataclass(frozen=True, kw_only=True)
class JobSeeker(_Record):
    """The client of the plan, pseudonymised; ``benefits`` are keys of
    :data:`sim.practice.benefits.BENEFITS`."""

    id: str
    age: int
    region: str
    main_barrier: str
    benefits: tuple[str, ...]

    def _validate(self) -> None:
        if not 15 <= self.age <= 100:
            raise CasePlanError("age", f"{self.age} is outside 15–100")
        for i, b in enumerate(self.benefits):
            if b not in BENEFITS:
                raise CasePlanError(f"benefits[{i}]",
                                    f"{b!r} is not a known benefit; use one of {', '.join(BENEFITS)}")
        if not self.benefits or ("none" in self.benefits and len(self.benefits) > 1):
            raise CasePlanError("benefits", "list the benefits received, or just ['none']")


@dataclass(frozen=True, kw_only=True)
class VocationalProfile(_Record):
    """Vocational profile (ammatillinen profiili): built in sessions from several sources (SV3)."""

    work_history: tuple[str, ...] = ()
    preferences: tuple[str, ...]
    skills: tuple[str, ...] = ()
    strengths: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()
    sessions_held: int
    sources: tuple[str, ...]
    updated_after_last_job: bool = True

    def _validate(self) -> None:
        if self.sessions_held < 0:
            raise CasePlanError("sessions_held", f"{self.sessions_held} is negative; count meetings held")


@dataclass(frozen=True, kw_only=True)
class Goal(_Record):
    """A job or career goal; ``from_client_preferences`` is False when the goal was set for the client."""

    description: str
    from_client_preferences: bool = True
    target_week: int | None = None

    def _validate(self) -> None:
        _week(self.target_week, "target_week")


@dataclass(frozen=True, kw_only=True)
class Step(_Record):
    """One action with an owner, a phase 1–5 and a due week; flag steps that meet an employer."""

    description: str
    owner: str | None
    phase: int
    due_week: int
    employer_contact: bool = False

    def _validate(self) -> None:
        if not 1 <= self.phase <= 5:
            raise CasePlanError("phase", f"{self.phase} is not a phase; use 1–5 "
                                "(1 engagement … 5 on/off-the-job support)")
        _week(self.due_week, "due_week")


@dataclass(frozen=True, kw_only=True)
class ParallelService(_Record):
    """Treatment, social work, Kela or employment services running alongside (S3)."""

    name: str
    owner: str | None
    review_week: int | None = None

    def _validate(self) -> None:
        _week(self.review_week, "review_week")


@dataclass(frozen=True, kw_only=True)
class DisclosureDecision(_Record):
    """Whether and how much the client tells employers about a condition (SV2)."""

    decision: str
    discussed: bool
    revisit_week: int | None = None

    def _validate(self) -> None:
        if self.decision not in DISCLOSURE_CHOICES:
            raise CasePlanError("decision",
                                f"{self.decision!r} is not a choice; use one of {DISCLOSURE_CHOICES}")
        _week(self.revisit_week, "revisit_week")


@dataclass(frozen=True, kw_only=True)
class BenefitsPlan(_Record):
    """Personal benefits counselling (etuusneuvonta) timing and content (SV1)."""

    counselling_week: int | None
    planned_job_start_week: int | None
    by_trained_person: bool
    covers_earnings_reporting: bool

    def _validate(self) -> None:
        _week(self.counselling_week, "counselling_week")
        _week(self.planned_job_start_week, "planned_job_start_week")


@dataclass(frozen=True, kw_only=True)
class FollowAlongPlan(_Record):
    """Support once in work (tukisuunnitelma): duration, contact rhythm, step-down and job-loss contact."""

    time_limited: bool
    end_week: int | None = None
    contact_schedule: str = ""
    min_contacts_per_month: int = 1
    step_down_owner: str | None = None
    relapse_contact_days: int | None = None

    def _validate(self) -> None:
        _week(self.end_week, "end_week")
        for name in ("min_contacts_per_month", "relapse_contact_days"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise CasePlanError(name, f"{v} is negative")


@dataclass(frozen=True, kw_only=True)
class CasePlan(_Record):
    """A whole individual plan; ``exclusion_reason``/``readiness_requirements`` record any entry barrier."""

    client: JobSeeker
    profile: VocationalProfile
    goals: tuple[Goal, ...]
    steps: tuple[Step, ...]
    parallel_services: tuple[ParallelService, ...] = ()
    disclosure: DisclosureDecision | None = None
    benefits: BenefitsPlan | None = None
    follow_along: FollowAlongPlan | None = None
    exclusion_reason: str | None = None
    readiness_requirements: tuple[str, ...] = ()


def plan_from_dict(d: Mapping) -> CasePlan:
    """Build a CasePlan from plain dicts and lists (notebooks, YAML); errors name the field path."""
    if not isinstance(d, Mapping):
        raise CasePlanError("", f"a plan must be a dict of fields, got {type(d).__name__}")
    return _build(CasePlan, d, "")  # type: ignore[return-value]


def plan_to_dict(plan: CasePlan) -> dict:
    """Plain, JSON-friendly dict of a plan; ``plan_from_dict(plan_to_dict(p)) == p``."""
    def plain(v: object) -> object:
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return [plain(x) for x in v] if isinstance(v, (list, tuple)) else v
    return plain(dataclasses.asdict(plan))  # type: ignore[return-value]


# --------------------------------------------------------------------------- example


def example_plan(good: bool = True) -> CasePlan:
    """A fictional plan for teaching: ``good=True`` passes every rule, ``good=False`` breaks several."""
    if good:
        return CasePlan(
            client=JobSeeker(id="Client A (fictional)", age=34, region="Pohjois-Savo",
                          main_barrier="recurrent depression; five years out of paid work",
                          benefits=("labour_market_subsidy",)),
            profile=VocationalProfile(
                work_history=("warehouse assistant, 4 years", "summer café job"),
                preferences=("café or bakery work", "daytime hours", "cycling distance from home"),
                skills=("customer service", "cash handling"), strengths=("punctual", "good with regulars"),
                contacts=("cousin runs a catering firm",), sessions_held=3,
                sources=("client", "treatment team", "former employer (with consent)")),
            goals=(Goal(description="Part-time café or bakery job, about 20 h/week", target_week=12),
                   Goal(description="Hygiene passport (hygieniapassi)", target_week=8)),
            steps=(Step(description="Agree on the service and consent to share information",
                        owner="job coach", phase=1, due_week=0),
                   Step(description="Benefits check with the benefits adviser", owner="benefits adviser",
                        phase=2, due_week=1),
                   Step(description="Build the vocational profile in three meetings", owner="job coach",
                        phase=2, due_week=2),
                   Step(description="Visit two bakeries the client chose", owner="job coach and client",
                        phase=3, due_week=3, employer_contact=True),
                   Step(description="Agree tasks, hours and adjustments with the employer", owner="job coach",
                        phase=4, due_week=10, employer_contact=True),
                   Step(description="Meet a week before the start and within 3 days after", owner="job coach",
                        phase=5, due_week=12)),
            parallel_services=(ParallelService(name="Psychiatric outpatient care", owner="psychiatric nurse",
                                               review_week=8),
                               ParallelService(name="Social work (asiakassuunnitelma)", owner="social worker",
                                               review_week=12)),
            disclosure=DisclosureDecision(decision="partial", discussed=True, revisit_week=8),
            benefits=BenefitsPlan(counselling_week=1, planned_job_start_week=12, by_trained_person=True,
                                  covers_earnings_reporting=True),
            follow_along=FollowAlongPlan(time_limited=False, min_contacts_per_month=2,
                                         contact_schedule="week before start, 3 days after, weekly in "
                                                          "month 1, then at least monthly for a year",
                                         step_down_owner="psychiatric nurse", relapse_contact_days=3))
    return CasePlan(
        client=JobSeeker(id="Client B (fictional)", age=48, region="Varsinais-Suomi",
                      main_barrier="alcohol use and a long gap in work history",
                      benefits=("social_assistance",)),
        profile=VocationalProfile(preferences=("outdoor work",), sessions_held=1,
                                  sources=("referral letter",)),
        goals=(Goal(description="Any job the employment area has open", from_client_preferences=False),),
        steps=(Step(description="Sign the agreement", owner="job coach", phase=1, due_week=0),
               Step(description="Finish kuntouttava työtoiminta first", owner=None, phase=2, due_week=0),
               Step(description="Contact employers", owner="job coach", phase=3, due_week=26,
                    employer_contact=True)),
        parallel_services=(ParallelService(name="Substance-use outpatient care", owner=None),),
        disclosure=DisclosureDecision(decision="full", discussed=False),
        benefits=None,
        follow_along=FollowAlongPlan(time_limited=True, end_week=52,
                                     contact_schedule="until project funding ends",
                                     relapse_contact_days=14),
        readiness_requirements=("must complete work activity (kuntouttava työtoiminta) first",))
