"""The service-system data and the pure rules behind the course widgets (no widgets here)."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.learning.text import Bilingual, load_data
from sim.practice import services
from sim.practice.services import (
    ACTORS,
    ASSESSMENT_AREAS,
    EVIDENCE,
    ROLE_TASKS,
    Situation,
    assess_coverage,
    check_roles,
    compare_pathways,
    learning_path,
    navigate,
)

KNOWN_CODES = {f"S{n}" for n in range(5)} | {f"C{n}" for n in range(1, 80)}

situations = st.builds(
    Situation,
    age_group=st.sampled_from(services.AGE_GROUPS),
    benefit=st.sampled_from(services.BENEFITS),
    barrier=st.sampled_from(services.BARRIERS),
    work_history=st.sampled_from(services.WORK_HISTORIES),
    wants_open_market=st.booleans(),
)
ALL_SITUATIONS = [
    Situation(age_group=a, benefit=b, barrier=c, work_history=d, wants_open_market=e)
    for a, b, c, d, e in itertools.product(services.AGE_GROUPS, services.BENEFITS, services.BARRIERS,
                                           services.WORK_HISTORIES, (True, False))
]


def bilingual(text) -> bool:
    """A checked en/fi text from the data file (``load_data`` validated both languages)."""
    return isinstance(text, Bilingual) and bool(text("en").strip()) and bool(text("fi").strip())


# --- data ---------------------------------------------------------------------------


def test_every_actor_has_names_and_roles_in_both_languages_and_known_sources():
    for actor in ACTORS.values():
        assert bilingual(actor.name) and bilingual(actor.role), actor.id
        assert actor.sources and set(actor.sources) <= KNOWN_CODES, actor.id


def test_the_texts_are_the_data_file_s():
    data = load_data(services.DATA_FILE)
    assert [a["id"] for a in data["actors"]] == list(ACTORS)
    assert ACTORS["kela"].name("fi") == next(a for a in data["actors"] if a["id"] == "kela")["name"]["fi"]
    assert [t["id"] for t in data["role_tasks"]] == [t.id for t in ROLE_TASKS]
    assert set(data["reasons"]) == set(services.REASONS)


def test_every_reason_in_the_data_is_given_for_some_situation():
    given = {s for situation in ALL_SITUATIONS for s in navigate(situation).suggestions}
    assert given == set(services.REASONS.values())  # no reason is unreachable, none is made up


def test_actor_lookup_error_lists_the_known_actors():
    with pytest.raises(KeyError, match="kela"):
        services.actor("te_office")


def test_every_assessment_area_and_role_task_is_bilingual_sourced_and_points_to_real_actors():
    for area in ASSESSMENT_AREAS:
        assert bilingual(area.name) and bilingual(area.why) and set(area.sources) <= KNOWN_CODES
        assert area.sources and set(area.who) <= set(ACTORS)
    for task in ROLE_TASKS:
        assert bilingual(task.task) and bilingual(task.explanation) and task.sources
        assert set(task.sources) <= KNOWN_CODES and task.actor in services.ROLE_CHOICES


def test_role_choices_are_real_actors_and_every_choice_is_not_a_trick():
    assert set(services.ROLE_CHOICES) <= set(ACTORS)
    assert len({task.actor for task in ROLE_TASKS}) >= 6  # the exercise uses many different actors


def test_evidence_shares_are_proportions_with_ips_ahead_and_sources_given():
    for ev in EVIDENCE.values():
        assert 0 < ev.comparison_share < ev.ips_share < 1, ev.id
        assert bilingual(ev.label) and bilingual(ev.detail)
        assert ev.sources and set(ev.sources) <= KNOWN_CODES


def test_evidence_figures_are_the_ones_in_the_sources():
    assert (EVIDENCE["bond2008"].ips_share, EVIDENCE["bond2008"].comparison_share) == (0.61, 0.23)
    assert (EVIDENCE["eqolise2007"].ips_share, EVIDENCE["eqolise2007"].comparison_share) == (0.55, 0.28)
    assert (EVIDENCE["varma2022"].ips_share, EVIDENCE["varma2022"].comparison_share) == (0.40, 0.25)


# --- service navigator ----------------------------------------------------------------


def test_the_sote_centre_is_always_a_door_without_referral():
    for situation in ALL_SITUATIONS:
        assert "sote_centre" in navigate(situation).actor_ids


@given(situations)
def test_every_navigation_names_a_known_case_manager_and_sourced_bilingual_reasons(situation):
    nav = navigate(situation)
    assert nav.case_manager in ACTORS and nav.entry in ACTORS
    assert bilingual(nav.case_manager_why)
    assert len(nav.actor_ids) == len(set(nav.actor_ids))
    for suggestion in nav.suggestions:
        assert suggestion.actor in ACTORS
        assert bilingual(suggestion.why)
        assert suggestion.sources and set(suggestion.sources) <= KNOWN_CODES


@given(situations)
def test_wanting_open_market_work_always_brings_in_a_job_coach_and_never_excludes_anyone(situation):
    wants = navigate(dataclasses.replace(situation, wants_open_market=True))
    assert "job_coach" in wants.actor_ids  # zero exclusion: no barrier keeps the coach out
    not_now = navigate(dataclasses.replace(situation, wants_open_market=False))
    assert "job_coach" not in not_now.actor_ids


def test_work_history_decides_between_kela_and_the_pension_insurer():
    base = Situation(benefit="unemployment_benefit", barrier="health_physical")
    short = navigate(dataclasses.replace(base, work_history="none_or_short")).actor_ids
    established = navigate(dataclasses.replace(base, work_history="established")).actor_ids
    assert "kela" in short and "pension_insurer" not in short
    assert "pension_insurer" in established and "kela" not in established


def test_young_people_come_in_through_ohjaamo_with_the_age_limit_flagged_unconfirmed():
    nav = navigate(Situation(age_group="youth", barrier="skills", benefit="unemployment_benefit"))
    assert nav.entry == "ohjaamo" and nav.case_manager == "ohjaamo"
    reason = nav.reasons("ohjaamo")[0]
    assert "unconfirmed" in reason.why["en"] and "vahvistettu" in reason.why["fi"]


def test_case_manager_follows_the_main_barrier():
    assert navigate(Situation(barrier="health_mental")).case_manager == "coordinator"
    life = Situation(barrier="life_situation", benefit="social_assistance")
    assert navigate(life).case_manager == "social_work"
    skills = Situation(barrier="skills", benefit="unemployment_benefit")
    assert navigate(skills).case_manager == "employment_services"
    assert navigate(Situation(barrier="skills", benefit="sickness_allowance")).case_manager == "coordinator"


def test_rehabilitative_work_activity_is_offered_only_to_those_not_seeking_open_work_now():
    def offers_activity(situation):
        return any("kuntouttava" in s.why["en"] for s in navigate(situation).suggestions)
    lms = Situation(benefit="labour_market_subsidy", barrier="health_mental")
    assert offers_activity(dataclasses.replace(lms, wants_open_market=False))
    assert not offers_activity(lms)


def test_mikko_the_module_one_case_gets_the_expected_network():
    mikko = Situation(age_group="adult", benefit="labour_market_subsidy", barrier="health_physical",
                      work_history="none_or_short", wants_open_market=True)
    nav = navigate(mikko)
    assert nav.case_manager == "coordinator"
    assert {"employment_services", "typ", "work_ability_team", "kela", "job_coach"} <= set(nav.actor_ids)


def test_situation_rejects_unknown_values_naming_the_field_and_the_choices():
    with pytest.raises(ValueError, match=r"benefit='pension'.*disability_pension"):
        Situation(benefit="pension")
    with pytest.raises(TypeError):
        Situation("adult")  # keyword-only


# --- initial assessment -----------------------------------------------------------------


def test_health_check_only_leaves_six_areas_and_calls_in_the_network():
    cov = assess_coverage(["health"])
    assert cov.health_check_only and not cov.complete
    assert len(cov.missing) == len(ASSESSMENT_AREAS) - 1
    assert {"coordinator", "social_work", "employment_services", "kela"} <= set(cov.actors_to_involve)


def test_covering_everything_is_complete_and_needs_nobody_else():
    cov = assess_coverage(a.id for a in ASSESSMENT_AREAS)
    assert cov.complete and cov.actors_to_involve == () and cov.share_covered == 1.0
    assert not cov.health_check_only


@given(st.sets(st.sampled_from([a.id for a in ASSESSMENT_AREAS])))
def test_covering_more_never_adds_missing_areas(chosen):
    cov = assess_coverage(chosen)
    assert set(cov.covered) == chosen and set(cov.covered).isdisjoint(cov.missing)
    for extra in cov.missing:
        more = assess_coverage(chosen | {extra})
        assert set(more.missing) < set(cov.missing)
        assert set(more.actors_to_involve) <= set(cov.actors_to_involve)


def test_unknown_assessment_area_is_named_in_the_error():
    with pytest.raises(ValueError, match="horoscope"):
        assess_coverage(["health", "horoscope"])


# --- who does what --------------------------------------------------------------------------


def test_expected_answers_all_check_as_correct_and_blanks_do_not():
    results = check_roles({task.id: task.actor for task in ROLE_TASKS})
    assert all(r.correct for r in results) and len(results) == len(ROLE_TASKS)
    blank = check_roles({})
    assert not any(r.correct for r in blank) and all(r.chosen is None for r in blank)


def test_role_check_flags_a_wrong_actor_and_rejects_unknown_tasks():
    results = {r.task_id: r for r in check_roles({"employer_contact": "coordinator"})}
    assert not results["employer_contact"].correct and results["employer_contact"].expected == "job_coach"
    with pytest.raises(KeyError, match="make_coffee"):
        check_roles({"make_coffee": "job_coach"})
    with pytest.raises(KeyError, match="wizard"):
        check_roles({"employer_contact": "wizard"})


# --- train then place vs place then train ----------------------------------------------------


def test_ips_first_employer_contact_is_within_thirty_days():
    c = compare_pathways(12, 4, "bond2008")
    assert all(isinstance(p, services.TimelinePhase) for p in c.stepwise + c.ips)
    assert c.ips_first_contact_month * 30.4 == pytest.approx(30)
    assert c.stepwise_first_contact_month == 12
    assert c.months_earlier == pytest.approx(12 - 30 / 30.4)


@given(st.integers(3, 23), st.integers(1, 12))
def test_longer_preparation_never_brings_the_stepwise_job_sooner(prep, search):
    shorter, longer = compare_pathways(prep, search), compare_pathways(prep + 1, search)
    assert longer.stepwise_first_job_month > shorter.stepwise_first_job_month
    assert longer.ips_first_job_month == shorter.ips_first_job_month
    assert longer.months_earlier > shorter.months_earlier > 0


@given(st.integers(3, 24), st.integers(1, 12))
def test_timelines_are_contiguous_and_only_job_search_is_an_assumption(prep, search):
    c = compare_pathways(prep, search)
    for phases in (c.stepwise, c.ips):
        assert phases[0].start_month == 0 and phases[-1].end_month == c.horizon_months
        for before, after in zip(phases, phases[1:], strict=False):
            assert before.end_month == pytest.approx(after.start_month)
        assert [p.assumed for p in phases] == [False, True, False]


def test_pathway_inputs_outside_the_sourced_ranges_are_rejected_with_the_range():
    with pytest.raises(ValueError, match="3–24"):
        compare_pathways(prep_months=30)
    with pytest.raises(ValueError, match="1–12"):
        compare_pathways(search_months=0)
    with pytest.raises(ValueError, match="bond2008"):
        compare_pathways(evidence="anecdote")


# --- learning path ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", services.LEARNER_ROLES)
def test_every_learning_path_starts_with_the_core_and_covers_each_module_once(role):
    path = learning_path(role)
    assert path[:5] == ("m00", "m01", "m02", "m03", "m04")
    assert sorted(path) == list(services.MODULE_IDS)


def test_learning_paths_differ_by_role_and_unknown_roles_are_named():
    assert len({learning_path(role) for role in services.LEARNER_ROLES}) == len(services.LEARNER_ROLES)
    with pytest.raises(ValueError, match="astronaut"):
        learning_path("astronaut")
