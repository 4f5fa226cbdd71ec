"""Scenario: the frozen, validated description of one county's pathway system.

A scenario is plain data (no RNG, no simpy, no I/O). Every numeric field carries its
unit and allowed range in the field metadata; construction validates them and raises
:class:`ScenarioError` naming the dotted field, the value and the allowed range.
Files go through :func:`load_scenario` (YAML), variants through :meth:`Scenario.with_changes`.
Every file, upload and ``--set`` value is read by the one loader here, which refuses input past
its limits (size, nesting, aliases, values, digits, text; see ``MAX_FILE_BYTES`` and the
README's "Limits") with one message naming the file and the field. Time unit: days.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ScenarioError", "Dist", "ReferralSource", "ProfileShare", "Route", "Arrivals",
    "Assessment", "Team", "Ips", "Onward", "Stepwise", "Vocational", "Initial", "Scenario",
    "load_scenario", "save_scenario", "scenario_from_text", "PATHWAYS", "Pathways", "EXITS",
    "list_presets", "preset", "resolve", "scenario_from_bytes", "scenario_text", "read_value",
    "yaml_file_text", "MAX_FILE_BYTES",
]

EXITS = ("employed", "education", "pension", "dropout", "other")
"""How a client leaves the system; clients still inside at the horizon are 'in_service'."""


class Pathways(Sequence):
    """The team's possible decisions, in order: a live, read-only sequence of names.

    The names are stated once, by the stage registry in ``sim/journeys.py`` (three service
    pathways, then three direct exits; ``register_stage`` adds more), which declares each
    here so that routing rows, KPI names and reports follow it. It compares equal to a tuple
    of the same names and slices into tuples.
    """

    def __init__(self) -> None:
        self._names: list[str] = []

    def __getitem__(self, index):
        return tuple(self._names)[index] if isinstance(index, slice) else self._names[index]

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self):
        return iter(tuple(self._names))

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Pathways, tuple, list)):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(tuple(self._names))

    def declare(self, name: str) -> None:
        """Add a team decision (``sim.journeys.register_stage`` calls this)."""
        taken = {f.name for f in dataclasses.fields(Route)} | set(dir(Route))
        if not (isinstance(name, str) and name.isidentifier() and name == name.lower()
                and not name.startswith("_")) or name in self._names or name in taken:
            raise ValueError(f"pathway {name!r}: give a new lower-case name of letters, digits "
                             f"and '_' (taken: {', '.join(self._names)}).")
        self._names.append(name)

    def withdraw(self, name: str) -> None:
        """Remove a team decision (``sim.journeys.unregister_stage`` calls this)."""
        self._names.remove(name)


PATHWAYS = Pathways()
"""Team decisions, in the order their codes are logged (see :class:`Pathways`)."""

_TOL = 1e-6


class ScenarioError(ValueError):
    """A scenario value is missing, of the wrong type or out of range."""


class _ShortRepr(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        return _shown(x) if abs(x) >= _BIG_INT else repr(x)


_REPR = _ShortRepr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxtuple = 2, 4, 6, 6
_REPR.maxstring, _REPR.maxother = 60, 60
_BIG_INT = 10 ** 15


def _shown(value: Any) -> str:
    """A value as a message shows it: short, on one line, whatever its size.

    A whole number of more than 15 digits is named by its length, so that a 400-digit
    number is a plain range error (never an OverflowError or a 400-digit message).
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _BIG_INT:
        sign = "negative " if value < 0 else ""
        if value.bit_length() > 14_000:  # past the interpreter's 4,300-digit str() limit
            return f"a {sign}whole number of more than 4,000 digits"
        return f"a {sign}{len(str(abs(value))):,}-digit number"
    return _REPR.repr(value)


def _key(key: Any) -> str:
    """A mapping key as a message shows it inside a dotted path: as written if it is plain
    text, else quoted and shortened (no line break or control character reaches a message)."""
    if isinstance(key, str) and len(key) <= 60 and key.isprintable():
        return key
    return _shown(key)


def _num(unit: str, lo: float | None = None, hi: float | None = None, *, integer: bool = False,
         lo_open: bool = False, doc: str = "", default: Any = dataclasses.MISSING,
         optional: bool = False) -> Any:
    meta = {"unit": unit, "lo": lo, "hi": hi, "integer": integer, "lo_open": lo_open,
            "doc": doc, "optional": optional}
    return field(default=default, metadata=meta)


def _range_text(meta: Mapping[str, Any]) -> str:
    kind = "a whole number" if meta["integer"] else "a number"
    parts = []
    if meta["lo"] is not None:
        parts.append(f"{'>' if meta['lo_open'] else '≥'} {meta['lo']:g}")
    if meta["hi"] is not None:
        parts.append(f"≤ {meta['hi']:g}")
    text = f"{kind} {' and '.join(parts)}".strip()
    if meta["unit"]:
        text += f" ({meta['unit']})"
    if meta["optional"]:
        text += ", or null for none"
    return text


def _check_number(path: str, value: Any, meta: Mapping[str, Any]) -> Any:
    if value is None and meta["optional"]:
        return None
    allowed = _range_text(meta)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{path}: {_shown(value)} is not a number; allowed: {allowed}.")
    # an int is compared exactly, whatever its length: a 400-digit count is out of range,
    # not an OverflowError from a conversion to float
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(f"{path}: {value!r} is not finite; allowed: {allowed}.")
    if meta["integer"]:
        if isinstance(value, float) and not value.is_integer():
            raise ScenarioError(f"{path}: {value!r} is not a whole number; allowed: {allowed}.")
        value = int(value)
    lo, hi = meta["lo"], meta["hi"]
    if (lo is not None and (value < lo or (meta["lo_open"] and value == lo))) \
            or (hi is not None and value > hi):
        raise ScenarioError(f"{path}: {_shown(value)} is out of range; allowed: {allowed}.")
    return value


