"""The course explorers driven headless: set ``.value`` like a learner, read what is shown."""

from __future__ import annotations

import ast
import html
from pathlib import Path

import pytest

import sim.widgets as sw
from sim.learning.text import UnknownLanguageError, number, percent
from sim.practice import services

SIM_DIR = Path(__file__).resolve().parents[1] / "sim"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

FACTORIES = {
    "learning_path": lambda lang: sw.learning_path(lang=lang),
    "service_navigator": lambda lang: sw.service_navigator(lang=lang),
    "assessment_explorer": lambda lang: sw.assessment_explorer(lang=lang),
    "role_matcher": lambda lang: sw.role_matcher(lang=lang),
    "pathway_comparison": lambda lang: sw.pathway_comparison(lang=lang),
    "quiz": lambda lang: sw.quiz("m01", lang=lang),
}


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("lang", ["en", "fi"])
def test_every_view_carries_a_live_widget_and_a_static_snapshot(name, lang):
    view = FACTORIES[name](lang)
    bundle = view._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    html = bundle["text/html"]
    assert "tyokyky-snapshot" in html
    assert ("Static preview" in html) == (lang == "en")
    assert ("Staattinen esikatselu" in html) == (lang == "fi")
    assert repr(view) == f"<{type(view).__name__} lang={lang!r}>"


@pytest.mark.parametrize("name", FACTORIES)
def test_every_view_rejects_an_unknown_language(name):
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        FACTORIES[name]("sv")


def test_ipywidgets_is_imported_only_inside_sim_widgets():
    offenders = []
    for path in SIM_DIR.rglob("*.py"):
        if "widgets" in path.relative_to(SIM_DIR).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "ipywidgets" for n in names):
                offenders.append(str(path.relative_to(SIM_DIR)))
    assert not offenders


# --- module 0: learning path ---------------------------------------------------------


def test_learning_path_follows_the_chosen_role():
    view = sw.learning_path(lang="fi")
    assert view.path == services.learning_path("coordinator")
    view.role.value = "job_coach"
    assert view.path == services.learning_path("job_coach")
    first_after_core = view.result.value.split("</li>")[5]
    assert "5 Laatukriteerien mukainen arviointi" in first_after_core
    assert "yhteinen perusosa" in view.result.value


# --- module 1: service navigator -------------------------------------------------------


def test_navigator_preset_matches_the_case_and_shows_the_case_manager():
    view = sw.service_navigator(lang="en", benefit="labour_market_subsidy", barrier="health_physical")
    assert view.benefit.value == "labour_market_subsidy" and view.barrier.value == "health_physical"
    assert "Responsible case manager: Work-ability coordinator" in view.result.value
    assert view.navigation == services.navigate(view.situation)


def test_unticking_open_market_work_removes_the_job_coach_and_offers_work_activity():
    view = sw.service_navigator(lang="en")
    assert "Job coach (supported employment)" in view.result.value
    view.wants_open_market.value = False
    assert "Job coach (supported employment)" not in view.result.value
    assert "kuntouttava työtoiminta" in view.result.value
    assert "job_coach" not in view.navigation.actor_ids


def test_established_work_history_switches_rehabilitation_to_the_pension_insurer_in_finnish():
    view = sw.service_navigator(lang="fi", benefit="unemployment_benefit", barrier="health_physical")
    assert "<b>Kela</b>" in view.result.value and "Työeläkelaitos" not in view.result.value
    view.work_history.value = "established"
    assert "<b>Työeläkelaitos</b>" in view.result.value and "<b>Kela</b>" not in view.result.value
    assert "[C57, C79]" in view.result.value  # sources are shown next to each reason


def test_navigator_snapshot_lists_the_current_settings():
    view = sw.service_navigator(lang="fi")
    view.age_group.value = "youth"
    snapshot = view.snapshot_html()
    assert "Ikäryhmä:: Nuori" not in snapshot  # labels keep a single colon
    assert "Ikäryhmä: Nuori" in snapshot and "Ohjaamo" in snapshot
    assert "☑ Haluaa töihin avoimille työmarkkinoille" in snapshot


# --- module 2: initial assessment ---------------------------------------------------------


def test_assessment_starts_from_the_health_check_and_warns():
    view = sw.assessment_explorer(lang="en")
    assert view.areas["health"].value is True
    assert "1 of 7 areas covered" in view.result.value
    assert "health check alone is not enough" in view.result.value
    assert view.coverage.health_check_only


def test_ticking_every_area_completes_the_assessment_and_asks_for_a_case_manager():
    view = sw.assessment_explorer(lang="fi")
    for box in view.areas.values():
        box.value = True
    assert view.coverage.complete
    assert "7/7 osa-aluetta selvitetty" in view.result.value
    assert "yksi vastuuhenkilö" in view.result.value
    assert "Vielä selvittämättä" not in view.result.value


