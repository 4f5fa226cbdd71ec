"""An individual supported-employment case plan as plain data, with a rule check against IPS practice.

The plan follows domain.md §5.1 (agreement, profile, goals, steps by the five EUSE phases, disclosure,
benefits, parallel services, follow-along). ``check`` returns findings tied to an IPS principle or a
fidelity item; Finnish benefit rules (domain.md §5.3) are data with dates and sources. Weeks count
whole weeks from entry to the service (week 0 = agreement); all texts are the team's own wording.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType

__all__ = [
    "BENEFIT_RULES", "BenefitError", "BenefitRule", "BENEFITS", "BenefitsPlan", "CasePlan",
    "CasePlanError", "check", "Client", "disability_pension_earnings_limit", "DISCLOSURE_CHOICES",
    "DisclosureDecision", "example_plan", "Finding", "FollowAlongPlan", "Goal", "ParallelService",
    "Phase", "PHASES", "plan_from_dict", "plan_to_dict", "Principle", "PRINCIPLES",
    "RAPID_SEARCH_MAX_WEEK", "RELAPSE_CONTACT_MAX_DAYS", "Rule", "RULES", "SEVERITIES", "Step",
    "SUOJAOSA_ABOLISHED_FROM", "unemployment_benefit_after_earnings", "VocationalProfile",
]


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


@dataclass(frozen=True)
class Phase:
    """One of the five EUSE stages with THL's two Finnish names (C20 quality-based, C23 IPS)."""

    number: int
    name_en: str
    name_fi: str
    name_fi_ips: str


PHASES = (
    Phase(1, "Client engagement", "Palveluun hakeutuminen ja sopiminen asiakkaan kanssa",
          "Sopiminen asiakkaan kanssa"),
    Phase(2, "Vocational profiling", "Osaamisen kartoittaminen ja ammatillinen profilointi",
          "Ammatillinen profilointi"),
    Phase(3, "Job finding", "Nopea työn etsintä avoimilta työmarkkinoilta", "Työn etsintä"),
    Phase(4, "Employer engagement", "Työskentely ja tuesta sopiminen työnantajan kanssa",
          "Sopiminen työnantajan kanssa"),
    Phase(5, "On-/off-the-job support", "Työsuhteen tukeminen ja tuki työn ulkopuolella",
          "Tuki työssä ja työn ulkopuolella"),
)


@dataclass(frozen=True)
class Principle:
    """One of the eight IPS principles (C13, C1); Finnish names are working translations [U]."""

    number: int
    key: str
    name_en: str
    name_fi: str


PRINCIPLES = tuple(Principle(i + 1, *p) for i, p in enumerate((
    ("competitive_employment", "Competitive employment", "Avoimet työmarkkinat"),
    ("zero_exclusion", "Zero exclusion / client choice", "Ei poissulkukriteerejä"),
    ("integration_with_treatment", "Integration with treatment", "Integrointi hoitoon"),
    ("worker_preferences", "Worker preferences", "Asiakkaan toiveet"),
    ("benefits_counselling", "Personalised benefits counselling", "Etuusneuvonta"),
    ("rapid_job_search", "Rapid job search", "Nopea työnhaku"),
    ("systematic_job_development", "Systematic job development", "Järjestelmällinen työnantajayhteistyö"),
    ("time_unlimited_support", "Time-unlimited, individual support", "Aikarajaton yksilöllinen tuki"),
)))

BENEFITS: Mapping[str, str] = MappingProxyType({
    "labour_market_subsidy": "työmarkkinatuki",
    "unemployment_allowance": "työttömyyspäiväraha",
    "disability_pension_full": "täysi työkyvyttömyyseläke",
    "disability_pension_partial": "osatyökyvyttömyyseläke",
    "rehabilitation_subsidy": "kuntoutustuki",
    "sickness_allowance": "sairauspäiväraha",
    "partial_sickness_allowance": "osasairauspäiväraha",
    "social_assistance": "toimeentulotuki",
    "none": "ei etuutta",
})
DISCLOSURE_CHOICES = ("full", "partial", "none")
RAPID_SEARCH_MAX_WEEK = 4  # 30 days (C13): a step due in week 4 lands on day 28 at the latest
RELAPSE_CONTACT_MAX_DAYS = 3  # SV12 [U]


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
class Client(_Record):
    """The job seeker, pseudonymised; ``benefits`` are keys of ``BENEFITS``."""

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
    """Treatment, social work, Kela or employment services running alongside (domain §5.1 item 9)."""

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

    client: Client
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