def _check_bool(path: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"{path}: {_shown(value)} is not true or false; write true or false "
                            "(without quotes).")
    return value


class _Validated:
    """Mixin: validate numeric fields from their metadata after construction."""

    _path = ""

    def _field_path(self, name: str) -> str:
        return f"{self._path}{name}"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if "unit" in f.metadata:
                value = _check_number(self._field_path(f.name), getattr(self, f.name), f.metadata)
                object.__setattr__(self, f.name, value)
            elif f.type in ("bool", bool):
                _check_bool(self._field_path(f.name), getattr(self, f.name))
        self._check()

    def _check(self) -> None:
        """Cross-field rules; overridden where a section has them."""


MAX_DURATION_DAYS = 365_000
"""Largest duration parameter (days): ten times the longest horizon, so 'never' in any run."""


@dataclass(frozen=True, kw_only=True)
class Dist:
    """A duration distribution in days: exponential, deterministic, lognormal, gamma, weibull
    or uniform. Lognormal, gamma and Weibull are given by their mean and coefficient of
    variation (cv = standard deviation / mean)."""

    dist: str = "exponential"
    mean: float | None = None
    cv: float = 1.0
    low: float | None = None
    high: float | None = None

    KINDS = ("exponential", "deterministic", "lognormal", "gamma", "weibull", "uniform")
    PARAMETERS = {"exponential": ("mean",), "deterministic": ("mean",),
                  "lognormal": ("mean", "cv"), "gamma": ("mean", "cv"), "weibull": ("mean", "cv"),
                  "uniform": ("low", "high")}
    """The parameters each distribution uses; any other one is an error, not ignored."""
    WITH_CV = ("lognormal", "gamma", "weibull")
    """The kinds given by mean and cv."""
    _DEFAULTS = {"mean": None, "cv": 1.0, "low": None, "high": None}

    def validate(self, path: str, given: Any = None, min_mean: Mapping[str, Any] | None = None
                 ) -> Dist:
        """Check the parameters; ``given`` names the keys a file set (else non-defaults).

        ``min_mean`` (a field's ``min_mean`` metadata: ``{"days": 1, "why": "…"}``) sets the
        smallest mean a field allows.
        """
        if self.dist not in self.KINDS:
            raise ScenarioError(f"{path}.dist: {_shown(self.dist)} is not a distribution; "
                                f"allowed: {', '.join(self.KINDS)}.")
        uses = self.PARAMETERS[self.dist]
        for name, default in self._DEFAULTS.items():
            value = getattr(self, name)
            set_here = name in given if given is not None else value != default
            if name not in uses and set_here:
                raise ScenarioError(
                    f"{path}.{name}: {_shown(value)} is not used by "
                    f"{'an' if self.dist == 'exponential' else 'a'} {self.dist} distribution, which "
                    f"takes only {' and '.join(uses)}; remove {name}"
                    + (" or choose dist: lognormal." if name == "cv" else
                       " or choose dist: uniform." if name in ("low", "high") else "."))
        for name in uses:  # a ceiling past which a duration never ends in any run
            value = getattr(self, name)
            if (name != "cv" and isinstance(value, (int, float)) and not isinstance(value, bool)
                    and (isinstance(value, int) or math.isfinite(value))
                    and value > MAX_DURATION_DAYS):
                raise ScenarioError(f"{path}.{name}: {_shown(value)} is out of range; allowed: at "
                                    f"most {MAX_DURATION_DAYS:,} (days), a thousand years.")
        num = {"unit": "days", "lo": 0, "hi": None, "integer": False, "lo_open": False,
               "doc": "", "optional": False}
        if self.dist == "uniform":
            if self.low is None or self.high is None:
                raise ScenarioError(f"{path}: a uniform distribution needs low and high (days), "
                                    "e.g. {dist: uniform, low: 90, high: 730}.")
            _check_number(f"{path}.low", self.low, num)
            _check_number(f"{path}.high", self.high, num)
            if self.high < self.low:
                raise ScenarioError(f"{path}.high: {self.high!r} is below low ({self.low!r}); "
                                    "high must be ≥ low.")
            if min_mean and self.mean_days < min_mean["days"]:
                raise ScenarioError(f"{path}: low {self.low!r} and high {self.high!r} average "
                                    f"{self.mean_days:g} days; allowed: a mean ≥ "
                                    f"{min_mean['days']:g} (days); {min_mean['why']}.")
        else:
            if self.mean is None:
                raise ScenarioError(f"{path}.mean: missing; give the mean duration in days, "
                                    f"e.g. {{dist: {self.dist}, mean: 30}}.")
            # a random duration with mean 0 is no distribution (and log(0) fails in the run);
            # a deterministic 0 is a valid "no delay"
            if min_mean:
                meta = dict(num, lo=min_mean["days"])
                try:
                    _check_number(f"{path}.mean", self.mean, meta)
                except ScenarioError as exc:
                    raise ScenarioError(f"{str(exc)[:-1]}; {min_mean['why']}.") from None
            else:
                _check_number(f"{path}.mean", self.mean,
                              dict(num, lo_open=self.dist in self.WITH_CV + ("exponential",)))
            if self.dist in self.WITH_CV:
                _check_number(f"{path}.cv", self.cv, dict(num, unit="", lo=0, lo_open=True, hi=10))
        return self

    @property
    def mean_days(self) -> float:
        """The distribution's mean in days."""
        if self.dist == "uniform":
            return (self.low + self.high) / 2  # type: ignore[operator]
        return float(self.mean)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        if self.dist == "uniform":
            return {"dist": "uniform", "low": self.low, "high": self.high}
        if self.dist in self.WITH_CV:
            return {"dist": self.dist, "mean": self.mean, "cv": self.cv}
        return {"dist": self.dist, "mean": self.mean}


