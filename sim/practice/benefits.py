"""Finnish benefits in case plans and the earnings rules a job coach meets when a client starts work.

The benefit names and the rules (parameters, the date a rule took effect, sources, and whether a
source confirms it) are data in ``sim/data/practice/caseplan_benefits.yaml``; the two calculators
below read their parameters from those rules, so a yearly update changes the data only.

* :func:`unemployment_benefit_after_earnings` – benefit adjusted to earnings (sovittelu), with the
  €300 protected amount (suojaosa) only for claim periods starting before 1 April 2024 (C72, C75);
* :func:`disability_pension_earnings_limit` – how much a disability pensioner may earn (C74);
* :func:`income_by_month` – module 10's month-by-month income of a client who starts work: pay
  plus the adjusted unemployment benefit, or plus a disability pension (or kuntoutustuki) that is
  kept within the earnings limit, goes over it, or is left resting (C72, C74, C75).

All are simplified teaching versions: check real cases with the benefit payer.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType

from sim.learning.text import Bilingual, load_data

__all__ = [
    "BENEFITS", "BENEFIT_RULES", "BenefitError", "BenefitRule", "DISABILITY_PENSION_FLOOR_EUR",
    "DISABILITY_PENSION_SHARES", "INCOME_SITUATIONS", "IncomeMonth", "IncomeSummary",
    "PENSION_REST_MONTHS", "SUOJAOSA_ABOLISHED_FROM", "WEEKS_PER_MONTH", "disability_pension_earnings_limit",
    "income_by_month", "month_runs", "monthly_earnings", "pension_rest_problems", "summarise_income",
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
#: The shortest and longest time a disability pension can be left resting, in months (C74).
PENSION_REST_MONTHS: tuple[int, int] = tuple(_PENSION["suspension_months"])  # type: ignore[assignment]


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


# --- module 10: a client's income month by month ------------------------------------------------

#: What a client lives on before the job: the adjusted unemployment benefit, or a full or partial
#: disability pension (kuntoutustuki, a fixed-term disability pension, has the same limits; C74).
INCOME_SITUATIONS = ("unemployment", "full_pension", "partial_pension")
#: Weeks in an average month (52 / 12), to turn weekly hours into monthly pay.
WEEKS_PER_MONTH = 52 / 12
_PENSION_KIND = {"full_pension": "full", "partial_pension": "partial"}


@dataclass(frozen=True)
class IncomeMonth:
    """One month of a client's income, in euros.

    ``status`` says which rule set the benefit: ``"no_work"`` (no earnings), ``"adjusted"``
    (unemployment benefit cut by earnings), ``"within_limit"`` (pension kept, earnings within the
    limit), ``"over_limit"`` (earnings above the pension's limit: the pension is at risk and the
    sum counted here is not safe) or ``"resting"`` (the pension is left resting, none is paid).
    """

    month: int
    earnings: float
    benefit: float
    status: str
    limit: float | None = None  # the pension's earnings limit, € a month

    @property
    def total(self) -> float:
        return round(self.earnings + self.benefit, 2)


@dataclass(frozen=True)
class IncomeSummary:
    """A plan's months added up, against staying on the benefit with no work."""

    earnings: float
    benefit: float
    total: float
    without_work: float
    over_limit_months: tuple[int, ...]
    resting_months: tuple[int, ...]

    @property
    def gain(self) -> float:
        """How much more the plan brings than the benefit alone, € over the months."""
        return round(self.total - self.without_work, 2)


def monthly_earnings(hours_per_week: float, wage_per_hour: float) -> float:
    """Pay in an average month, in euros: weekly hours × hourly wage × 52 / 12 (before tax)."""
    hours = _money(hours_per_week, "hours_per_week")
    if hours > 168:
        raise BenefitError(f"hours_per_week must be at most 168 (a week's hours), got {hours_per_week!r}")
    return round(hours * _money(wage_per_hour, "wage_per_hour") * WEEKS_PER_MONTH, 2)


def _months(value: object, name: str, horizon: int) -> frozenset[int]:
    try:
        months = frozenset(value)  # type: ignore[arg-type]
    except TypeError:
        raise BenefitError(f"{name} must be a set of month numbers 1..{horizon}, got {value!r}") from None
    bad = sorted((m for m in months
                  if not isinstance(m, int) or isinstance(m, bool) or not 1 <= m <= horizon), key=repr)
    if bad:
        raise BenefitError(f"{name} holds {bad!r}; months are numbered 1..{horizon}")
    return months