# --------------------------------------------------------------------------- rule check

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One rule result; ``principle`` is an IPS principle key (see PRINCIPLES) or a fidelity item id."""

    rule_id: str
    severity: str
    message_en: str
    message_fi: str
    principle: str
    field: str
    fidelity_item: str | None = None
    sources: tuple[str, ...] = ()
    unconfirmed: bool = False  # the rule rests on an unconfirmed fidelity anchor; the message says so

    def message(self, lang: str = "en") -> str:
        if lang not in ("en", "fi"):
            raise ValueError(f"lang must be 'en' or 'fi', got {lang!r}")
        return self.message_en if lang == "en" else self.message_fi


@dataclass(frozen=True)
class Rule:
    """A registered check: stable id, severity, IPS principle (or item id), fidelity item and sources.

    ``sources`` holds confirmed codes only. A rule whose standard comes from an unconfirmed
    fidelity anchor (domain.md [U]) is ``unconfirmed``: its docstring marks the anchor [U] and
    every finding's message ends by saying the standard is course practice from that anchor.
    """

    rule_id: str
    severity: str
    principle: str
    fidelity_item: str | None
    sources: tuple[str, ...]
    func: Callable[[CasePlan], Iterator[tuple[str, str, dict[str, object]]]]
    unconfirmed: bool = False

    @property
    def doc(self) -> str:
        return self.func.__doc__ or ""


# Finding texts (English, Finnish) keyed by rule id or variant; {names} are filled by the rule.
_TEXT: dict[str, tuple[str, str]] = {
    "rapid-search-late": (
        "The first employer contact ('{step}') is due in week {week}, about {days} days after entry; "
        "IPS aims for 30 days. Bring it forward to week 4 or earlier.",
        "Ensimmäinen työnantajakontakti ('{step}') on vasta viikolla {week}, noin {days} päivää "
        "alusta; tavoite on 30 päivää. Siirrä se viikolle 4 tai aiemmaksi."),
    "no-employer-contact": (
        "No step meets an employer. Add a job-finding step (phase 3) with employer_contact=True, "
        "due by week 4.",
        "Yhdessäkään tehtävässä ei tavata työnantajaa. Lisää työnhakutehtävä (vaihe 3), jossa "
        "employer_contact=True, viimeistään viikolle 4."),
    "benefits-plan-missing": (
        "The client receives {benefits} but the plan has no benefits plan. Add personal benefits "
        "counselling before the job starts.",
        "Asiakas saa etuutta ({benefits_fi}), mutta etuussuunnitelma puuttuu. Lisää "
        "henkilökohtainen etuusneuvonta ennen työn alkua."),
    "benefits-counselling-late:none": (
        "Benefits counselling has no week. Schedule it before the job starts.",
        "Etuusneuvonnalle ei ole sovittu viikkoa. Sovi se ennen työn alkua."),
    "benefits-counselling-late": (
        "Benefits counselling (week {week}) is not before the planned job start (week {start}). "
        "Move it earlier.",
        "Etuusneuvonta (viikko {week}) ei ole ennen suunniteltua työn alkua (viikko {start}). "
        "Siirrä se aiemmaksi."),
    "benefits-untrained": (
        "Benefits counselling is not given by a trained benefits adviser. Refer the client to one.",
        "Etuusneuvontaa ei anna koulutettu etuusneuvoja. Ohjaa asiakas koulutetulle neuvojalle."),
    "benefits-no-earnings-reporting": (
        "Benefits counselling does not cover reporting earnings. Add how and when to report pay.",
        "Etuusneuvonta ei kata tulojen ilmoittamista. Lisää, miten ja milloin palkka ilmoitetaan."),
    "parallel-service-no-owner": (
        "Parallel service '{name}' has no named owner. Name who is responsible.",
        "Rinnakkaispalvelulla '{name}' ei ole nimettyä vastuuhenkilöä. Nimeä vastuuhenkilö."),
    "parallel-service-no-review": (
        "Parallel service '{name}' has no review week. Add one.",
        "Rinnakkaispalvelulle '{name}' ei ole sovittu tarkistusviikkoa. Lisää se."),
    "entry-barrier:exclusion": (
        "Entry is blocked ('{reason}'). IPS excludes nobody who wants to work; remove the exclusion.",
        "Palveluun pääsy on estetty ('{reason}'). IPS ei rajaa pois ketään, joka haluaa töihin; "
        "poista rajaus."),
    "entry-barrier": (
        "Readiness requirement '{reason}' delays the job search. Start searching now and run other "
        "services in parallel.",
        "Valmiusvaatimus '{reason}' viivästyttää työnhakua. Aloita haku heti ja järjestä muut "
        "palvelut rinnalle."),
    "follow-along-missing": (
        "The plan has no follow-along support. Add a support plan for after the job starts.",
        "Suunnitelmasta puuttuu tuki työn alettua. Lisää tukisuunnitelma."),
    "support-time-limited": (
        "Support is time-limited{until_en}. IPS support lasts as long as the person wants it; in "
        "Finnish projects it often stops with project funding (S3), so name who continues it.",
        "Tuki on määräaikainen{until_fi}. IPS-tuki jatkuu niin kauan kuin asiakas haluaa; "
        "hankkeissa se usein loppuu rahoituksen mukana (S3), joten nimeä jatkaja."),
    "follow-along-sparse": (
        "Follow-along contact is less than monthly. Plan at least one face-to-face contact a month.",
        "Tukikäyntejä on harvemmin kuin kuukausittain. Sovi vähintään yksi tapaaminen kuukaudessa."),
    "no-step-down-owner": (
        "No one is named to take over support once work is steady. Name a step-down owner.",
        "Kukaan ei ole nimetty jatkamaan tukea työn vakiinnuttua. Nimeä jatkaja."),
    "relapse-contact-slow:none": (
        "No contact time is set for after a job loss. Aim for 3 days or fewer.",
        "Yhteydenotolle työn päättymisen jälkeen ei ole sovittu aikaa. Tavoite on enintään "
        "3 päivää."),
    "relapse-contact-slow": (
        "Contact after a job loss takes {days} days. Aim for 3 days or fewer.",
        "Yhteydenotto työn päättymisen jälkeen vie {days} päivää. Tavoite on enintään 3 päivää."),
    "no-phase5-owner": (
        "No phase-5 step (support in and outside work) has an owner. Add one.",
        "Vaiheessa 5 (tuki työssä ja työn ulkopuolella) ei ole tehtävää, jolla on vastuuhenkilö. "
        "Lisää sellainen."),
    "step-no-owner": (
        "Step '{step}' has no owner. Name who does it.",
        "Tehtävällä '{step}' ei ole vastuuhenkilöä. Nimeä tekijä."),
    "disclosure-not-discussed": (
        "Disclosure to employers has not been discussed. Talk through pros and cons before the "
        "first employer contact.",
        "Työnantajalle kertomisesta ei ole keskusteltu. Käy hyödyt ja haitat läpi ennen "
        "ensimmäistä työnantajakontaktia."),
    "disclosure-no-revisit": (
        "The disclosure choice has no revisit week. Add one (e.g. week 8).",
        "Kertomispäätökselle ei ole sovittu tarkistusviikkoa. Lisää se (esim. viikko 8)."),
    "profile-few-sessions": (
        "The profile was built in {n} session(s). Use 2–3 meetings.",
        "Profiili laadittiin {n} tapaamisessa. Käytä 2–3 tapaamista."),
    "profile-one-source": (
        "The profile rests on fewer than two sources. Add e.g. the treatment team or a former "
        "employer (with consent).",
        "Profiili perustuu alle kahteen lähteeseen. Lisää esim. hoitotiimi tai entinen työnantaja "
        "(luvalla)."),
    "profile-not-updated": (
        "The profile was not updated after the last job. Add what was learned.",
        "Profiilia ei päivitetty edellisen työn jälkeen. Lisää opitut asiat."),
    "goal-not-preferred": (
        "Goal '{goal}' is not based on the client's preferences. Rebuild it from what the client "
        "wants.",
        "Tavoite '{goal}' ei perustu asiakkaan toiveisiin. Muotoile se asiakkaan toiveista."),
    "no-goals": (
        "The plan has no goals. Add the client's own job goal.",
        "Suunnitelmassa ei ole tavoitteita. Lisää asiakkaan oma työtavoite."),
}

# Appended to the message of a finding from an unconfirmed rule ({item}: its fidelity item).
_UNCONFIRMED_NOTE = (
    " (Course practice from fidelity anchor {item}, which is unconfirmed in the course's sources.)",
    " (Kurssin käytäntö laatukriteerin {item} kuvauksesta, joka on kurssin lähteissä "
    "vahvistamaton.)")

# A rule yields (field, text key, values for the text).
_Hit = tuple[str, str, dict[str, object]]
_RULES: list[Rule] = []


def _rule(rule_id: str, severity: str, principle: str, item: str | None, *sources: str,
          unconfirmed: bool = False):
    def register(func: Callable[[CasePlan], Iterator[_Hit]]):
        _RULES.append(Rule(rule_id, severity, principle, item, sources, func, unconfirmed))
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
            yield f"steps[{i}].due_week", "", {"step": s.description, "week": s.due_week,
                                                "days": 7 * s.due_week}


@_rule("no-employer-contact", "error", "rapid_job_search", "SV4", "C13")
def _no_employer_contact(plan):
    """A plan needs at least one step that meets employers face to face (C13 rapid search; SV4, SV6)."""
    if not _contact_steps(plan):
        yield "steps", "", {}


@_rule("benefits-plan-missing", "error", "benefits_counselling", "SV1", "C13")
def _benefits_missing(plan):
    """A client who receives a benefit needs a benefits plan before working (principle 5, C13; SV1)."""
    received = [b for b in plan.client.benefits if b != "none"]
    if received and plan.benefits is None:
        yield "benefits", "", {"benefits": ", ".join(received),
                               "benefits_fi": ", ".join(BENEFITS[b] for b in received)}


@_rule("benefits-counselling-late", "error", "benefits_counselling", "SV1", "C13", unconfirmed=True)
def _benefits_late(plan):
    """Counselling must be scheduled, and before the planned job start (SV1 [U]; principle 5, C13)."""
    b = plan.benefits
    if b is not None and b.counselling_week is None:
        yield "benefits.counselling_week", ":none", {}
    elif b is not None and b.planned_job_start_week is not None \
            and b.counselling_week >= b.planned_job_start_week:
        yield "benefits.counselling_week", "", {"week": b.counselling_week, "start": b.planned_job_start_week}


@_rule("benefits-untrained", "warning", "benefits_counselling", "SV1", unconfirmed=True)
def _benefits_untrained(plan):
    """SV1 expects counselling from a person trained in benefits (SV1 [U])."""
    if plan.benefits is not None and not plan.benefits.by_trained_person:
        yield "benefits.by_trained_person", "", {}


@_rule("benefits-no-earnings-reporting", "warning", "benefits_counselling", "SV1", "C72", unconfirmed=True)
def _benefits_reporting(plan):
    """Counselling covers how to report earnings, as benefits are adjusted to pay (SV1 [U]; C72)."""
    if plan.benefits is not None and not plan.benefits.covers_earnings_reporting:
        yield "benefits.covers_earnings_reporting", "", {}


@_rule("parallel-service-no-owner", "warning", "integration_with_treatment", None, "S3")
def _parallel_no_owner(plan):
    """Each parallel service has a named owner so nothing falls between services (S3; §5.1 item 9)."""
    for i, p in enumerate(plan.parallel_services):
        if _blank(p.owner):
            yield f"parallel_services[{i}].owner", "", {"name": p.name}


@_rule("parallel-service-no-review", "info", "integration_with_treatment", None, "S3")
def _parallel_no_review(plan):
    """Parallel services carry a review date (S3; domain §5.1 item 9)."""
    for i, p in enumerate(plan.parallel_services):
        if p.review_week is None:
            yield f"parallel_services[{i}].review_week", "", {"name": p.name}


@_rule("entry-barrier", "error", "zero_exclusion", "O6", "C13")
def _entry_barrier(plan):
    """Nobody who wants work is screened out or told to get 'ready' first (zero exclusion, C13; O6)."""
    if not _blank(plan.exclusion_reason):
        yield "exclusion_reason", ":exclusion", {"reason": plan.exclusion_reason}
    for i, r in enumerate(plan.readiness_requirements):
        yield f"readiness_requirements[{i}]", "", {"reason": r}


@_rule("follow-along-missing", "error", "time_unlimited_support", "SV11", "C13")
def _follow_missing(plan):
    """Support continues once the person is in work (principle 8, C13; SV11, SV12)."""
    if plan.follow_along is None:
        yield "follow_along", "", {}


@_rule("support-time-limited", "error", "time_unlimited_support", "SV12", "C13", "S3")
def _time_limited(plan):
    """Support has no agency end date (principle 8, C13; SV12); Finnish project funding often sets one
    (S3)."""
    f = plan.follow_along
    if f is not None and (f.time_limited or f.end_week is not None):
        end = f.end_week is not None
        yield "follow_along.time_limited", "", {
            "until_en": f" and ends in week {f.end_week}" if end else "",
            "until_fi": f" ja päättyy viikolla {f.end_week}" if end else ""}


@_rule("follow-along-sparse", "warning", "time_unlimited_support", "SV12", unconfirmed=True)
def _follow_sparse(plan):
    """After month one, contact is at least monthly for as long as the person wants (SV12 [U])."""
    if plan.follow_along is not None and plan.follow_along.min_contacts_per_month < 1:
        yield "follow_along.min_contacts_per_month", "", {}


@_rule("no-step-down-owner", "warning", "time_unlimited_support", "SV12", unconfirmed=True)
def _no_step_down(plan):
    """Once work is steady, support passes to a named person such as treatment staff (SV12 [U]; §5.1/8)."""
    if plan.follow_along is not None and _blank(plan.follow_along.step_down_owner):
        yield "follow_along.step_down_owner", "", {}


@_rule("relapse-contact-slow", "warning", "time_unlimited_support", "SV12", unconfirmed=True)
def _relapse_slow(plan):
    """After a job loss the coach contacts the person within 3 days (SV12 [U])."""
    f = plan.follow_along
    if f is not None and f.relapse_contact_days is None:
        yield "follow_along.relapse_contact_days", ":none", {}
    elif f is not None and f.relapse_contact_days > RELAPSE_CONTACT_MAX_DAYS:
        yield "follow_along.relapse_contact_days", "", {"days": f.relapse_contact_days}


@_rule("no-phase5-owner", "warning", "time_unlimited_support", "SV11", "C21")
def _no_phase5(plan):
    """Phase 5 (on-/off-the-job support) has at least one step with an owner (C21; SV11)."""
    if not any(s.phase == 5 and not _blank(s.owner) for s in plan.steps):
        yield "steps", "", {}


@_rule("step-no-owner", "warning", "S3", "S3", "C6")
def _step_no_owner(plan):
    """Every step has an owner; in IPS one coach carries the person through all phases (item S3, C6)."""
    for i, s in enumerate(plan.steps):
        if _blank(s.owner):
            yield f"steps[{i}].owner", "", {"step": s.description}


@_rule("disclosure-not-discussed", "warning", "SV2", "SV2", unconfirmed=True)
def _disclosure(plan):
    """Disclosure is the client's choice, talked through before employer contact (SV2 [U]; §5.1 item 5)."""
    if plan.disclosure is None or not plan.disclosure.discussed:
        yield "disclosure", "", {}