@dataclass(frozen=True, kw_only=True)
class ReferralSource(_Validated):
    """One referral source (sote-centre, social services, Kela, …) with its yearly volume."""

    name: str
    per_year: float = _num("referrals/year", 0, 10_000_000)

    def _field_path(self, name: str) -> str:
        return f"arrivals.sources.{self.name}"


@dataclass(frozen=True, kw_only=True)
class ProfileShare(_Validated):
    """Share of referrals with a given client profile (main barrier)."""

    name: str
    share: float = _num("share", 0, 1)

    def _field_path(self, name: str) -> str:
        return f"arrivals.profiles.{self.name}"


_SHARE = {"unit": "probability", "lo": 0, "hi": 1, "integer": False, "lo_open": False,
          "doc": "", "optional": False}


@dataclass(frozen=True, kw_only=True)
class Route:
    """Team-decision probabilities for one client profile: a share for each pathway in
    :data:`PATHWAYS` (0 for one not named), summing to 1. ``route.ips`` reads one share.

    ``shares`` keeps the non-zero shares in the order of :data:`PATHWAYS`, so two rows that
    differ only in zeros written out or left out are equal.
    """

    profile: str
    shares: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        kept = []
        for name, value in self.shares:
            if name not in PATHWAYS:
                hint = difflib.get_close_matches(str(name), list(PATHWAYS), n=1)
                tip = (f" Did you mean '{hint[0]}'?" if hint
                       else f" Known fields: {', '.join(PATHWAYS)}.")
                raise ScenarioError(f"routing.{_key(self.profile)}.{_key(name)}: unknown "
                                    f"field.{tip}")
            value = _check_number(f"routing.{_key(self.profile)}.{name}", value, _SHARE)
            if value:
                kept.append((name, value))
        kept.sort(key=lambda item: PATHWAYS.index(item[0]))
        object.__setattr__(self, "shares", tuple(kept))
        total = sum(self.probabilities())
        if abs(total - 1) > _TOL:
            raise ScenarioError(f"routing.{self.profile}: the shares sum to {total:.4g}; "
                                f"they must sum to 1 ({', '.join(PATHWAYS)}).")

    def __getattr__(self, name: str) -> float:  # only for names not found the usual way
        if name in PATHWAYS:
            return self.share(name)
        raise AttributeError(f"'Route' object has no attribute {name!r}")

    def share(self, pathway: str) -> float:
        """The probability that the team chooses *pathway* for this profile."""
        for name, value in self.shares:
            if name == pathway:
                return value
        return 0.0

    def probabilities(self) -> tuple[float, ...]:
        """The shares in the order of :data:`PATHWAYS`."""
        return tuple(self.share(p) for p in PATHWAYS)


@dataclass(frozen=True, kw_only=True)
class Arrivals(_Validated):
    """Poisson referrals per source, with monthly seasonality and a client-profile mix."""

    sources: tuple[ReferralSource, ...]
    profiles: tuple[ProfileShare, ...]
    seasonality: tuple[float, ...] = (1.0,) * 12
    _path = "arrivals."

    @property
    def per_year(self) -> float:
        return sum(s.per_year for s in self.sources)

    def _check(self) -> None:
        if not self.sources:
            raise ScenarioError("arrivals.sources: at least one referral source is needed "
                                "(per_year may be 0).")
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ScenarioError(f"arrivals.sources: duplicate source names in {names}.")
        if not self.profiles:
            raise ScenarioError("arrivals.profiles: at least one client profile is needed.")
        total = sum(p.share for p in self.profiles)
        if abs(total - 1) > _TOL:
            raise ScenarioError(f"arrivals.profiles: the shares sum to {total:.4g}; "
                                "they must sum to 1.")
        if len(self.seasonality) != 12:
            raise ScenarioError(f"arrivals.seasonality: {len(self.seasonality)} values; give 12 "
                                "monthly multipliers (January first).")
        for i, m in enumerate(self.seasonality):
            _check_number(f"arrivals.seasonality[{i}]", m,
                          {"unit": "multiplier", "lo": 0, "hi": 12, "integer": False,
                           "lo_open": False, "doc": "", "optional": False})
        mean = sum(self.seasonality) / 12
        if abs(mean - 1) > 0.01:
            raise ScenarioError(f"arrivals.seasonality: the 12 multipliers average {mean:.3f}; "
                                "they must average 1 so that per_year stays the yearly volume.")


@dataclass(frozen=True, kw_only=True)
class Assessment(_Validated):
    """Work-ability coordinators' initial assessment: a FIFO pool of parallel case slots."""

    coordinators: float = _num("FTE", 0, 100_000)
    active_cases_per_coordinator: int = _num("cases", 1, 1000, integer=True, default=1)
    duration: Dist = field(default_factory=lambda: Dist(dist="exponential", mean=21))
    dropout_per_year_waiting: float = _num("1/year", 0, 365, default=0.0)
    _path = "assessment."

    @property
    def slots(self) -> int:
        return int(math.floor(self.coordinators * self.active_cases_per_coordinator + _TOL))

    def _check(self) -> None:
        self.duration.validate("assessment.duration")


@dataclass(frozen=True, kw_only=True)
class Team(_Validated):
    """Multidisciplinary team: meets on a fixed cadence and decides a limited number of cases."""

    enabled: bool = True
    meeting_interval_days: float = _num("days", 1, 365, default=7.0,
                                        doc="a team meets at most daily")
    first_meeting_day: float = _num("days", 0, 365, default=0.0)
    cases_per_meeting: int | None = _num("cases", 1, 1_000_000, integer=True, default=None,
                                         optional=True)
    _path = "team."


_MIN_TENURE = {"days": 1, "why": "a job that lasts under a day is not a job"}


