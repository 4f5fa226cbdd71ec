"""A county scenario from a few key numbers: population, referral rate and staff (issue #15).

A study over many wellbeing services counties should not need a hand-written file each.
:func:`county_scenario` takes a base preset (by default ``varsinais-suomi``) and changes only
what the key numbers say, so the result goes through the one scenario loader and validator
(:meth:`sim.scenario.Scenario.with_changes`) like any file:

- **from the key numbers**: referrals a year = population × referral rate (referrals a year
  per 1,000 residents) / 1,000, split over the referral sources in the base preset's shares;
  ``ips.coaches`` as given; ``assessment.coordinators`` as given or, when not given, the
  base's coordinators per referral times the county's referrals (rounded to half a post);
- **scaled by the referral volume** (k = the county's referrals ÷ the base's): the team's
  cases per meeting (rounded up), the stepwise work-activity places and the pre-loaded
  waiting lists and caseloads (``initial``); the pre-loaded IPS caseload is the base's share
  of full caseload places times the county's places, so a county with few coaches does not
  start over-full. These assume a county's services grow in proportion to its referrals;
- **as in the base preset**: everything about one client — the profile mix and routing, the
  durations, drop-out, IPS fidelity and caseload cap, seasonality — and the horizon.

The file's ``sources`` name the key numbers as the county's own and the scaled fields as
scaled from the base (a scenario assumption); the description says how it was built. Used by
``worksim template --population … --referral-rate … --coaches …`` and by a study file's
``county:`` entries (:mod:`sim.study`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .scenario import Scenario, ScenarioError, preset

__all__ = ["county_scenario", "county_from_mapping", "KEY_NUMBERS", "DEFAULT_BASE",
           "MAX_POPULATION", "MAX_REFERRAL_RATE"]

DEFAULT_BASE = "varsinais-suomi"
"""The preset a county is built from unless another is named."""
MAX_POPULATION = 10_000_000
"""Largest population taken (Finland has about 5.6 million residents)."""
MAX_REFERRAL_RATE = 100.0
"""Largest referral rate taken, referrals a year per 1,000 residents (the presets have 0.5–3)."""
KEY_NUMBERS = ("name", "population", "referral_rate", "coaches", "coordinators", "preset")
"""The fields of a study file's ``county:`` entry."""


