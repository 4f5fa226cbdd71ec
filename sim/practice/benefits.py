"""Finnish benefits in case plans and the earnings rules a job coach meets when a client starts work.

The benefit names and the rules (parameters, the date a rule took effect, sources, and whether a
source confirms it) are data in ``sim/data/practice/caseplan_benefits.yaml``; the two calculators
below read their parameters from those rules, so a yearly update changes the data only.

* :func:`unemployment_benefit_after_earnings` – benefit adjusted to earnings (sovittelu), with the
  €300 protected amount (suojaosa) only for claim periods starting before 1 April 2024 (C72, C75);
* :func:`disability_pension_earnings_limit` – how much a disability pensioner may earn (C74).

Both are simplified teaching versions: check real cases with the benefit payer.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType

from sim.learning.text import Bilingual, load_data

__all__ = [
    "BENEFITS", "BENEFIT_RULES", "BenefitError", "BenefitRule", "DISABILITY_PENSION_FLOOR_EUR",
    "DISABILITY_PENSION_SHARES", "SUOJAOSA_ABOLISHED_FROM", "disability_pension_earnings_limit",
    "unemployment_benefit_after_earnings",
]

DATA_FILE = "practice/caseplan_benefits.yaml"


class BenefitError(ValueError):
    """Bad input to a benefit calculator; the message says which argument and why."""


@dataclass(frozen=True)
class BenefitRule:
    """One Finnish earnings rule with its parameters, start date and sources (``name("fi")``)."""

    key: str
    name: Bilingual
    summary: Bilingual
    parameters: Mapping[str, object]
    effective_from: date | None
    sources: tuple[str, ...]
    unconfirmed: bool = False


def _frozen(value: object) -> object:
    """Read-only copy of YAML data: mappings become mapping proxies, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


_DATA = load_data(DATA_FILE)

#: Benefit key -> its name, e.g. ``BENEFITS["labour_market_subsidy"]("fi") == "työmarkkinatuki"``.
BENEFITS: Mapping[str, Bilingual] = MappingProxyType(_DATA["benefits"])

BENEFIT_RULES: tuple[BenefitRule, ...] = tuple(
    BenefitRule(**{**raw, "parameters": _frozen(raw["parameters"]), "sources": tuple(raw["sources"])})
    for raw in _DATA["rules"])
_RULE = {r.key: r for r in BENEFIT_RULES}

_ADJUSTMENT = _RULE["unemployment_adjustment"].parameters
SUOJAOSA_ABOLISHED_FROM: date = _ADJUSTMENT["protected_abolished_for_claims_from"]  # type: ignore[assignment]

_PENSION = _RULE["disability_pension_earnings"].parameters
#: The share of prior earnings a pensioner may earn, by pension ("full" or "partial") (C74).
DISABILITY_PENSION_SHARES: Mapping[str, float] = MappingProxyType(
    {"full": _PENSION["full_share"], "partial": _PENSION["partial_share"]})
#: The monthly earnings floor in euros, by year (C74); re-check yearly.
DISABILITY_PENSION_FLOOR_EUR: Mapping[int, float] = _PENSION["floor_eur_month"]  # type: ignore[assignment]


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
    protected = _ADJUSTMENT["protected_eur_month"] if claim_start < SUOJAOSA_ABOLISHED_FROM else 0.0
    reduction = _ADJUSTMENT["reduction_per_euro"]
    return round(max(0.0, benefit - reduction * max(0.0, earnings - protected)), 2)  # type: ignore[operator]


def disability_pension_earnings_limit(prior_earnings_month: float, pension: str = "full",
                                      year: int = 2024) -> float:
    """Monthly earnings a disability pensioner may have without losing the pension (C74), in euros:
    a share of prior earnings (40 % full, 60 % partial pension), never below the year's floor."""
    prior = _money(prior_earnings_month, "prior_earnings_month")
    share = DISABILITY_PENSION_SHARES.get(pension)
    if share is None:
        raise BenefitError(f"pension must be 'full' or 'partial', got {pension!r}")
    if year not in DISABILITY_PENSION_FLOOR_EUR:
        raise BenefitError(f"no earnings floor on record for {year!r}; known years: "
                           f"{sorted(DISABILITY_PENSION_FLOOR_EUR)} (re-check euro amounts yearly)")
    return round(max(share * prior, DISABILITY_PENSION_FLOOR_EUR[year]), 2)