@_rule("disclosure-no-revisit", "info", "SV2", "SV2", unconfirmed=True)
def _disclosure_revisit(plan):
    """A disclosure choice is revisited, e.g. after about two months without a job (SV2 [U])."""
    if plan.disclosure is not None and plan.disclosure.revisit_week is None:
        yield "disclosure.revisit_week", "", {}


@_rule("profile-few-sessions", "warning", "SV3", "SV3", "C7", unconfirmed=True)
def _profile_sessions(plan):
    """The profile is built over 2–3 meetings (SV3 revised wording [U]; C7 for the profile itself)."""
    if plan.profile.sessions_held < 2:
        yield "profile.sessions_held", "", {"n": plan.profile.sessions_held}


@_rule("profile-one-source", "warning", "SV3", "SV3", "C7", unconfirmed=True)
def _profile_sources(plan):
    """The profile draws on several sources, e.g. client, team, past employers (SV3 revised
    wording [U]; C7 for the profile itself)."""
    if len(set(plan.profile.sources)) < 2:
        yield "profile.sources", "", {}


@_rule("profile-not-updated", "info", "SV3", "SV3", "C7")
def _profile_updated(plan):
    """The profile is refreshed after each job (SV3; C7)."""
    if not plan.profile.updated_after_last_job:
        yield "profile.updated_after_last_job", "", {}