def income_by_month(situation: str, benefit_month: float, earnings_by_month: Sequence[float], *,
                    claim_start: date = date(2025, 1, 1), prior_earnings_month: float = 0.0,
                    year: int = 2024, resting: Iterable[int] = ()) -> tuple[IncomeMonth, ...]:
    """The client's income in each month of the plan (month 1 first), in euros.

    ``situation`` is one of :data:`INCOME_SITUATIONS`; ``benefit_month`` is the benefit or pension
    with no earnings. On unemployment benefit every euro earned cuts the benefit by the rule of
    :func:`unemployment_benefit_after_earnings` (C72, C75). On a disability pension the pension is
    kept while earnings stay within :func:`disability_pension_earnings_limit` (C74); a month above
    the limit is marked ``over_limit`` (the pension payer decides what follows); the months in
    ``resting`` have the pension left resting, so none is paid (C74; see
    :func:`pension_rest_problems` for the allowed length). Taxes and other benefits are left out.
    """
    if situation not in INCOME_SITUATIONS:
        raise BenefitError(f"situation must be one of {', '.join(INCOME_SITUATIONS)}, got {situation!r}")
    benefit = _money(benefit_month, "benefit_month")
    if isinstance(earnings_by_month, (str, bytes)) or not isinstance(earnings_by_month, Sequence):
        raise BenefitError(f"earnings_by_month must be a list of euro amounts, one a month; "
                           f"got {earnings_by_month!r}")
    earnings = [_money(e, f"earnings_by_month[{i}] (month {i + 1})") for i, e in enumerate(earnings_by_month)]
    rest = _months(resting, "resting", len(earnings))
    if situation == "unemployment":
        if rest:
            raise BenefitError("resting applies to a disability pension; an unemployment benefit cannot rest "
                               "(set resting=() or choose a pension situation)")
        return tuple(IncomeMonth(m, e, unemployment_benefit_after_earnings(benefit, e, claim_start),
                                 "adjusted" if e > 0 else "no_work")
                     for m, e in enumerate(earnings, 1))
    limit = disability_pension_earnings_limit(prior_earnings_month, _PENSION_KIND[situation], year)
    months = []
    for m, e in enumerate(earnings, 1):
        if m in rest:
            months.append(IncomeMonth(m, e, 0.0, "resting", limit))
        else:
            status = "no_work" if e == 0 else "within_limit" if e <= limit else "over_limit"
            months.append(IncomeMonth(m, e, benefit, status, limit))
    return tuple(months)


def month_runs(months: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Consecutive months as (first, last) runs, in order: ``{3, 4, 5, 9}`` -> ``((3, 5), (9, 9))``."""
    runs: list[list[int]] = []
    for m in sorted(set(months)):
        if runs and m == runs[-1][1] + 1:
            runs[-1][1] = m
        else:
            runs.append([m, m])
    return tuple((a, b) for a, b in runs)


def pension_rest_problems(resting: Iterable[int], horizon: int) -> tuple[tuple[int, int], ...]:
    """The runs of consecutive resting months (first, last) shorter than the shortest rest (C74).

    A run that reaches the plan's last month may go on after it, so it is never reported short."""
    shortest, longest = PENSION_REST_MONTHS
    return tuple((a, b) for a, b in month_runs(_months(resting, "resting", horizon))
                 if (b - a + 1 < shortest and b != horizon) or b - a + 1 > longest)


def summarise_income(months: Sequence[IncomeMonth], benefit_month: float) -> IncomeSummary:
    """Totals over the plan's months, and the benefit alone for as many months, in euros."""
    without = _money(benefit_month, "benefit_month") * len(months)
    return IncomeSummary(
        earnings=round(sum(m.earnings for m in months), 2),
        benefit=round(sum(m.benefit for m in months), 2),
        total=round(sum(m.total for m in months), 2),
        without_work=round(without, 2),
        over_limit_months=tuple(m.month for m in months if m.status == "over_limit"),
        resting_months=tuple(m.month for m in months if m.status == "resting"))
