"""Module 5 and 6 forms (sim.widgets.fidelity, sim.widgets.caseplan, sim.widgets.benefits) driven
headless: set ``.value`` or click like a learner, read what is shown."""

from __future__ import annotations

from datetime import date

import pytest

from sim.learning.text import UnknownLanguageError
from sim.practice import casereview, fidelity
from sim.widgets.benefits import benefits_calculator
from sim.widgets.caseplan import CASE_PLAN_STARTS, caseplan_builder
from sim.widgets.fidelity import FIDELITY_CASES, case_ratings, fidelity_form

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FACTORIES = {
    "fidelity_form": lambda lang: fidelity_form(lang=lang, case="kuopio_team"),
    "caseplan_builder": lambda lang: caseplan_builder(lang=lang),
    "benefits_calculator": lambda lang: benefits_calculator(lang=lang),
}


@pytest.fixture(scope="module")
def kuopio_en():
    return fidelity_form(lang="en", case="kuopio_team")


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("lang", ["en", "fi"])
def test_every_form_carries_a_live_widget_and_a_static_snapshot(name, lang):
    view = FACTORIES[name](lang)
    bundle = view._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and "tyokyky-snapshot" in bundle["text/html"]
    assert ("Staattinen esikatselu" in bundle["text/html"]) == (lang == "fi")
    assert repr(view) == f"<{type(view).__name__} lang={lang!r}>"


@pytest.mark.parametrize("name", FACTORIES)
def test_every_form_rejects_an_unknown_language(name):
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        FACTORIES[name]("sv")


# --- module 5: fidelity form ----------------------------------------------------------------


def test_the_kuopio_case_scores_fair_with_sections_that_add_up(kuopio_en):
    s = kuopio_en.score
    assert s.total == 79 and s.band == "fair"
    assert s.by_section == {"staffing": 13, "organisation": 21, "services": 45}
    assert "Total 79 / 125" in kuopio_en.summary.value
    assert "Staffing 13/15, Organisation 21/40, Services 45/70" in kuopio_en.summary.value
    assert "Next review in 6 months" in kuopio_en.summary.value and "[C9]" in kuopio_en.summary.value
    assert [kuopio_en.accordion.get_title(i) for i in range(3)] == ["Staffing 13/15", "Organisation 21/40",
                                                                    "Services 45/70"]


def test_the_case_reflects_the_pilot_gaps_from_the_seed():
    r = case_ratings("kuopio_team")
    assert r["O2"] == 2 and r["O4"] == 3 and r["O8"] == 2 and r["SV12"] == 3
    assert r["SV10"] == 1  # fewer than ten people in work caps competitive jobs at 1
    assert set(FIDELITY_CASES) == {"kuopio_team"}


def test_changing_one_dropdown_updates_total_band_and_anchor():
    view = fidelity_form(lang="en")
    assert view.score.total == 75 and view.score.band == "fair"
    view.items["S1"].value = 5
    assert view.score.total == 77
    assert "Total 77 / 125" in view.summary.value
    assert "20 or fewer" in view.anchors["S1"].value


def test_reaching_100_moves_to_yearly_reviews_and_good_band():
    view = fidelity_form(lang="fi")
    view.set_ratings({i: 4 for i in fidelity.ITEM_IDS})
    assert view.score.total == 100 and view.score.band == "good"
    assert "Seuraava arviointi 12 kuukauden kuluttua" in view.summary.value
    assert "Hyvä" in view.summary.value


def test_unconfirmed_band_cut_offs_are_flagged():
    view = fidelity_form(lang="en")
    view.set_ratings({i: 5 for i in fidelity.ITEM_IDS})
    assert view.score.band == "exemplary" and "cut-off is unconfirmed" in view.summary.value
    view.set_ratings({i: 2 for i in fidelity.ITEM_IDS})
    assert view.score.band == "not_supported_employment" and "cut-off is unconfirmed" in view.summary.value
    assert "name is unconfirmed" in view.summary.value  # the band's name has no source either
    view.set_ratings({i: 4 for i in fidelity.ITEM_IDS})
    assert "unconfirmed" not in view.summary.value.split("Band")[1].split("</p>")[0]


def test_priorities_list_the_weakest_items_with_the_next_anchor(kuopio_en):
    ids = [p.id for p in kuopio_en.priorities]
    assert ids == [p.id for p in fidelity.improvement_priorities(kuopio_en.ratings, 5)]
    assert ids[:2] == ["O5", "SV10"]
    assert "<b>O5 Role of the employment supervisor</b>: 1 → 2" in kuopio_en.summary.value
    assert "anchors unconfirmed" in kuopio_en.summary.value


def test_items_with_unconfirmed_anchors_are_marked_and_staffing_items_are_not(kuopio_en):
    rows = {row.children[1]: row.children[0].value for sec in kuopio_en.accordion.children
            for row in sec.children}
    by_id = {box_id: rows[box] for box_id, box in kuopio_en.items.items()}
    assert "anchors unconfirmed" not in by_id["S1"] and "[C3, C6, C11]" in by_id["S1"]
    assert "anchors unconfirmed" in by_id["SV6"]