@dataclass(frozen=True, kw_only=True)
class Ips(_Validated):
    """Quality-based job coaching (IPS) with a caseload cap that includes people in work."""

    coaches: float = _num("FTE", 0, 100_000)
    caseload_per_coach: int = _num("clients", 1, 1000, integer=True, default=20)
    fidelity_score: int = _num("points", 25, 125, integer=True, default=100)
    fidelity_effect: float = _num("rate change per 25 points", 0, 1, default=0.3)
    job_finding_share: float = _num("share", 0, 1, default=0.6)
    days_to_job: Dist = field(default_factory=lambda: Dist(dist="lognormal", mean=120, cv=0.8))
    job_tenure: Dist = field(default_factory=lambda: Dist(dist="lognormal", mean=300, cv=1.0),
                             metadata={"min_mean": _MIN_TENURE})
    step_down_after_employed_days: float = _num("days", 0, 3650, default=180.0)
    research_after_job_loss_share: float = _num("share", 0, 1, default=0.8)
    recontact_days: float = _num("days", 0, 365, default=3.0)
    dropout_per_year_waiting: float = _num("1/year", 0, 365, default=0.5)
    dropout_per_year_in_service: float = _num("1/year", 0, 365, default=0.093)
    discharge_after_unemployed_days: float | None = _num("days", 1, 36500, default=540.0,
                                                         optional=True)
    _path = "ips."

    @property
    def slots(self) -> int:
        return int(math.floor(self.coaches * self.caseload_per_coach + _TOL))

    @property
    def job_rate_multiplier(self) -> float:
        """Job-finding speed relative to a programme scoring 100 (scenario assumption)."""
        return max(0.2, 1 + self.fidelity_effect * (self.fidelity_score - 100) / 25)

    def _check(self) -> None:
        self.days_to_job.validate("ips.days_to_job")
        # a mean tenure of at least a day also keeps job, loss, re-search and job from
        # repeating endlessly at one instant
        self.job_tenure.validate("ips.job_tenure", min_mean=_MIN_TENURE)


@dataclass(frozen=True, kw_only=True)
class Onward(_Validated):
    """Where a stepwise work-activity period leads; the shares sum to 1."""

    open_market: float = _num("probability", 0, 1, default=0.05)
    refer_ips: float = _num("probability", 0, 1, default=0.10)
    repeat: float = _num("probability", 0, 1, default=0.35)
    education: float = _num("probability", 0, 1, default=0.05)
    pension: float = _num("probability", 0, 1, default=0.05)
    other: float = _num("probability", 0, 1, default=0.40)
    _path = "stepwise.onward."

    NAMES = ("open_market", "refer_ips", "repeat", "education", "pension", "other")

    def probabilities(self) -> tuple[float, ...]:
        return tuple(getattr(self, n) for n in self.NAMES)

    def _check(self) -> None:
        total = sum(self.probabilities())
        if abs(total - 1) > _TOL:
            raise ScenarioError(f"stepwise.onward: the shares sum to {total:.4g}; they must sum "
                                f"to 1 ({', '.join(self.NAMES)}).")


@dataclass(frozen=True, kw_only=True)
class Stepwise(_Validated):
    """Rehabilitative work activity (kuntouttava työtoiminta), 3–24 months, with onward moves."""

    places: int | None = _num("places", 0, 10_000_000, integer=True, default=None, optional=True)
    duration: Dist = field(default_factory=lambda: Dist(dist="uniform", low=90, high=730))
    dropout_per_year_waiting: float = _num("1/year", 0, 365, default=0.2)
    dropout_per_year_in_service: float = _num("1/year", 0, 365, default=0.4)
    max_periods: int = _num("periods", 1, 100, integer=True, default=3)
    onward: Onward = field(default_factory=Onward)
    _path = "stepwise."

    def _check(self) -> None:
        self.duration.validate("stepwise.duration")


@dataclass(frozen=True, kw_only=True)
class Vocational(_Validated):
    """Vocational rehabilitation by Kela or an earnings-related pension provider."""

    wait: Dist = field(default_factory=lambda: Dist(dist="exponential", mean=60))
    duration: Dist = field(default_factory=lambda: Dist(dist="exponential", mean=180))
    employment_share: float = _num("share", 0, 1, default=0.25)
    dropout_per_year_in_service: float = _num("1/year", 0, 365, default=0.4)
    _path = "vocational."

    def _check(self) -> None:
        self.wait.validate("vocational.wait")
        self.duration.validate("vocational.duration")


MAX_INITIAL = 1_000_000
"""Most clients one initial count may pre-load (the national preset's largest is 25,000)."""
MAX_CLIENTS = 2_000_000
"""Most clients one replication may hold: at ~0.9 KB each in memory, about 2 GB."""


@dataclass(frozen=True, kw_only=True)
class Initial(_Validated):
    """Today's caseloads and waiting lists, loaded at day 0 (a county never starts empty)."""

    assessment_waiting: int = _num("clients", 0, MAX_INITIAL, integer=True, default=0)
    team_waiting: int = _num("clients", 0, MAX_INITIAL, integer=True, default=0)
    ips_waiting: int = _num("clients", 0, MAX_INITIAL, integer=True, default=0)
    ips_in_service: int = _num("clients", 0, MAX_INITIAL, integer=True, default=0)
    stepwise_in_service: int = _num("clients", 0, MAX_INITIAL, integer=True, default=0)
    vocational_in_service: int = _num("clients", 0, MAX_INITIAL, integer=True, default=0)
    _path = "initial."

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in dataclasses.fields(self))


_SECTIONS = {"arrivals": Arrivals, "assessment": Assessment, "team": Team, "ips": Ips,
             "stepwise": Stepwise, "vocational": Vocational, "initial": Initial}