@_rule("goal-not-preferred", "warning", "worker_preferences", "SV5", "C13")
def _goal_preference(plan):
    """Job goals follow the person's own preferences, not open vacancies (principle 4, C13; SV5)."""
    for i, g in enumerate(plan.goals):
        if not g.from_client_preferences:
            yield f"goals[{i}].from_client_preferences", "", {"goal": g.description}


@_rule("no-goals", "warning", "worker_preferences", None, "C13")
def _no_goals(plan):
    """A plan names at least one goal in the client's words (principle 4, C13; §5.1 item 3)."""
    if not plan.goals:
        yield "goals", "", {}


RULES: tuple[Rule, ...] = tuple(_RULES)


def check(plan: CasePlan) -> list[Finding]:
    """Run every rule on a plan; findings come in rule order (an empty list means nothing to fix)."""
    if not isinstance(plan, CasePlan):
        raise CasePlanError("", "check() needs a CasePlan (use plan_from_dict for dicts), "
                                f"got {type(plan).__name__}")
    findings = []
    for r in RULES:
        for field, variant, values in r.func(plan):
            en, fi = _TEXT[r.rule_id + variant]
            en, fi = en.format(**values), fi.format(**values)
            if r.unconfirmed:
                en += _UNCONFIRMED_NOTE[0].format(item=r.fidelity_item)
                fi += _UNCONFIRMED_NOTE[1].format(item=r.fidelity_item)
            findings.append(Finding(rule_id=r.rule_id, severity=r.severity, message_en=en,
                                    message_fi=fi, principle=r.principle, field=field,
                                    fidelity_item=r.fidelity_item, sources=r.sources,
                                    unconfirmed=r.unconfirmed))
    return findings