def test_evidence_tab_rates_thresholds_and_counts_and_applies_them():
    view = fidelity_form(lang="en")
    view.evidence["S1"].value = 35
    assert view.evidence_ratings["S1"] == 2 and "rating 2" in view.evidence_results["S1"].value
    view.evidence["SV6"].value = 7
    view.evidence["SV6.log_review"].value = "monthly"
    assert view.evidence_ratings["SV6"] == 3
    for box in view.elements["SV14"].values():
        box.value = True
    assert view.evidence_ratings["SV14"] == 5
    view.evidence["SV10"].value = 98
    view.evidence["SV10.current_jobs"].value = 4
    assert view.evidence_ratings["SV10"] == 1
    view.apply_button.click()
    assert view.ratings["S1"] == 2 and view.ratings["SV6"] == 3 and view.ratings["SV14"] == 5
    assert view.ratings["SV7"] == 3  # judgement items are left to the reviewers
    assert view.score.total == fidelity.score(view.ratings).total


def test_evidence_for_the_case_reproduces_the_case_ratings():
    view = fidelity_form(lang="fi", case="kuopio_team")
    expected = case_ratings("kuopio_team")
    assert {i: expected[i] for i in view.evidence_ratings} == view.evidence_ratings


def test_the_figure_is_redrawn_only_on_request():
    view = fidelity_form(lang="en")
    first = bytes(view.plot.value)
    assert first.startswith(b"\x89PNG") and view.figure_note.value == ""
    view.items["SV4"].value = 1
    assert bytes(view.plot.value) == first and "redraw" in view.figure_note.value
    view.draw_button.click()
    assert bytes(view.plot.value) != first and view.figure_note.value == ""
    assert "73/125" in view.figure._suptitle.get_text()


def test_unknown_case_and_bad_ratings_are_named():
    with pytest.raises(KeyError, match="unknown case 'oulu'"):
        fidelity_form(lang="en", case="oulu")
    with pytest.raises(fidelity.FidelityError, match="Missing ratings"):
        fidelity_form(lang="en", ratings={"S1": 5})


def test_explicit_ratings_override_the_default_start():
    view = fidelity_form(lang="en", ratings=dict.fromkeys(fidelity.ITEM_IDS, 5))
    assert view.score.total == 125


def test_finnish_form_shows_the_working_translation_note():
    view = fidelity_form(lang="fi")
    assert fidelity.NAMES_NOTE("fi") in view.children[0].value
    assert "Asiakasmäärä" in view.accordion.children[0].children[0].children[0].value
    assert fidelity.NAMES_NOTE("en") not in fidelity_form(lang="en").children[0].value


def test_form_snapshot_holds_summary_and_figure(kuopio_en):
    snapshot = kuopio_en.snapshot_html()
    assert "Total 79 / 125" in snapshot and 'src="data:image/png;base64,' in snapshot


@pytest.mark.parametrize("lang, words", [
    ("en", "Bar chart of the 25 item ratings (1–5), grouped by section: Staffing 13/15, "
           "Organisation 21/40, Services 45/70. Total 79/125, Fair fidelity."),
    ("fi", "Pylväskaavio 25 kohdan pisteistä (1–5) osioittain: Henkilöstö 13/15, Organisaatio 21/40, "
           "Palvelut 45/70. Yhteensä 79/125, Kohtalainen."),
])
def test_the_review_figure_has_alt_text_saying_what_it_shows(lang, words):
    view = fidelity_form(lang=lang, case="kuopio_team")
    assert view.plot.alt == words
    assert f'<img alt="{words}"' in view.snapshot_html()
    view.items["S1"].value = 1
    assert view.plot.alt == words  # the picture, and so its words, change only when redrawn
    view.draw_button.click()
    assert "Total 75/125" in view.plot.alt or "Yhteensä 75/125" in view.plot.alt


# --- module 6: case-plan builder ----------------------------------------------------------------


def test_the_weak_start_shows_the_rule_findings_with_sources():
    view = caseplan_builder(lang="en")
    ids = {f.rule_id for f in view.findings}
    assert {"rapid-search-late", "benefits-counselling-late", "entry-barrier", "support-time-limited",
            "parallel-service-no-owner", "disclosure-not-discussed"} <= ids
    assert view.findings == casereview.check(view.plan)
    assert "4 to fix, 6 to check, 1 to note" in view.result.value
    assert "about 84 days after entry" in view.result.value and "[C13]" in view.result.value
    assert "fidelity anchor behind this rule is unconfirmed" in view.result.value


def test_the_good_start_passes_every_rule():
    view = caseplan_builder(lang="fi", start="good")
    assert view.findings == []
    assert "Ei havaintoja" in view.result.value


def test_moving_the_first_employer_visit_to_week_four_clears_the_rapid_search_finding():
    view = caseplan_builder(lang="en")
    view.first_contact_week.value = 5
    assert "rapid-search-late" in {f.rule_id for f in view.findings}
    view.first_contact_week.value = 4
    assert "rapid-search-late" not in {f.rule_id for f in view.findings}
    assert view.plan.steps[2].due_week == 4 and view.plan.steps[2].employer_contact