def test_ticking_life_situation_removes_it_from_the_missing_list():
    view = sw.assessment_explorer(lang="en")
    assert "Life situation: housing, money, relationships</b>" in view.result.value
    view.areas["life_situation"].value = True
    assert "Life situation: housing, money, relationships</b>" not in view.result.value
    assert "life_situation" in view.coverage.covered


# --- module 3: role matcher -------------------------------------------------------------------


def test_role_matcher_scores_all_right_answers_in_full():
    view = sw.role_matcher(lang="en")
    for task in services.ROLE_TASKS:
        view.selectors[task.id].value = task.actor
    view.check_button.click()
    n = len(services.ROLE_TASKS)
    assert f"{n} / {n} tasks matched" in view.score.value
    assert view.feedback.value.count("✔") == n


def test_role_matcher_explains_a_wrong_choice_and_names_the_right_actor():
    view = sw.role_matcher(lang="fi")
    view.selectors["employer_contact"].value = "coordinator"
    view.check_button.click()
    assert "Valitsit: Työkykykoordinaattori. Oikea vastaus: Työhönvalmentaja." in view.feedback.value
    assert "30 päivän" in view.feedback.value and "[C13]" in view.feedback.value
    assert "0/8 tehtävää oikein" in view.score.value
    assert "Ei vastausta" in view.feedback.value  # the untouched tasks


# --- module 4: pathway comparison -------------------------------------------------------------


def test_moving_the_preparation_slider_redraws_the_figure_and_the_summary():
    view = sw.pathway_comparison(lang="en")
    png_before = bytes(view.plot.value)
    assert png_before.startswith(b"\x89PNG")
    view.prep_months.value = 24
    assert view.comparison.prep_months == 24
    assert "after about 24 months of preparation" in view.summary.value
    assert bytes(view.plot.value) != png_before
    timeline = view.figure.axes[0]
    stepwise_bars = timeline.collections[0].get_paths()  # first phase of the stepwise row
    assert max(v[0] for v in stepwise_bars[0].vertices) == pytest.approx(24)


def test_choosing_another_study_changes_the_bars_and_the_cited_source():
    view = sw.pathway_comparison(lang="fi")
    bars = view.figure.axes[1].patches
    assert [round(b.get_height()) for b in bars] == [61, 23]
    view.evidence.value = "varma2022"
    bars = view.figure.axes[1].patches
    assert [round(b.get_height()) for b in bars] == [40, 25]
    assert "[C24]" in view.figure.axes[1].get_title()
    assert f"IPS {percent(0.4, 'fi')}, vertailupalvelu {percent(0.25, 'fi')}" in view.summary.value
    assert [t.get_text() for t in view.figure.axes[1].texts] == [percent(0.4, "fi"), percent(0.25, "fi")]


def test_job_search_assumption_moves_both_first_jobs_but_not_the_gap():
    view = sw.pathway_comparison(lang="en", search_months=2)
    gap = view.comparison.months_earlier
    view.search_months.value = 9
    assert view.comparison.months_earlier == pytest.approx(gap)
    assert "your assumption" in view.summary.value


def test_sooner_months_are_written_with_one_decimal_in_the_language():
    view = sw.pathway_comparison(lang="fi", prep_months=12)
    months = number(view.comparison.months_earlier, "fi", 1)
    assert months == "11,0" and f"noin {months} kuukautta aiemmin" in view.summary.value


def test_pathway_snapshot_embeds_the_current_figure_with_alt_text():
    view = sw.pathway_comparison(lang="en", prep_months=6)
    snapshot = view.snapshot_html()
    assert 'src="data:image/png;base64,' in snapshot
    assert "Stepwise preparation (months): 6" in snapshot
    alt = view.plot.alt
    assert alt.startswith("Left: a timeline in months") and "preparation for 6 months" in alt
    assert f"Bond, Drake & Becker 2008: {percent(0.61, 'en')} with IPS" in alt
    assert f'alt="{html.escape(alt, quote=True)}"' in snapshot


def test_the_views_live_in_one_module_per_concept():
    assert sw.service_navigator.__module__ == "sim.widgets.services"
    assert sw.pathway_comparison.__module__ == "sim.widgets.pathway_comparison"
    assert sw.pathway_figure.__module__ == "sim.widgets.pathway_comparison"
    assert sw.employer_planner.__module__ == "sim.widgets.employers"
    assert sw.impact_calculator.__module__ == "sim.widgets.impact"


def test_pictures_keep_their_words_without_a_tooltip_that_breaks_jupyterlab():
    """ipywidgets 8's ImageView crashes in JupyterLab when an Image has a tooltip (it reads the
    description an Image does not have); the alt text stays on the Python side instead."""
    from sim.widgets import pathway_comparison
    from sim.widgets.base import esc

    view = pathway_comparison()
    assert view.plot.tooltip is None
    assert view.plot.alt and f'alt="{esc(view.plot.alt)}"' in view.snapshot_html()
