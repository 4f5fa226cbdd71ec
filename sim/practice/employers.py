"""Job development: match a job seeker with employers, and check a coach's weekly employer contacts.

Two pure pieces behind the module 7 planner (job development: IPS-25 items SV5–SV7 in
``sim/data/practice/fidelity.yaml``, IPS principle 4 [C13], the coach's hours [C14]):

* :func:`match` / :func:`rank` score how well a fictional employer's needs fit a fictional job
  seeker's preferences, strengths, hours, travel and the working conditions they want to avoid.
  The weighting is the course team's own teaching aid, not a published instrument; it puts the
  person's preferences first, as IPS does (principle 4, C13). A vacancy being open is shown but
  never scored: IPS coaches visit employers whether or not they are hiring (SV7, unconfirmed).
* :func:`check_contact_plan` rates a coach's week against the fidelity anchors for individualised
  job search (SV5) and employer-contact frequency (SV6) through :mod:`sim.practice.fidelity`, and compares
  the hours with the 4–6 hours of job development a week the IPS Employment Center describes
  (C14). The SV5/SV6 anchors, including "six or more contacts a week", are unconfirmed [U].

The labels, the notes' wording and the example case are data in ``sim/data/practice/employers.yaml``,
read through :func:`sim.learning.text.load_data`; every text there is a
:class:`~sim.learning.text.Bilingual`. Everyone and every employer in :data:`EXAMPLE_SEEKER` and
:data:`EXAMPLE_EMPLOYERS` is fictional.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from sim.learning.text import LANGUAGES, Bilingual, bilingual, load_data, number, percent
from sim.practice import fidelity

__all__ = [
    "CONDITIONS", "ContactPlanCheck", "EXAMPLE_EMPLOYERS", "EXAMPLE_SEEKER", "Employer",
    "EmployerError", "FIELDS", "FIT_LEVELS", "JOB_DEVELOPMENT_HOURS", "JobSeeker", "LOG_REVIEWS",
    "Match", "Note", "SV6_TOP_ANCHOR_CONTACTS", "STRENGTHS", "WEIGHTS", "amount", "check_contact_plan",
    "label", "match", "rank",
]

DATA_FILE = "practice/employers.yaml"
_DATA = load_data(DATA_FILE)


class EmployerError(ValueError):
    """Bad job-seeker, employer or plan data; the message names the field and the fix."""


#: Kinds of work (key -> label in English and Finnish).
FIELDS: Mapping[str, Bilingual] = MappingProxyType(_DATA["fields"])
#: Strengths a person brings and an employer may look for.
STRENGTHS: Mapping[str, Bilingual] = MappingProxyType(_DATA["strengths"])
#: Features of a job that a person may want to avoid and an employer may be able to change.
CONDITIONS: Mapping[str, Bilingual] = MappingProxyType(_DATA["conditions"])
#: Points out of 100 for each part of a match (the team's own weighting, see module docstring).
WEIGHTS: Mapping[str, int] = MappingProxyType({"preference": 40, "strengths": 30, "hours": 15,
                                                "travel": 15})
CONFLICT_PENALTY = 15  # per avoided condition the employer cannot change
FIT_LEVELS = ("good", "possible", "poor")
JOB_DEVELOPMENT_HOURS = (4.0, 6.0)  # hours a week on job development per coach (C14)
SV6_TOP_ANCHOR_CONTACTS = 6  # SV6 rating 5: six or more contacts a week [U]
LOG_REVIEWS = ("weekly", "monthly", "none")


def label(kind: str, key: str, lang: str = "en") -> str:
    """Display label of a field, strength or condition key (``kind`` is one of those three words)."""
    table = {"field": FIELDS, "strength": STRENGTHS, "condition": CONDITIONS}.get(kind)
    if table is None:
        raise EmployerError(f"kind must be 'field', 'strength' or 'condition', got {kind!r}")
    if key not in table:
        raise EmployerError(f"unknown {kind} {key!r}; use one of {', '.join(table)}")
    return table[key](lang)


def _decimals(value: float) -> int:
    return 0 if round(value, 1) == round(value) else 1


def amount(value: float, lang: str = "en") -> str:
    """Hours, kilometres or contacts as people write them: ``4``, ``4.5`` (``4,5`` in Finnish).

    One decimal at most, shown only when there is one; the format is
    :func:`sim.learning.text.number`'s.
    """
    return number(value, lang, _decimals(value))


def _keys(values: Iterable[str], table: Mapping, name: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise EmployerError(f"{name} must be a list of keys, not the text {values!r}")
    out = tuple(dict.fromkeys(values))
    unknown = [v for v in out if v not in table]
    if unknown:
        raise EmployerError(f"{name}: unknown key(s) {unknown}; use keys from {', '.join(table)}")
    return out


def _number(value: object, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise EmployerError(f"{name} must be a number, got {value!r}")
    if not low <= value <= high:
        raise EmployerError(f"{name} is {value}; use a value from {low:g} to {high:g}")
    return float(value)


@dataclass(frozen=True, kw_only=True)
class JobSeeker:
    """A (fictional) person's preferences and strengths from the vocational profile (SV3)."""

    name: str
    preferred_fields: tuple[str, ...]
    strengths: tuple[str, ...] = ()
    max_hours_week: float = 20
    max_travel_km: float = 10
    avoid: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "preferred_fields", _keys(self.preferred_fields, FIELDS, "preferred_fields"))
        object.__setattr__(self, "strengths", _keys(self.strengths, STRENGTHS, "strengths"))
        object.__setattr__(self, "avoid", _keys(self.avoid, CONDITIONS, "avoid"))
        _number(self.max_hours_week, "max_hours_week", 1, 40)
        _number(self.max_travel_km, "max_travel_km", 0, 200)