def test_scheduling_counselling_after_the_job_start_is_an_error():
    view = caseplan_builder(lang="en")
    assert view.counselling_week.disabled
    view.counselling_scheduled.value = True
    assert not view.counselling_week.disabled
    view.counselling_week.value = 20
    view.job_start_week.value = 14
    late = [f for f in view.findings if f.rule_id == "benefits-counselling-late"]
    assert late and "(week 20) is not before the planned job start (week 14)" in late[0].message("en")
    view.counselling_week.value = 2
    assert "benefits-counselling-late" not in {f.rule_id for f in view.findings}


def test_naming_owners_and_removing_the_readiness_rule_clears_those_findings_in_finnish():
    view = caseplan_builder(lang="fi")
    assert "Sosiaalityö (asiakassuunnitelma)" in view.result.value
    view.social_work_owner.value = True
    view.readiness_first.value = False
    view.time_limited.value = False
    ids = {f.rule_id for f in view.findings}
    assert not ids & {"parallel-service-no-owner", "entry-barrier", "support-time-limited"}
    assert view.plan.follow_along.end_week is None


def test_fixing_every_control_of_the_weak_plan_reaches_zero_findings():
    view = caseplan_builder(lang="en")
    for name, value in CASE_PLAN_STARTS["good"].items():
        getattr(view, name).value = value
    assert view.findings == [] and "passes every rule" in view.result.value


def test_caseplan_snapshot_lists_settings_and_findings():
    view = caseplan_builder(lang="en")
    snapshot = view.snapshot_html()
    assert "Week of the first employer visit: 12" in snapshot
    assert "☐ Given by a trained benefits adviser" in snapshot
    assert "to fix" in snapshot


def test_unknown_start_is_an_error():
    with pytest.raises(KeyError, match="unknown start"):
        caseplan_builder(lang="en", start="perfect")


# --- module 6: benefits calculator -------------------------------------------------------------------


def test_earnings_cut_the_benefit_by_half_for_claims_from_april_2024():
    view = benefits_calculator(lang="en", benefit=800, earnings=400)
    assert view.after == 600
    assert "Benefit after earnings: €600.00 a month." in view.result.value
    assert "Earnings and benefit together: €1,000.00 a month." in view.result.value
    assert "no protected amount applies" in view.result.value and "[C72, C75]" in view.result.value
    assert "it would have been €750.00" in view.result.value


def test_an_earlier_claim_date_keeps_the_300_euro_protected_amount():
    view = benefits_calculator(lang="fi", benefit=800, earnings=400)
    view.claim_start.value = date(2024, 3, 31)
    assert view.after == 750
    assert "750,00 €" in view.result.value and "300 ensimmäistä euroa oli suojattu" in view.result.value
    view.claim_start.value = date(2024, 4, 1)
    assert view.after == 600


def test_moving_the_earnings_slider_redraws_the_figure():
    view = benefits_calculator(lang="en")
    before = bytes(view.plot.value)
    view.earnings.value = 1500
    assert bytes(view.plot.value) != before
    marker = [ln for ln in view.figure.axes[0].get_lines() if list(ln.get_xdata()) == [1500, 1500]]
    assert marker


def test_a_cleared_date_asks_for_a_date_instead_of_failing():
    view = benefits_calculator(lang="en")
    view.claim_start.value = None
    assert view.after is None and "Pick the date" in view.result.value


def test_pension_limit_uses_the_share_and_the_floor():
    view = benefits_calculator(lang="en", prior_earnings=3000)
    assert view.limit == 1200 and "Earnings limit: €1,200.00 a month (40% of" in view.pension_result.value
    assert "never below the 2024 floor of €976.59" in view.pension_result.value
    view.pension.value = "partial"
    assert view.limit == 1800 and "(60% of" in view.pension_result.value
    view.prior_earnings.value = 1000
    assert view.limit == pytest.approx(976.59)
    assert "[C74]" in view.pension_result.value


def test_finnish_sums_and_shares_are_written_the_finnish_way():
    view = benefits_calculator(lang="fi", benefit=1500, earnings=200, prior_earnings=3000)
    assert "Etuus tulojen jälkeen: 1\u00a0400,00 € kuukaudessa." in view.result.value
    assert ("Ansioraja: 1\u00a0200,00 € kuukaudessa (40\u00a0% vakiintuneista ansioista, "
            "vähintään vuoden 2024 alaraja 976,59 €).") in view.pension_result.value


def test_the_benefit_figure_has_alt_text_saying_what_it_shows():
    view = benefits_calculator(lang="en", earnings=600)
    alt = view.plot.alt
    assert alt.startswith("Line chart over monthly earnings of €0–3,000") and "earnings of €600." in alt
    view.earnings.value = 1500
    assert "earnings of €1,500." in view.plot.alt
    assert f'<img alt="{view.plot.alt}"' in view.snapshot_html()
    fi = benefits_calculator(lang="fi", earnings=600).plot.alt
    assert fi.startswith("Viivakaavio") and "ansiot 600 €." in fi