def _number(field: str, value: Any, lo: float, hi: float, what: str, *, whole: bool = False,
            lo_open: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and whole and not float(value).is_integer():
        ok = False
    if not ok or value > hi or value < lo or (lo_open and value == lo):
        top = f"{hi:,.0f}" if float(hi).is_integer() else f"{hi:,g}"
        bound = f"{'above' if lo_open else 'at least'} {lo:g} and at most {top}"
        raise ScenarioError(f"{field}: {value!r}; give {what}, {bound}.")
    return float(value)


def county_scenario(name: str, population: float, referral_rate: float, coaches: float,
                    coordinators: float | None = None, base: str | Scenario = DEFAULT_BASE,
                    where: str = "") -> Scenario:
    """A county scenario from its key numbers (see the module docstring for what is scaled).

    ``referral_rate`` is referrals a year per 1,000 residents; ``where`` prefixes the field
    names in error messages (e.g. ``scenarios[2].county.``)."""
    population = _number(f"{where}population", population, 1, MAX_POPULATION,
                         "the number of residents, a whole number", whole=True)
    rate = _number(f"{where}referral_rate", referral_rate, 0, MAX_REFERRAL_RATE,
                   "referrals a year per 1,000 residents", lo_open=True)
    coaches = _number(f"{where}coaches", coaches, 0, 100_000, "IPS job coaches (full-time posts)")
    given = coordinators is not None
    if coordinators is not None:
        coordinators = _number(f"{where}coordinators", coordinators, 0, 100_000,
                               "work-ability coordinators (full-time posts)")
    s = preset(base) if isinstance(base, str) else base
    per_year = population * rate / 1000
    total = s.arrivals.per_year
    if total <= 0:
        raise ScenarioError(f"{where}preset: {s.name} has no referrals to scale from; choose "
                            "another base preset.")
    k = per_year / total
    sources = {src.name: round(src.per_year * k, 1) for src in s.arrivals.sources}
    if coordinators is None:
        coordinators = max(0.5, round(2 * s.assessment.coordinators * k) / 2)
    slots = coaches * s.ips.caseload_per_coach
    full = s.initial.ips_in_service / s.ips.slots if s.ips.slots else 0.0
    init = s.initial
    changes: dict[str, Any] = {
        "name": name,
        "description": (f"Built from key numbers: {population:,.0f} residents, {rate:g} referrals a "
                        f"year per 1,000 residents ({per_year:,.0f} a year), {coaches:g} IPS "
                        f"coaches and {coordinators:g} coordinators; everything else from the "
                        f"{s.name} preset, with services and starting caseloads scaled by the "
                        f"referral volume (× {k:.3g}); see sim/county.py."),
        "rationale": ("What staffing does a county of this size need for people to start coaching "
                      "within a month? (A county from key numbers, for studies across counties.)"),
        "arrivals.sources": sources,
        "assessment.coordinators": coordinators,
        "ips.coaches": coaches,
        "initial": {"assessment_waiting": round(init.assessment_waiting * k),
                    "team_waiting": round(init.team_waiting * k),
                    "ips_waiting": round(init.ips_waiting * k),
                    "ips_in_service": min(math.floor(slots), round(full * slots)),
                    "stepwise_in_service": round(init.stepwise_in_service * k),
                    "vocational_in_service": round(init.vocational_in_service * k)},
    }
    if s.team.cases_per_meeting is not None:
        changes["team.cases_per_meeting"] = max(1, math.ceil(s.team.cases_per_meeting * k))
    if s.stepwise.places is not None:
        places = max(1, round(s.stepwise.places * k))
        changes["stepwise.places"] = places
        changes["initial"]["stepwise_in_service"] = min(places,
                                                        changes["initial"]["stepwise_in_service"])
    own = "the county's key numbers (given to the county builder, sim/county.py)"
    scaled = f"scenario assumption: scaled from the {s.name} preset by referral volume"
    cited = dict(s.sources)
    for path in ("arrivals.sources", "ips.coaches"):
        cited[path] = own
    cited["assessment.coordinators"] = own if given else scaled
    for path in ("team.cases_per_meeting", "stepwise.places", "initial"):
        cited[path] = scaled
    changes["sources"] = cited
    try:
        return s.with_changes(changes)
    except ScenarioError as exc:
        raise ScenarioError(f"{where.rstrip('.') or 'county'}: the built scenario is not valid: "
                            f"{exc}") from None


def county_from_mapping(data: Any, where: str = "county.") -> Scenario:
    """:func:`county_scenario` from a study file's ``county:`` entry (a mapping of
    :data:`KEY_NUMBERS`); unknown or missing fields are named."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where.rstrip('.')}: give the county's key numbers as a mapping, e.g. "
                            "{name: lappi, population: 177000, referral_rate: 1.5, coaches: 4}.")
    unknown = [str(k) for k in data if k not in KEY_NUMBERS]
    if unknown:
        raise ScenarioError(f"{where}{unknown[0]}: unknown field; a county takes "
                            f"{', '.join(KEY_NUMBERS)}.")
    for needed in ("name", "population", "referral_rate", "coaches"):
        if needed not in data:
            raise ScenarioError(f"{where}{needed}: missing; a county needs name, population, "
                                "referral_rate (referrals a year per 1,000 residents) and coaches.")
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{where}name: {name!r}; give the county's name as text.")
    base = data.get("preset", DEFAULT_BASE)
    if not isinstance(base, str):
        raise ScenarioError(f"{where}preset: {base!r}; give a preset name.")
    return county_scenario(name, data["population"], data["referral_rate"], data["coaches"],
                           data.get("coordinators"), base, where)