@dataclass(frozen=True, kw_only=True)
class Scenario(_Validated):
    """One county's pathway system; build it from a file, a preset or keyword arguments."""

    name: str
    description: str = ""
    rationale: str = ""
    horizon_days: float = _num("days", 0, 36_500, lo_open=True, default=1095.0)
    warmup_days: float = _num("days", 0, 36_500, default=0.0)
    arrivals: Arrivals
    assessment: Assessment
    team: Team = field(default_factory=Team)
    routing: tuple[Route, ...]
    ips: Ips
    stepwise: Stepwise = field(default_factory=Stepwise)
    vocational: Vocational = field(default_factory=Vocational)
    initial: Initial = field(default_factory=Initial)
    sources: tuple[tuple[str, str], ...] = ()

    @property
    def expected_clients(self) -> float:
        """Expected clients in one replication: referrals over the horizon plus pre-loaded."""
        return self.arrivals.per_year * self.horizon_days / 365 + self.initial.total

    def _check(self) -> None:
        if self.warmup_days >= self.horizon_days:
            raise ScenarioError(f"warmup_days: {self.warmup_days!r} must be below horizon_days "
                                f"({self.horizon_days!r}).")
        clients = self.expected_clients
        if clients > MAX_CLIENTS:
            raise ScenarioError(
                f"horizon_days, arrivals.sources, initial: one replication would hold about "
                f"{clients:,.0f} clients ({self.arrivals.per_year:,.0f} referrals a year × "
                f"{self.horizon_days:g} days / 365 + {self.initial.total:,} pre-loaded); allowed: "
                f"at most {MAX_CLIENTS:,} (about 2 GB of memory). Shorten horizon_days or lower "
                "the referral volumes in arrivals.sources or the initial counts.")
        profiles = {p.name for p in self.arrivals.profiles}
        routed = {r.profile for r in self.routing}
        if len(routed) != len(self.routing):
            raise ScenarioError("routing: a profile has more than one row.")
        missing = profiles - routed - {"default"}
        if missing and "default" not in routed:
            raise ScenarioError(f"routing: no row for profile(s) {sorted(missing)}; add a row "
                                "for each profile or a 'default' row.")
        unknown = routed - profiles - {"default"}
        if unknown:
            raise ScenarioError(f"routing: row(s) {sorted(unknown)} match no profile in "
                                f"arrivals.profiles ({sorted(profiles)}).")

    # -- derived views --------------------------------------------------------------
    def route_for(self, profile: str) -> Route:
        for r in self.routing:
            if r.profile == profile:
                return r
        return next(r for r in self.routing if r.profile == "default")

    def source_of(self, path: str) -> str:
        """The cited source of a dotted field, from the scenario's ``sources`` map (codes such
        as C25, as in ``sim/presets/*.yaml``), or 'scenario assumption'."""
        mapping = dict(self.sources)
        while path:
            if path in mapping:
                return mapping[path]
            path = path.rpartition(".")[0]
        return "scenario assumption"

    # -- conversion -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data in the file layout; ``Scenario.from_dict(s.to_dict()) == s``."""
        return _to_plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        return _build_scenario(data)

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A validated copy with dotted fields replaced, e.g. ``{"ips.coaches": 8}``."""
        data = self.to_dict()
        for path, value in changes.items():
            _set_path(data, path, value)
        return _build_scenario(data)

    def get(self, path: str) -> Any:
        """The value at a dotted path, e.g. ``s.get("ips.coaches")``."""
        node: Any = self.to_dict()
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ScenarioError(f"{path}: no such field.")
            node = node[part]
        return node


# --- plain data <-> dataclasses -----------------------------------------------------

def _to_plain(obj: Any) -> Any:
    if isinstance(obj, Dist):
        return obj.to_dict()
    if isinstance(obj, Scenario):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if f.name == "routing":
                out["routing"] = {r.profile: dict(zip(PATHWAYS, r.probabilities())) for r in v}
            elif f.name == "sources":
                out["sources"] = dict(v)
            else:
                out[f.name] = _to_plain(v)
        return out
    if isinstance(obj, Arrivals):
        return {"sources": {s.name: s.per_year for s in obj.sources},
                "profiles": {p.name: p.share for p in obj.profiles},
                "seasonality": list(obj.seasonality)}
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return obj


def _mapping(path: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{path}: expected a mapping of keys to values, got {_shown(value)}.")
    return value


def _kwargs(cls: type, path: str, data: Any, nested: Mapping[str, Any] | None = None
            ) -> dict[str, Any]:
    data = _mapping(path.rstrip(".") or "scenario", data)
    names = [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            hint = difflib.get_close_matches(str(key), names, n=1)
            tip = f" Did you mean '{hint[0]}'?" if hint else f" Known fields: {', '.join(names)}."
            raise ScenarioError(f"{path}{_key(key)}: unknown field.{tip}")
        if nested and key in nested:
            value = nested[key](f"{path}{key}", value)
        out[key] = value
    for f in dataclasses.fields(cls):
        if (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                and f.name not in out and not f.name.startswith("_")):
            raise ScenarioError(f"{path}{f.name}: missing; it is required"
                                + (f" ({_range_text(f.metadata)})." if "unit" in f.metadata
                                   else "."))
    return out


def _dist(path: str, value: Any, min_mean: Mapping[str, Any] | None = None) -> Dist:
    if isinstance(value, Dist):
        return value.validate(path, min_mean=min_mean)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = _shown(value) if abs(value) >= _BIG_INT else value
        raise ScenarioError(f"{path}: {shown} is a bare number; give a distribution such as "
                            f"{{dist: exponential, mean: {shown}}} or {{dist: deterministic, "
                            f"mean: {shown}}}.")
    kwargs = _kwargs(Dist, f"{path}.", value)
    return Dist(**kwargs).validate(path, given=kwargs, min_mean=min_mean)


def _section(cls: type, path: str, data: Any) -> Any:
    dists = {f.name: (lambda m: lambda p, v: _dist(p, v, m))(f.metadata.get("min_mean"))
             for f in dataclasses.fields(cls) if f.type in ("Dist", Dist)}
    nested = dict(dists)
    if cls is Stepwise:
        nested["onward"] = lambda p, v: _section(Onward, p + ".", v)
    return cls(**_kwargs(cls, path, data, nested))


def _arrivals(path: str, data: Any) -> Arrivals:
    data = dict(_mapping(path, data))
    for key in data:
        if key not in ("sources", "profiles", "seasonality"):
            raise ScenarioError(f"arrivals.{_key(key)}: unknown field. Known fields: sources, "
                                "profiles, seasonality.")
    sources = tuple(ReferralSource(name=_name("arrivals.sources", k), per_year=v) for k, v in
                    _mapping("arrivals.sources", data.get("sources", {})).items())
    profiles = tuple(ProfileShare(name=_name("arrivals.profiles", k), share=v) for k, v in
                     _mapping("arrivals.profiles", data.get("profiles", {})).items())
    seasonality = data.get("seasonality", [1.0] * 12)
    if not isinstance(seasonality, (list, tuple)):
        raise ScenarioError("arrivals.seasonality: give a list of 12 monthly multipliers.")
    return Arrivals(sources=sources, profiles=profiles, seasonality=tuple(seasonality))


def _routing(path: str, data: Any) -> tuple[Route, ...]:
    rows = []
    for profile, shares in _mapping("routing", data).items():
        profile = _name("routing", profile)
        shares = dict(_mapping(f"routing.{profile}", shares))
        shares.pop("profile", None)
        rows.append(Route(profile=profile, shares=tuple(shares.items())))
    if not rows:
        raise ScenarioError("routing: at least one row (a profile or 'default') is needed.")
    return tuple(rows)


def _build_scenario(data: Mapping[str, Any]) -> Scenario:
    nested: dict[str, Any] = {
        name: (lambda c: (lambda p, v: _section(c, p + ".", v)))(cls)
        for name, cls in _SECTIONS.items()
    }
    nested["arrivals"] = _arrivals
    nested["routing"] = _routing
    nested["sources"] = _citations
    nested["name"] = lambda p, v: _text(p, v, MAX_NAME_CHARS, one_line=True)
    for text_field in ("description", "rationale"):
        nested[text_field] = lambda p, v: _text(p, v, MAX_TEXT_CHARS)
    kwargs = _kwargs(Scenario, "", data, nested)
    return Scenario(**kwargs)


MAX_NAME_CHARS = 200
"""Longest name: of the scenario, a referral source, a client profile or a cited field."""
MAX_TEXT_CHARS = 20_000
"""Longest description, rationale or citation (the presets' longest is a few hundred)."""

# Characters no text in a scenario may hold: control characters (a tab and a line break are
# allowed in the longer texts), line and paragraph separators and the bidirectional
# overrides that would make a name print differently from what it is.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_FORBIDDEN_IN_LINE = re.compile("[\t\n]|" + _FORBIDDEN.pattern)


def _text(path: str, value: Any, limit: int, one_line: bool = False) -> str:
    """A text field: text (not a number, list or map), of at most ``limit`` characters and
    without control characters (names are one line)."""
    if not isinstance(value, str):
        raise ScenarioError(f"{path}: {_shown(value)} is not text; write it as text in quotes.")
    if len(value) > limit:
        raise ScenarioError(f"{path}: {len(value):,} characters; allowed: at most {limit:,}. "
                            "Shorten it.")
    bad = (_FORBIDDEN_IN_LINE if one_line else _FORBIDDEN).search(value)
    if bad:
        where = "a line break or tab" if bad.group() in "\t\n" else "a control character"
        raise ScenarioError(f"{path}: {_shown(value)} contains {where} ({bad.group()!r}) at "
                            f"character {bad.start() + 1}; remove it"
                            + (" (a name is one line of text)." if one_line else "."))
    return value


def _name(path: str, key: Any) -> str:
    """A name given as a mapping key (a source, a profile, a cited field): text, or a whole
    number read as text."""
    if isinstance(key, int) and not isinstance(key, bool) and abs(key) < _BIG_INT:
        key = str(key)
    if not isinstance(key, str):
        raise ScenarioError(f"{path}: the name {_shown(key)} is not text; write it as text "
                            "in quotes.")
    return _text(f"{path}.{_key(key)}", key, MAX_NAME_CHARS, one_line=True)


def _citations(path: str, value: Any) -> tuple[tuple[str, str], ...]:
    """The ``sources`` map: a field's dotted name -> its citation, both text."""
    out = []
    for key, cited in _mapping(path, value).items():
        key = _name(path, key)
        if isinstance(cited, int) and not isinstance(cited, bool) and abs(cited) < _BIG_INT:
            cited = str(cited)  # a year or a code written without quotes
        if not isinstance(cited, str):
            raise ScenarioError(f"{path}.{key}: {_shown(cited)} is not text; give the citation "
                                f"as text in quotes, e.g. {key}: \"S4\".")
        out.append((key, _text(f"{path}.{key}", cited, MAX_TEXT_CHARS)))
    return tuple(out)


def _merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Sections merge field by field; routing, the citation map and plain values replace."""
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict) \
                and key not in ("routing", "sources"):
            out[key] = {**out[key], **value}  # a section: its fields replace the base's
        else:
            out[key] = value
    return out


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            raise ScenarioError(f"{path}: no such field ('{'.'.join(parts[:i + 1])}' is unknown).")
        node = node[part]
    if not isinstance(node, dict) or (parts[-1] not in node and parts[0] not in
                                      ("routing", "sources", "arrivals")):
        raise ScenarioError(f"{path}: no such field.")
    node[parts[-1]] = value


# --- files --------------------------------------------------------------------------

MAX_FILE_BYTES = 256_000
"""Largest scenario file read, in bytes. The presets are 3–6 kB and :data:`MAX_NODES` values
take about this much text, so the margin is wide; the YAML reader is pure Python (about 1.5 s
a megabyte at worst), so a file at the limit still gets its answer in well under a second."""
MAX_DEPTH = 8
"""Deepest nesting of lists and maps: the deepest scenario value is 4 levels down (e.g.
routing -> profile -> pathway -> share), 5 through a '<<' merge key."""
MAX_ALIASES = 50
"""Most aliases (``*name``) in one file; the presets use none."""
MAX_NODES = 10_000
"""Most values (keys, numbers, texts, lists and maps) in one file once every alias is
expanded; a preset has about 300."""
MAX_DIGITS = 1_000
"""Longest whole number read (digits): far past every field's range, which is then checked."""

# YAML 1.2 floats that YAML 1.1 (PyYAML) reads as text: an exponent without a dot or without
# a sign, e.g. 1e4, 2.5e3, 1E-3. Integers, dotted floats and text resolve as before.
_FLOAT_1_2 = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
_FLOAT_TAG = "tag:yaml.org,2002:float"
_INT_TAG = "tag:yaml.org,2002:int"


class _LimitError(yaml.composer.ComposerError):
    """A file past one of the loader's limits; ``field`` is the dotted place where it was met."""

    def __init__(self, field: str, problem: str, mark: yaml.Mark) -> None:
        super().__init__(None, None, problem, mark)
        self.field = field


class _Loader(yaml.SafeLoader):
    """The safe loader (no python tags) that rejects duplicate keys and reads 1e4 as a number.

    It also bounds what one file can cost before anything is built from it: nesting
    (:data:`MAX_DEPTH`, checked as each node is composed, so never by deep recursion), aliases
    (:data:`MAX_ALIASES`; an alias inside the value it names is refused) and the number of
    values once aliases are expanded (:data:`MAX_NODES`), so an "exponential laughs" file
    stops at its first few lines. Values that cannot be read (a whole number of thousands of
    digits, a date such as 2024-13-45) are YAML errors at their line, like any other.
    """

    def compose_document(self) -> yaml.Node | None:
        self._depth = 0  # nesting level of the node being composed (the root is 1)
        self._deepest = 0  # deepest level reached inside the node being composed
        self._nodes = 0  # values so far, aliases expanded
        self._aliases = 0
        self._open: set[str] = set()  # anchors whose value is being composed
        self._extent: dict[str, tuple[int, int]] = {}  # anchor -> (values, levels)
        self._place: list[str] = []  # the dotted path of the node being composed
        return super().compose_document()

    def _field(self) -> str:
        parts = [p for p in self._place if p]  # the root and keys being read have no name
        return "".join(p if p.startswith("[") or i == 0 else f".{p}" for i, p in enumerate(parts))

    def _grow(self, nodes: int, depth: int, mark: yaml.Mark) -> None:
        self._nodes += nodes
        self._deepest = max(self._deepest, depth)
        if depth > MAX_DEPTH:
            raise _LimitError(self._field(), f"nested more than {MAX_DEPTH} levels deep; the "
                              "deepest scenario value is 4 levels down (routing.PROFILE.PATHWAY)"
                              ", so remove the extra brackets or indentation", mark)
        if self._nodes > MAX_NODES:
            raise _LimitError(self._field(), f"more than {MAX_NODES:,} values in the file "
                              "(aliases expanded); a scenario has a few hundred, so this is not "
                              "a scenario file or repeats an alias (*name) too often", mark)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if isinstance(parent, yaml.SequenceNode):
            part = f"[{index}]"
        elif isinstance(parent, yaml.MappingNode):
            part = _key(index.value) if isinstance(index, yaml.ScalarNode) else ""
        else:
            part = ""
        self._place.append(part)
        try:
            return self._compose(parent, index)
        finally:
            self._place.pop()

    def _compose(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise _LimitError(self._field(), f"the alias *{_key(event.anchor)} is inside "
                                  "the value it names; write the value out", event.start_mark)
            if event.anchor in self._extent:  # else the base class reports an undefined alias
                self._aliases += 1
                if self._aliases > MAX_ALIASES:
                    raise _LimitError(self._field(), f"more than {MAX_ALIASES} aliases (*name) "
                                      "in one file; write the values out", event.start_mark)
                nodes, levels = self._extent[event.anchor]
                self._grow(nodes, self._depth + levels, event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        outer_deepest, before = self._deepest, self._nodes
        self._deepest = 0
        self._grow(1, self._depth, event.start_mark)
        if event.anchor is not None:
            self._open.add(event.anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node.tag == _INT_TAG:
            self._check_digits(node)
        if event.anchor is not None:
            self._open.discard(event.anchor)
            self._extent[event.anchor] = (self._nodes - before, self._deepest - self._depth)
        self._deepest = max(outer_deepest, self._deepest)
        return node

    def _check_digits(self, node: yaml.Node) -> None:
        digits = sum(ch.isalnum() for ch in node.value)
        if digits > MAX_DIGITS:
            raise _LimitError(self._field(), f"a whole number of {digits:,} digits, far outside "
                              "the range of every field", node.start_mark)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date 2024-13-45
            what = _shown(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {what} ({exc})",
                                                    node.start_mark) from None

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Mark] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # '<<' merge keys may be overridden by design
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    continue  # an unhashable key: the base constructor reports it
                if first is not None:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {_shown(key)} (first at line "
                        f"{first.line + 1}); give each key once", key_node.start_mark)
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


class _Dumper(yaml.SafeDumper):
    """The safe dumper that quotes text the loader would read as a number (e.g. '1e4')."""


for _cls in (_Loader, _Dumper):
    _cls.add_implicit_resolver(_FLOAT_TAG, _FLOAT_1_2, list("-+0123456789."))


def read_value(text: str) -> Any:
    """One YAML value (e.g. the VALUE of ``worksim --set FIELD=VALUE``), read by the scenario
    loader with its limits; raises ``yaml.YAMLError``."""
    if len(text) > MAX_FILE_BYTES:
        raise yaml.MarkedYAMLError(problem=f"{len(text):,} characters; at most {MAX_FILE_BYTES:,}")
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no python tags


def _too_large(origin: str, size: str) -> ScenarioError:
    return ScenarioError(f"{origin}: {size} is too large for a scenario file (at most "
                         f"{MAX_FILE_BYTES:,} bytes; the presets are under 6 kB); check that this "
                         "is the scenario file.")


def _origin(origin: str) -> str:
    return origin if origin.isprintable() else _key(origin)


def scenario_text(data: bytes, origin: str = "<bytes>") -> str:
    """The text of a scenario file's bytes: at most :data:`MAX_FILE_BYTES`, not empty, UTF-8
    (a BOM allowed). The rules every file and upload goes through before YAML is read."""
    origin = _origin(origin)
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(origin, f"{len(data):,} bytes")
    if not data.strip():
        raise ScenarioError(f"{origin}: the file is empty; give a scenario YAML file (see "
                            "sim/presets/ for examples).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(f"{origin}: not a UTF-8 text file; save the scenario as YAML "
                            "text.") from None


def scenario_from_bytes(data: bytes, origin: str = "<bytes>") -> Scenario:
    """A file's bytes checked by :func:`scenario_text`, then parsed by
    :func:`scenario_from_text`: the one way for files and uploads alike."""
    return scenario_from_text(scenario_text(data, origin), origin)


def scenario_from_text(text: str, origin: str = "<text>") -> Scenario:
    """Parse YAML text into a validated Scenario; errors name the origin and the field."""
    origin = _origin(origin)
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise _too_large(origin, f"{len(text.encode('utf-8', 'surrogatepass')):,} bytes")
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no python tags
    except _LimitError as exc:
        mark = exc.problem_mark
        raise ScenarioError(f"{origin}: {exc.field + ': ' if exc.field else ''}{exc.problem} "
                            f"(line {mark.line + 1}, column {mark.column + 1}).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        context = getattr(exc, "context", None)
        problem = getattr(exc, "problem", None) or exc
        problem = " ".join(f"{context + ', ' if context else ''}{problem}".split())
        raise ScenarioError(f"{origin}: not valid YAML{where}: {problem[:300]}.") from None
    if data is None:
        raise ScenarioError(f"{origin}: the file holds no values; give a scenario (see "
                            "sim/presets/ for examples).")
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{origin}: a scenario file must be a YAML mapping with at least "
                            "name, arrivals, assessment, routing and ips.")
    try:
        if "base" in data:  # a named variant: the base preset with these fields replaced
            data = dict(data)
            base = data.pop("base")
            if not isinstance(base, str) or base not in list_presets():
                raise ScenarioError(f"base: {_shown(base)} is not a preset; choose one of "
                                    f"{', '.join(list_presets())}.")
            data = _merge(preset(base).to_dict(), data)
        return _build_scenario(data)
    except ScenarioError as exc:
        raise ScenarioError(f"{origin}: {exc}") from None


def yaml_file_text(path: str | Path, missing: str = "", folder: str = "") -> str:
    """The text of a YAML file, read with the loader's limits and errors: at most
    :data:`MAX_FILE_BYTES` are read (a larger file is named with its size), then
    :func:`scenario_text`. A missing file is a :class:`ScenarioError` with the hint *missing*; so
    is a folder, with the hint *folder* (without one, the ``IsADirectoryError`` is raised)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file{'; ' + missing if missing else ''}.") from None
    except IsADirectoryError:
        if not folder:
            raise
        raise ScenarioError(f"{path}: is a folder; {folder}.") from None
    if len(data) > MAX_FILE_BYTES:  # only the first MAX_FILE_BYTES + 1 bytes were read
        size = path.stat().st_size if path.is_file() else 0
        raise _too_large(_origin(str(path)), f"{size:,} bytes" if size > MAX_FILE_BYTES
                         else f"more than {MAX_FILE_BYTES:,} bytes")
    return scenario_text(data, str(path))


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a YAML scenario file (at most :data:`MAX_FILE_BYTES` are read)."""
    return scenario_from_text(yaml_file_text(path), origin=str(path))


def save_scenario(scenario: Scenario, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the scenario as YAML; refuses to overwrite an existing file unless asked."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; choose another name or pass overwrite=True.")
    path.write_text(yaml.dump(scenario.to_dict(), Dumper=_Dumper, sort_keys=False,
                              allow_unicode=True), encoding="utf-8")
    return path


# --- presets ------------------------------------------------------------------------

def _preset_dir() -> Path:
    return Path(__file__).with_name("presets")


def list_presets() -> list[str]:
    """Names of the shipped scenarios (``sim/presets/*.yaml``)."""
    return sorted(p.stem for p in _preset_dir().glob("*.yaml"))


def preset(name: str) -> Scenario:
    """A shipped scenario by name, e.g. ``preset("varsinais-suomi")``."""
    path = _preset_dir() / f"{name}.yaml"
    if not path.is_file():
        raise ScenarioError(f"preset {name!r}: unknown; choose one of {', '.join(list_presets())}"
                            " or give the path of a scenario file.")
    return load_scenario(path)


def resolve(name_or_path: str | Path) -> Scenario:
    """A preset name or a scenario file path (what the CLI and the app accept)."""
    text = str(name_or_path)
    if text in list_presets():
        return preset(text)
    if text.endswith((".yaml", ".yml")) or Path(text).exists():
        return load_scenario(text)
    raise ScenarioError(f"{text!r} is neither a preset ({', '.join(list_presets())}) nor a "
                        "scenario file.")
