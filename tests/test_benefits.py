"""Module 10's month-by-month income rules (sim.practice.benefits) against sums worked by hand from
the rules the module cites, and the income calculator (sim.widgets.benefits) driven headless.

Hand-worked rules (the module's sources, 2024 figures):
* adjusted unemployment benefit, claim period from 1 April 2024: each euro earned cuts it by 50 cents
  from the first euro; earlier claim periods kept the first €300 a month (C72, C75);
* disability pension and kuntoutustuki: earnings up to 40 % (full) or 60 % (partial) of established
  earnings, never below €976.59 a month in 2024; the pension can rest for 3 months to 2 years (C74).
"""

from __future__ import annotations

import html
import re
from datetime import date

import ipywidgets as widgets
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.learning.text import UnknownLanguageError
from sim.practice import benefits
from sim.practice.benefits import (
    BenefitError,
    income_by_month,
    month_runs,
    monthly_earnings,
    pension_rest_problems,
    summarise_income,
)
from sim.widgets.base import Picture
from sim.widgets.benefits import income_calculator

FROM_2025 = date(2025, 2, 3)  # a claim period under the April 2024 rule
BEFORE_SWITCH = date(2024, 3, 1)  # a claim period under the old rule with the €300 protected amount


def plain(value: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", value)).split())


# --- adjusted unemployment benefit ----------------------------------------------------------------


def test_a_thousand_euros_earned_cuts_the_adjusted_benefit_by_five_hundred():
    months = income_by_month("unemployment", 900, [0, 1000], claim_start=FROM_2025)
    assert [m.benefit for m in months] == [900, 400]
    assert [m.total for m in months] == [900, 1400]
    assert [m.status for m in months] == ["no_work", "adjusted"]


def test_a_claim_period_before_april_2024_keeps_the_first_300_euros():
    (month,) = income_by_month("unemployment", 900, [1000], claim_start=BEFORE_SWITCH)
    assert month.benefit == 900 - 0.5 * (1000 - 300)
    (small,) = income_by_month("unemployment", 900, [250], claim_start=BEFORE_SWITCH)
    assert small.benefit == 900


@given(benefit=st.integers(0, 3000), pay=st.integers(0, 6000), extra=st.integers(1, 500))
def test_more_pay_never_lowers_the_month_and_adds_half_while_a_benefit_is_left(benefit, pay, extra):
    low, high = income_by_month("unemployment", benefit, [pay, pay + extra], claim_start=FROM_2025)
    assert high.total >= low.total
    if high.benefit > 0:
        assert high.total - low.total == pytest.approx(0.5 * extra)


# --- disability pension and kuntoutustuki -----------------------------------------------------------


@pytest.mark.parametrize("situation, prior, limit", [
    ("full_pension", 3000, 1200.0),     # 40 % of €3,000
    ("partial_pension", 3000, 1800.0),  # 60 % of €3,000
    ("full_pension", 2000, 976.59),     # 40 % is €800, below the 2024 floor
    ("full_pension", 2300, 976.59),     # Jussi: 40 % is €920, below the floor
])
def test_the_pension_limit_is_the_share_of_established_earnings_or_the_2024_floor(situation, prior, limit):
    (month,) = income_by_month(situation, 1000, [0], prior_earnings_month=prior)
    assert month.limit == pytest.approx(limit)


def test_the_pension_is_kept_within_the_limit_flagged_over_it_and_not_paid_while_resting():
    months = income_by_month("full_pension", 1150, [0, 976.59, 977, 1170, 1170, 1170],
                             prior_earnings_month=2300, resting=[4, 5, 6])
    assert [m.status for m in months] == ["no_work", "within_limit", "over_limit", "resting", "resting",
                                          "resting"]
    assert [m.benefit for m in months] == [1150, 1150, 1150, 0, 0, 0]
    assert months[3].total == 1170


def test_jussi_earns_1170_a_month_at_20_hours_and_stays_within_the_limit_at_16():
    assert monthly_earnings(20, 13.5) == 1170.0  # 20 × 13.50 × 52 / 12
    assert monthly_earnings(16, 13.5) == 936.0
    assert monthly_earnings(17, 13.5) > benefits.disability_pension_earnings_limit(2300, "full", 2024)


def test_the_year_adds_up_against_the_pension_alone():
    pay = [0, 0] + [monthly_earnings(16, 13.5)] * 10
    summary = summarise_income(income_by_month("full_pension", 1140, pay, prior_earnings_month=2300), 1140)
    assert summary.earnings == 9360 and summary.benefit == 13680 and summary.total == 23040
    assert summary.without_work == 13680 and summary.gain == 9360
    assert summary.over_limit_months == () and summary.resting_months == ()


def test_a_short_rest_in_the_middle_is_reported_but_one_running_past_the_plan_is_not():
    assert pension_rest_problems([4, 5], 12) == ((4, 5),)
    assert pension_rest_problems([11, 12], 12) == ()
    assert pension_rest_problems(range(3, 6), 12) == ()
    assert pension_rest_problems(range(1, 27), 30) == ((1, 26),)  # longer than 2 years
    assert month_runs({9, 3, 4, 5}) == ((3, 5), (9, 9))


@pytest.mark.parametrize("call, message", [
    (lambda: income_by_month("pension", 1000, [0]), "situation must be one of unemployment"),
    (lambda: income_by_month("unemployment", 900, [0, 0, -5]), r"earnings_by_month\[2\] \(month 3\)"),
    (lambda: income_by_month("unemployment", 900, [0, 100], resting=[2]), "cannot rest"),
    (lambda: income_by_month("full_pension", 900, [0, 100], resting=[3]), "resting holds"),
    (lambda: income_by_month("full_pension", 900, "1000"), "a list of euro amounts"),
    (lambda: income_by_month("full_pension", 900, [0], year=2031), "no earnings floor on record for 2031"),
    (lambda: monthly_earnings(200, 10), "at most 168"),
])
def test_bad_input_is_named_with_the_fix(call, message):
    with pytest.raises(BenefitError, match=message):
        call()


# --- the income calculator (each setting redraws a figure, so the tests set few) ------------------

INPUTS = (widgets.IntSlider, widgets.FloatSlider, widgets.Dropdown, widgets.Checkbox, widgets.DatePicker)


@pytest.fixture(scope="module")
def jussi():
    """The calculator as module 10 opens it (read only)."""
    return income_calculator(lang="en")


def test_the_calculator_starts_from_jussi_and_flags_the_months_over_the_limit(jussi):
    assert [m.status for m in jussi.months[:3]] == ["no_work", "no_work", "over_limit"]
    text = plain(jussi.result.value)
    assert "In months 3–12 pay is above the earnings limit" in text and "unconfirmed" in text
    assert "earnings limit of €976.59 a month (40% of established earnings" in text and "[C74]" in text
    assert "Pay in a working month: 20 h a week × €13.50 × 52 / 12 = €1,170.00" in plain(jussi.pay.value)


def test_every_input_is_named_and_the_figure_has_alt_text(jussi):
    inputs = [w for w in jussi.children if isinstance(w, INPUTS)]
    assert len(inputs) == 9 and all(w.description.strip() for w in inputs)
    assert isinstance(jussi.plot, Picture) and bytes(jussi.plot.value)
    assert jussi.plot.alt.startswith("Stacked bar chart of 12 months")
    assert "10 months are over it" in jussi.plot.alt
    bundle = jussi._repr_mimebundle_()
    assert f'<img alt="{html.escape(jussi.plot.alt, quote=True)}"' in bundle["text/html"]


def test_sixteen_hours_stay_within_the_limit_and_resting_stops_the_pension():
    within = income_calculator(lang="en", hours=16)
    assert within.summary.over_limit_months == () and within.summary.total == 23040
    assert "above the earnings limit" not in within.result.value
    resting = income_calculator(lang="en", rest_months=12)
    assert resting.summary.resting_months == tuple(range(3, 13)) and resting.summary.total == 13980
    assert "The pension rests in months 3–12" in plain(resting.result.value)


def test_switching_to_unemployment_benefit_applies_the_half_rule_and_hides_pension_controls():
    view = income_calculator(lang="en", situation="unemployment", benefit=750)
    assert [m.benefit for m in view.months[2:4]] == [165, 165]  # 750 − 1,170 / 2
    assert view.prior_earnings.layout.display == "none" and view.claim_start.layout.display is None
    assert "[C72, C75]" in view.result.value
    view.rest.value = True
    assert "applies only to a disability pension" in view.result.value and view.summary.resting_months == ()
    view.claim_start.value = None
    assert view.months == () and "Pick the date" in view.result.value


def test_the_figure_and_its_alt_text_follow_the_plan():
    view = income_calculator(lang="en")
    before = bytes(view.plot.value)
    view.hours.value = 10
    assert bytes(view.plot.value) != before and "0 months are over it" in view.plot.alt
    assert [m.earnings for m in view.months[:3]] == [0, 0, monthly_earnings(10, 13.5)]


def test_finnish_inputs_sums_and_table_are_in_finnish():
    view = income_calculator(lang="fi")
    assert all(w.description.strip() for w in view.children if isinstance(w, INPUTS))
    text = plain(view.table.value)  # plain() turns no-break spaces into spaces
    assert "Kuukausi" in text and "1 170,00" in text and "ansioraja ylittyy" in text
    assert "ansiorajan 976,59 € kuukaudessa" in plain(view.result.value)
    assert view.plot.alt.startswith("Pinottu pylväskaavio")


def test_unknown_language_and_situation_are_named():
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        income_calculator(lang="sv")
    with pytest.raises(BenefitError, match="situation must be one of"):
        income_calculator(lang="en", situation="retired")