# --------------------------------------------------------------------------- Finnish benefit rules


class BenefitError(ValueError):
    """Bad input to a benefit calculator; the message says which argument and why."""


@dataclass(frozen=True)
class BenefitRule:
    """One Finnish earnings rule with its parameters, start date and sources (domain.md §5.3)."""

    key: str
    name_en: str
    name_fi: str
    summary_en: str
    summary_fi: str
    parameters: Mapping[str, object]
    effective_from: date | None
    sources: tuple[str, ...]
    unconfirmed: bool = False


SUOJAOSA_ABOLISHED_FROM = date(2024, 4, 1)
_DP_FLOOR_EUR: Mapping[int, float] = MappingProxyType({2024: 976.59})  # C74; re-check yearly

BENEFIT_RULES = (
    BenefitRule("unemployment_adjustment", "Unemployment benefit adjusted to earnings",
                "Soviteltu työttömyysetuus",
                "Each euro earned cuts the benefit by 50 cents; the €300 protected amount (suojaosa) "
                "no longer applies to claim periods starting on or after 1 April 2024.",
                "Jokainen ansaittu euro pienentää etuutta 50 senttiä; 300 euron suojaosaa ei sovelleta "
                "1.4.2024 tai myöhemmin alkaviin hakujaksoihin.",
                MappingProxyType({"reduction_per_euro": 0.5, "protected_eur_month": 300.0,
                                  "protected_abolished_for_claims_from": SUOJAOSA_ABOLISHED_FROM}),
                SUOJAOSA_ABOLISHED_FROM, ("C72", "C75")),
    BenefitRule("disability_pension_earnings", "Disability pension earnings limit",
                "Työkyvyttömyyseläkkeen ansioraja",
                "Earnings may reach 40 % (full pension) or 60 % (partial) of prior earnings, never less than "
                "the 2024 floor; the pension can be suspended for 3 months to 2 years while working.",
                "Ansiot saavat olla 40 % (täysi eläke) tai 60 % (osaeläke) aiemmista ansioista, "
                "vähintään vuoden 2024 alaraja; eläkkeen voi keskeyttää työn ajaksi 3 kuukaudesta 2 vuoteen.",
                MappingProxyType({"full_share": 0.40, "partial_share": 0.60, "floor_eur_month": _DP_FLOOR_EUR,
                                  "suspension_months": (3, 24)}),
                None, ("C74",)),
    BenefitRule("partial_sickness_allowance", "Partial sickness allowance", "Osasairauspäiväraha",
                "Working time reduced by 40–60 %, allowance half the full rate, at most 150 working "
                "days (an older Kela page says 120).",
                "Työaika vähenee 40–60 prosenttia, etuus on puolet täydestä, enintään 150 arkipäivää "
                "(vanhempi Kelan sivu mainitsee 120).",
                MappingProxyType({"working_time_pct": (40, 60), "share_of_full_rate": 0.5, "max_days": 150}),
                None, ("C76", "C77")),
    BenefitRule("social_assistance_earnings", "Social assistance earnings disregard",
                "Toimeentulotuen etuoikeutettu tulo",
                "Unconfirmed: 20 % of earnings, at most €150 a month, would not count as income.",
                "Vahvistamaton: 20 % ansioista, enintään 150 € kuukaudessa, jätettäisiin tulona "
                "huomiotta.",
                MappingProxyType({"share": 0.20, "max_eur_month": 150.0}), None, (), unconfirmed=True),
)


