"""Module 7 and 9 views driven headless: set ``.value`` like a learner, read what is shown."""

from __future__ import annotations

import html

import pytest

from sim.learning.text import UnknownLanguageError, percent
from sim.practice import employers, impact
from sim.widgets.employers import employer_planner
from sim.widgets.impact import EXAMPLE_QUARTERS, impact_calculator

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FACTORIES = {
    "employer_planner": lambda lang: employer_planner(lang=lang),
    "impact_calculator": lambda lang: impact_calculator(lang=lang),
}


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("lang", ["en", "fi"])
def test_every_view_carries_a_live_widget_and_a_static_snapshot(name, lang):
    view = FACTORIES[name](lang)
    bundle = view._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and "tyokyky-snapshot" in bundle["text/html"]
    assert ("Static preview" in bundle["text/html"]) == (lang == "en")


@pytest.mark.parametrize("name", FACTORIES)
def test_every_view_rejects_an_unknown_language(name):
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        FACTORIES[name]("sv")


# --- module 7: employer planner ------------------------------------------------------------


def test_planner_starts_from_the_example_job_seeker_and_ranks_like_the_logic():
    view = employer_planner(lang="en")
    assert view.seeker == employers.EXAMPLE_SEEKER
    assert view.matches == employers.rank(employers.EXAMPLE_SEEKER, employers.EXAMPLE_EMPLOYERS)
    table = view.result.value
    assert table.index("Birchwood Parish Cemetery") < table.index("Harbour Street Grocery")
    assert "100 · good match" in table and "vacancy open" in table


def test_ticking_retail_and_customers_lifts_the_grocery_up_the_ranking():
    view = employer_planner(lang="en")
    before = [m.employer.id for m in view.matches].index("e3")
    view.fields["retail"].value = True
    view.strengths["customers"].value = True
    view.avoid["busy"].value = False
    view.avoid["constant_customers"].value = False
    after = [m.employer.id for m in view.matches].index("e3")
    assert after < before
    grocery = next(m for m in view.matches if m.employer.id == "e3")
    assert grocery.preferred and grocery.conflicts == ()


def test_adjustments_and_conflicts_are_spelled_out_in_finnish():
    view = employer_planner(lang="fi")
    html = view.result.value
    assert "Kysyttävät järjestelyt: lyhyempi työviikko" in html
    assert "Ristiriidassa toiveiden kanssa: Meluisa ja kiireinen ympäristö" in html
    assert "avoin paikka" in html and "20–37,5 h/vk" in html


def test_lowering_the_hours_wanted_turns_full_time_jobs_into_adjustments_or_misses():
    view = employer_planner(lang="en")
    view.max_hours.value = 15
    e5 = next(m for m in view.matches if m.employer.id == "e5")
    assert e5.parts["hours"] == 0 and e5.score < 100


def test_contact_plan_follows_the_sliders_and_flags_unconfirmed_anchors():
    view = employer_planner(lang="en")
    assert view.plan_check.sv6_rating == 3 and view.plan_check.sv5_rating == 3
    assert "SV5 and SV6 anchors are unconfirmed" in view.plan_result.value
    view.contacts.value = 6
    view.log_review.value = "weekly"
    view.preference_share.value = 95
    assert (view.plan_check.sv5_rating, view.plan_check.sv6_rating) == (5, 5)
    assert "SV5 individualised job search: 5/5 · SV6 employer contacts: 5/5" in view.plan_result.value
    assert "reaches the top SV6 anchor" in view.plan_result.value and "[C14]" in view.plan_result.value


def test_minutes_per_contact_move_the_hours_against_c14():
    view = employer_planner(lang="fi", contacts=6, preference_share=90, log_review="weekly")
    assert view.plan_check.hours_band == "within"
    view.minutes.value = 90
    assert view.plan_check.hours_band == "above" and view.plan_check.hours_per_week == 9
    assert "ylittää kuvatut 4–6 tuntia" in view.plan_result.value


def test_hours_and_distances_are_written_in_the_language():
    en, fi = employer_planner(lang="en").result.value, employer_planner(lang="fi").result.value
    assert "20–37.5 h/week; 6 km" in en and "20–37,5 h/vk; 6 km" in fi


def test_planner_snapshot_holds_both_tables():
    snapshot = employer_planner(lang="en").snapshot_html()
    assert "Birchwood Parish Cemetery" in snapshot and "SV6 employer contacts" in snapshot


# --- module 9: impact calculator -------------------------------------------------------------


def test_calculator_judges_the_example_quarters_like_the_logic():
    view = impact_calculator(lang="en")
    expected = impact.judge_periods(EXAMPLE_QUARTERS)
    assert view.results == expected
    assert f"5 of 24 in competitive work ({percent(5 / 24, 'en')})" in view.table.value
    assert view.table.value.count("too small to judge") == sum(r.too_small for r in expected) == 2
    assert "[C38]" in view.table.value
    assert "about 77 people served" in view.needed.value
    assert f"With a true rate of {percent(0.41, 'en')} (the average benchmark)" in view.needed.value


def test_doubling_the_counts_lets_the_last_quarter_be_judged():
    view = impact_calculator(lang="en")
    assert view.results[-1].too_small
    view.working[3].value = 60
    view.served[3].value = 152
    assert not view.results[-1].too_small
    assert f"Clearly above the minimum benchmark ({percent(0.31, 'en')})" in view.table.value


def test_lower_confidence_and_exact_method_change_the_intervals():
    view = impact_calculator(lang="fi")
    wilson95 = view.results[2].proportion
    view.level.value = 0.8
    assert view.results[2].proportion.width < wilson95.width
    assert f"{percent(0.8, 'fi')}:n luottamusväli" in view.table.value
    assert view.level.label == percent(0.8, "fi")
    assert "noin 31 palveltua" in view.needed.value
    view.method.value = "exact"
    assert view.results[2].proportion.method == "exact"


def test_more_working_than_served_is_explained_not_crashed():
    view = impact_calculator(lang="en")
    view.working[1].value = 40
    assert view.results == [] and "More people in work than served in Q2" in view.table.value
    assert view.plot.layout.display == "none" and 'src="data:image' not in view.snapshot_html()
    view.working[1].value = 9
    assert len(view.results) == 4


def test_figure_follows_the_counts():
    view = impact_calculator(lang="en")
    before = bytes(view.plot.value)
    assert before.startswith(b"\x89PNG")
    view.served[0].value = 0
    view.working[0].value = 0
    assert [r.label for r in view.results] == ["Q2", "Q3", "Q4"]
    assert bytes(view.plot.value) != before
    assert [t.get_text() for t in view.figure.axes[0].get_xticklabels()] == ["Q2", "Q3", "Q4"]


def test_calculator_snapshot_embeds_the_figure_with_alt_text():
    view = impact_calculator(lang="fi")
    snapshot = view.snapshot_html()
    assert 'src="data:image/png;base64,' in snapshot and "Liian vähän ihmisiä" in snapshot
    alt = view.plot.alt
    assert html.escape(alt, quote=True) in snapshot and "vuosineljänneksittäin" in alt
    p = view.results[0].proportion
    assert f"Q1 {percent(p.rate, 'fi')} ({percent(p.low, 'fi')}–{percent(p.high, 'fi')})" in alt
    assert f"vähimmäistaso {percent(0.31, 'fi')}" in alt
    assert alt.count("liian pieni arvioitavaksi") == sum(r.too_small for r in view.results)