@dataclass(frozen=True, kw_only=True)
class Employer:
    """A (fictional) employer's need: the kind of work, what they look for and what could change.

    ``min_hours_week`` is the shortest week the employer could agree to (an adjustment); ``adjustable``
    lists the conditions the employer is able to change for the right person.
    """

    id: str
    name: str
    field: str
    needs: tuple[str, ...] = ()
    hours_week: float = 37.5
    min_hours_week: float | None = None
    distance_km: float = 5
    conditions: tuple[str, ...] = ()
    adjustable: tuple[str, ...] = ()
    hiring_now: bool = False
    task: Bilingual | None = None  # what the work is, for the planner's table

    def __post_init__(self) -> None:
        if self.field not in FIELDS:
            raise EmployerError(f"employer {self.id!r}: unknown field {self.field!r}; use one of "
                                f"{', '.join(FIELDS)}")
        object.__setattr__(self, "needs", _keys(self.needs, STRENGTHS, f"employer {self.id!r} needs"))
        object.__setattr__(self, "conditions", _keys(self.conditions, CONDITIONS,
                                                     f"employer {self.id!r} conditions"))
        object.__setattr__(self, "adjustable", _keys(self.adjustable, CONDITIONS,
                                                     f"employer {self.id!r} adjustable"))
        hours = _number(self.hours_week, f"employer {self.id!r} hours_week", 1, 40)
        low = hours if self.min_hours_week is None else _number(
            self.min_hours_week, f"employer {self.id!r} min_hours_week", 1, hours)
        object.__setattr__(self, "min_hours_week", low)
        _number(self.distance_km, f"employer {self.id!r} distance_km", 0, 500)
        not_there = [c for c in self.adjustable if c not in self.conditions]
        if not_there:
            raise EmployerError(f"employer {self.id!r}: adjustable {not_there} are not among its "
                                "conditions; list them in conditions too")


@dataclass(frozen=True)
class Match:
    """How one employer fits one job seeker; ``score`` is 0–100 (see :data:`WEIGHTS`)."""

    employer: Employer
    score: int
    parts: Mapping[str, float]
    preferred: bool
    strengths_met: tuple[str, ...]
    strengths_missing: tuple[str, ...]
    adjustments: tuple[str, ...]  # condition keys to negotiate, plus "hours" for a shorter week
    conflicts: tuple[str, ...]  # avoided conditions the employer cannot change
    travel_ok: bool

    @property
    def fit(self) -> str:
        """"good" (70+ and no conflict), "possible" (45+) or "poor"."""
        if self.score >= 70 and not self.conflicts:
            return "good"
        return "possible" if self.score >= 45 else "poor"


def match(seeker: JobSeeker, employer: Employer) -> Match:
    """Score one employer for one job seeker; every point can be traced to a part in ``parts``."""
    preferred = employer.field in seeker.preferred_fields
    met = tuple(n for n in employer.needs if n in seeker.strengths)
    missing = tuple(n for n in employer.needs if n not in seeker.strengths)
    strengths_share = len(met) / len(employer.needs) if employer.needs else 1.0
    adjustments: list[str] = []
    if employer.hours_week <= seeker.max_hours_week:
        hours = 1.0
    elif employer.min_hours_week <= seeker.max_hours_week:
        hours = 2 / 3  # possible, but only with a shorter week agreed with the employer
        adjustments.append("hours")
    else:
        hours = 0.0
    if employer.distance_km <= seeker.max_travel_km:
        travel = 1.0
    elif employer.distance_km <= 1.5 * seeker.max_travel_km:
        travel = 0.5
    else:
        travel = 0.0
    avoided = [c for c in employer.conditions if c in seeker.avoid]
    adjustments += [c for c in avoided if c in employer.adjustable]
    conflicts = tuple(c for c in avoided if c not in employer.adjustable)
    parts = {"preference": WEIGHTS["preference"] * preferred,
             "strengths": WEIGHTS["strengths"] * strengths_share,
             "hours": WEIGHTS["hours"] * hours, "travel": WEIGHTS["travel"] * travel,
             "conflicts": -CONFLICT_PENALTY * len(conflicts)}
    score = int(round(max(0.0, sum(parts.values()))))
    return Match(employer, score, MappingProxyType(parts), preferred, met, missing, tuple(adjustments),
                 conflicts, travel == 1.0)