def _money(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value < 0:
        raise BenefitError(f"{name} must be a euro amount of 0 or more, got {value!r}")
    return float(value)


def unemployment_benefit_after_earnings(adjusted_benefit_month: float, earnings_month: float,
                                        claim_start: date) -> float:
    """Monthly unemployment benefit left after earnings (sovittelu), in euros.

    ``adjusted_benefit_month`` is the benefit that would be paid with no earnings. Half of each euro
    earned is deducted; for claim periods starting before 2024-04-01 the first €300 is protected
    (C72, C75). Simplified: the cap on benefit plus earnings is ignored.
    """
    benefit = _money(adjusted_benefit_month, "adjusted_benefit_month")
    earnings = _money(earnings_month, "earnings_month")
    if isinstance(claim_start, datetime):
        claim_start = claim_start.date()
    if not isinstance(claim_start, date):
        raise BenefitError(f"claim_start must be a datetime.date, e.g. date(2024, 4, 1); got {claim_start!r}")
    protected = 300.0 if claim_start < SUOJAOSA_ABOLISHED_FROM else 0.0
    return round(max(0.0, benefit - 0.5 * max(0.0, earnings - protected)), 2)


def disability_pension_earnings_limit(prior_earnings_month: float, pension: str = "full",
                                      year: int = 2024) -> float:
    """Monthly earnings a disability pensioner may have without losing the pension (C74), in euros."""
    prior = _money(prior_earnings_month, "prior_earnings_month")
    share = {"full": 0.40, "partial": 0.60}.get(pension)
    if share is None:
        raise BenefitError(f"pension must be 'full' or 'partial', got {pension!r}")
    if year not in _DP_FLOOR_EUR:
        raise BenefitError(f"no earnings floor on record for {year!r}; known years: {sorted(_DP_FLOOR_EUR)} "
                           "(re-check euro amounts yearly)")
    return round(max(share * prior, _DP_FLOOR_EUR[year]), 2)


# --------------------------------------------------------------------------- example


def example_plan(good: bool = True) -> CasePlan:
    """A fictional plan for teaching: ``good=True`` passes every rule, ``good=False`` breaks several."""
    if good:
        return CasePlan(
            client=Client(id="Client A (fictional)", age=34, region="Pohjois-Savo",
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
        client=Client(id="Client B (fictional)", age=48, region="Varsinais-Suomi",
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
