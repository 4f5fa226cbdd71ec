"""Job development logic (sim.practice.employers): matches follow preferences first, every point is traceable,
and the weekly contact plan is rated through the fidelity scale."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.learning.text import UnknownLanguageError, load_data, percent
from sim.practice import employers as emp
from sim.practice import fidelity
from sim.practice.employers import (
    CONDITIONS,
    EXAMPLE_EMPLOYERS,
    EXAMPLE_SEEKER,
    FIELDS,
    STRENGTHS,
    Employer,
    EmployerError,
    JobSeeker,
    check_contact_plan,
    match,
    rank,
)


def seeker(**changes) -> JobSeeker:
    base = dict(name="Test (fictional)", preferred_fields=("warehouse",), strengths=("reliable", "physical"),
                max_hours_week=25, max_travel_km=10, avoid=("busy",))
    base.update(changes)
    return JobSeeker(**base)


def employer(**changes) -> Employer:
    base = dict(id="x", name="Test employer", field="warehouse", needs=("reliable", "physical"),
                hours_week=20, distance_km=5)
    base.update(changes)
    return Employer(**base)


# --- matching -------------------------------------------------------------------------


def test_a_preferred_job_that_fits_everything_scores_full_marks():
    m = match(seeker(), employer())
    assert m.score == 100 and m.fit == "good"
    assert m.preferred and m.strengths_met == ("reliable", "physical") and not m.strengths_missing
    assert m.adjustments == () and m.conflicts == ()


def test_the_score_is_the_sum_of_its_parts():
    for e in EXAMPLE_EMPLOYERS:
        m = match(EXAMPLE_SEEKER, e)
        assert m.score == max(0, round(sum(m.parts.values())))
        assert 0 <= m.score <= 100


def test_preference_outweighs_an_open_vacancy():
    wanted = employer(id="a", field="warehouse", hiring_now=False)
    vacancy = employer(id="b", field="retail", hiring_now=True)
    ranked = rank(seeker(), [vacancy, wanted])
    assert [m.employer.id for m in ranked] == ["a", "b"]
    assert ranked[0].score - ranked[1].score == emp.WEIGHTS["preference"]


def test_open_vacancies_are_never_scored():
    open_now, closed = employer(hiring_now=True), employer(hiring_now=False)
    assert match(seeker(), open_now).score == match(seeker(), closed).score


def test_an_avoided_condition_the_employer_can_change_becomes_an_adjustment_not_a_conflict():
    fixed = match(seeker(), employer(conditions=("busy",)))
    flexible = match(seeker(), employer(conditions=("busy",), adjustable=("busy",)))
    assert fixed.conflicts == ("busy",) and fixed.score == 100 - emp.CONFLICT_PENALTY
    assert flexible.adjustments == ("busy",) and flexible.conflicts == () and flexible.score == 100


def test_a_longer_week_the_employer_can_shorten_needs_a_negotiated_adjustment():
    too_long = match(seeker(max_hours_week=20), employer(hours_week=37.5))
    shortened = match(seeker(max_hours_week=20), employer(hours_week=37.5, min_hours_week=20))
    assert too_long.parts["hours"] == 0
    assert shortened.parts["hours"] == pytest.approx(10) and "hours" in shortened.adjustments


def test_travel_counts_half_up_to_one_and_a_half_times_the_limit():
    assert match(seeker(max_travel_km=10), employer(distance_km=10)).parts["travel"] == 15
    assert match(seeker(max_travel_km=10), employer(distance_km=15)).parts["travel"] == 7.5
    assert match(seeker(max_travel_km=10), employer(distance_km=15.1)).parts["travel"] == 0


def test_missing_strengths_are_listed_and_reduce_the_strength_points():
    m = match(seeker(strengths=("reliable",)), employer(needs=("reliable", "physical", "driving")))
    assert m.strengths_missing == ("physical", "driving")
    assert m.parts["strengths"] == pytest.approx(10)


def test_ranking_is_stable_for_equal_scores():
    twins = [employer(id="b"), employer(id="a"), employer(id="c")]
    assert [m.employer.id for m in rank(seeker(), twins)] == ["a", "b", "c"]


def test_the_example_case_ranks_preferred_unadvertised_jobs_above_the_open_vacancies():
    ranked = rank(EXAMPLE_SEEKER, EXAMPLE_EMPLOYERS)
    top_three = ranked[:3]
    assert all(m.preferred and not m.employer.hiring_now for m in top_three)
    hiring = [m for m in ranked if m.employer.hiring_now]
    assert all(m.score < top_three[-1].score for m in hiring)
    assert ranked[-1].fit == "poor"


@given(st.sets(st.sampled_from(sorted(FIELDS)), min_size=1), st.sets(st.sampled_from(sorted(STRENGTHS))),
       st.sets(st.sampled_from(sorted(CONDITIONS))), st.integers(1, 40), st.integers(0, 60))
def test_adding_a_strength_never_lowers_any_score(fields, strengths, avoid, hours, km):
    base = seeker(preferred_fields=tuple(fields), strengths=tuple(strengths), avoid=tuple(avoid),
                  max_hours_week=hours, max_travel_km=km)
    richer = dataclasses.replace(base, strengths=tuple(STRENGTHS))
    for e in EXAMPLE_EMPLOYERS:
        assert match(richer, e).score >= match(base, e).score


def test_unknown_keys_and_bad_numbers_are_named_in_the_error():
    with pytest.raises(EmployerError, match=r"preferred_fields: unknown key\(s\) \['bakery'\]"):
        seeker(preferred_fields=("bakery",))
    with pytest.raises(EmployerError, match="a list of keys, not the text"):
        seeker(strengths="reliable")
    with pytest.raises(EmployerError, match=r"max_hours_week is 60"):
        seeker(max_hours_week=60)
    with pytest.raises(EmployerError, match="adjustable .* not among its conditions"):
        employer(adjustable=("busy",))
    with pytest.raises(EmployerError, match="min_hours_week"):
        employer(hours_week=20, min_hours_week=30)


def test_labels_exist_in_both_languages():
    assert emp.label("field", "warehouse", "fi") == "Varasto ja logistiikka"
    assert emp.FIELDS["warehouse"]("en") == "Warehouse and logistics"
    assert emp.label("condition", "lifting", "en") == "Heavy lifting"
    for table in (FIELDS, STRENGTHS, CONDITIONS):
        assert all(v["en"] and v["fi"] and v["en"] != v["fi"] for v in table.values())
    with pytest.raises(EmployerError, match="unknown strength"):
        emp.label("strength", "charm")
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        emp.label("field", "warehouse", "sv")


def test_every_example_employer_and_task_is_bilingual_and_fictional():
    assert "fictional" in EXAMPLE_SEEKER.name
    assert len({e.id for e in EXAMPLE_EMPLOYERS}) == len(EXAMPLE_EMPLOYERS)
    assert all(e.task["en"] and e.task["fi"] for e in EXAMPLE_EMPLOYERS)
    assert employer().task is None  # a task text is optional


def test_the_example_case_is_the_data_file_s():
    data = load_data(emp.DATA_FILE)
    assert [e["id"] for e in data["example_employers"]] == [e.id for e in EXAMPLE_EMPLOYERS]
    e7 = next(e for e in EXAMPLE_EMPLOYERS if e.id == "e7")
    assert (e7.hours_week, e7.min_hours_week, e7.adjustable) == (37.5, 25, ("busy",))
    assert EXAMPLE_SEEKER.preferred_fields == ("warehouse", "outdoor") and EXAMPLE_SEEKER.max_travel_km == 12


# --- the coach's week ------------------------------------------------------------------


def test_six_weekly_reviewed_contacts_reach_the_top_sv6_anchor_flagged_unconfirmed():
    c = check_contact_plan(6, 95, "weekly")
    assert c.sv6_rating == 5 and c.meets_sv6_top_anchor and c.sv5_rating == 5
    top = next(n for n in c.notes if n.key == "sv6_top")
    assert top.unconfirmed and "unconfirmed" in top.message("en") and "vahvistamaton" in top.message("fi")


def test_ratings_come_from_the_fidelity_scale():
    for contacts in (0, 1.5, 2, 3, 4, 5, 6, 9):
        for log in emp.LOG_REVIEWS:
            c = check_contact_plan(contacts, 50, log)
            assert c.sv6_rating == fidelity.rate_item("SV6", {"value": contacts, "log_review": log})
            assert c.sv5_rating == fidelity.rate_item("SV5", 50)


def test_a_monthly_log_caps_the_rating_and_says_why():
    c = check_contact_plan(8, 90, "monthly")
    assert c.meets_sv6_top_anchor and c.sv6_rating == 3
    note = next(n for n in c.notes if n.key == "sv6_log")
    assert "reviewed monthly caps the rating at 3" in note.message("en")
    assert "kuukausittain" in note.message("fi") and "tasolle 3" in note.message("fi")


def test_vacancy_driven_contacts_lower_sv5_and_cite_the_preference_principle():
    c = check_contact_plan(6, 40, "weekly")
    assert c.sv5_rating == 2
    note = next(n for n in c.notes if n.key == "sv5_low")
    assert note.sources == ("C13",) and f"Only {percent(0.4, 'en')} of contacts" in note.message("en")
    assert f"Vain {percent(0.4, 'fi')} kontakteista" in note.message("fi")


@pytest.mark.parametrize("contacts, minutes, band", [(4, 45, "below"), (6, 45, "within"), (8, 45, "within"),
                                                     (9, 45, "above"), (4, 60, "within")])
def test_job_development_hours_are_compared_with_four_to_six_hours(contacts, minutes, band):
    c = check_contact_plan(contacts, 90, "weekly", minutes)
    assert c.hours_band == band
    assert c.hours_per_week == pytest.approx(contacts * minutes / 60)
    assert next(n for n in c.notes if n.key == f"hours_{band}").sources == ("C14",)


def test_finnish_notes_use_a_decimal_comma():
    c = check_contact_plan(4.5, 90, "weekly", 50)
    hours_note = next(n for n in c.notes if n.key.startswith("hours_"))
    assert "3,8 tuntia" in hours_note.message("fi") and "3.8 h" in hours_note.message("en")
    assert "4,5 kontaktia" in c.notes[0].message("fi")
    assert "4–6 hours" in hours_note.message("en")  # the C14 range, from JOB_DEVELOPMENT_HOURS


@pytest.mark.parametrize("value, en, fi", [(4, "4", "4"), (4.5, "4.5", "4,5"), (3.75, "3.8", "3,8"),
                                           (37.5, "37.5", "37,5"), (4.96, "5", "5")])
def test_amounts_show_a_decimal_only_when_there_is_one(value, en, fi):
    assert (emp.amount(value, "en"), emp.amount(value, "fi")) == (en, fi)


def test_contact_plan_rejects_bad_input():
    with pytest.raises(EmployerError, match="log_review"):
        check_contact_plan(5, 90, "daily")
    with pytest.raises(EmployerError, match="preference_share_pct is 120"):
        check_contact_plan(5, 120)
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        check_contact_plan(5).notes[0].message("sv")