def rank(seeker: JobSeeker, employers: Iterable[Employer]) -> list[Match]:
    """Matches best first; ties keep the employers' id order so the list is stable."""
    return sorted((match(seeker, e) for e in employers), key=lambda m: (-m.score, m.employer.id))


# --------------------------------------------------------------------------- the coach's week


@dataclass(frozen=True)
class Note:
    """One remark on a contact plan, in both languages, with its sources and confirmation status."""

    key: str
    level: str  # "ok", "warning" or "info"
    text: Bilingual
    sources: tuple[str, ...] = ()
    unconfirmed: bool = False

    def message(self, lang: str = "en") -> str:
        return self.text(lang)


@dataclass(frozen=True)
class ContactPlanCheck:
    """A coach's planned week of employer contacts, rated against SV5/SV6 and the C14 hours."""

    contacts_per_week: float
    preference_share_pct: float
    log_review: str
    minutes_per_contact: float
    hours_per_week: float
    sv5_rating: int
    sv6_rating: int
    meets_sv6_top_anchor: bool
    hours_band: str  # "below", "within" or "above" the 4–6 h of C14
    notes: tuple[Note, ...]


_NOTES: Mapping[str, Mapping] = _DATA["notes"]
_LOG_TEXT: Mapping[str, Bilingual] = _DATA["log_review"]


def _note(key: str, contacts: float, share: float, hours: float, sv5: int, sv6: int, log_review: str) -> Note:
    """The note *key* of ``employers.yaml`` with the plan's figures written in each language."""
    spec = _NOTES[key]
    low, high = JOB_DEVELOPMENT_HOURS

    def fill(lang: str) -> str:
        return spec["text"](lang, contacts=amount(contacts, lang), hours=amount(hours, lang),
                            share=percent(share / 100, lang, _decimals(share)), sv5=sv5, sv6=sv6,
                            low=amount(low, lang), high=amount(high, lang),
                            how_often=_LOG_TEXT[log_review](lang))

    text = bilingual({lang: fill(lang) for lang in LANGUAGES}, f"{DATA_FILE}: notes.{key}")
    return Note(key, spec["level"], text, tuple(spec["sources"]), spec["unconfirmed"])


def check_contact_plan(contacts_per_week: float, preference_share_pct: float = 90,
                       log_review: str = "weekly", minutes_per_contact: float = 45) -> ContactPlanCheck:
    """Rate a coach's planned face-to-face employer contacts for one week.

    ``contacts_per_week`` counts client-specific, face-to-face employer contacts by one full-time
    coach; ``preference_share_pct`` is the share of them chosen from job seekers' preferences
    rather than open vacancies; ``log_review`` says how often a supervisor reviews the contact log;
    ``minutes_per_contact`` (travel included) is a planning assumption, not a sourced figure.
    """
    contacts = _number(contacts_per_week, "contacts_per_week", 0, 60)
    share = _number(preference_share_pct, "preference_share_pct", 0, 100)
    minutes = _number(minutes_per_contact, "minutes_per_contact", 5, 480)
    if log_review not in LOG_REVIEWS:
        raise EmployerError(f"log_review must be one of {LOG_REVIEWS}, got {log_review!r}")
    sv6 = fidelity.rate_item("SV6", {"value": contacts, "log_review": log_review})
    sv5 = fidelity.rate_item("SV5", share)
    hours = round(contacts * minutes / 60, 2)
    low, high = JOB_DEVELOPMENT_HOURS
    band = "below" if hours < low else ("above" if hours > high else "within")
    top = contacts >= SV6_TOP_ANCHOR_CONTACTS
    keys = ["sv6_top" if top and log_review == "weekly" else "sv6_log" if top else "sv6_few"]
    if sv5 < 5:
        keys.append("sv5_low")
    keys.append(f"hours_{band}")
    notes = [_note(key, contacts, share, hours, sv5, sv6, log_review) for key in keys]
    return ContactPlanCheck(contacts, share, log_review, minutes, hours, sv5, sv6, top, band, tuple(notes))


# --------------------------------------------------------------------------- fictional example data

#: A fictional job seeker in Jyväskylä (Keski-Suomi), as used in module 7.
EXAMPLE_SEEKER = JobSeeker(**_DATA["example_seeker"])

#: Fictional employers around Jyväskylä; names are invented and resemble no real firm on purpose.
EXAMPLE_EMPLOYERS: Sequence[Employer] = tuple(Employer(**raw) for raw in _DATA["example_employers"])
