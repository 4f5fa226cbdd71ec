"""Module 12: the follow-along plan, the job-ending review, and the planner driven headless."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest

from sim.learning.text import UnknownLanguageError, load_data
from sim.practice import followalong
from sim.practice.followalong import FollowAlongError, JobEnding, SupportPlan, contact_days, review_ending
from sim.widgets.followalong import followalong_planner

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TOP_ANCHOR = SupportPlan(first_contact_days=3, weekly_weeks=4, later_every_weeks=4, months=None,
                         employer_contact=True, step_down="mental_health_nurse", client_review=True)


def keys(findings) -> list[str]:
    return [f.key for f in findings]


# --- the support plan -------------------------------------------------------------------------


def test_the_top_anchor_rhythm_counts_its_contacts_by_hand():
    # day 3, weekly on days 7..28 (4), then every 4 weeks from day 56 while < 365: 56, 84, ..., 364 (12)
    days = contact_days(TOP_ANCHOR)
    assert days[:5] == (3, 7, 14, 21, 28)
    assert days[5:] == tuple(range(56, 365, 28))
    assert len(days) == 1 + 4 + 12
    assert sum(followalong.contacts_by_month(TOP_ANCHOR)) == len(days)


def test_the_top_anchor_plan_is_ready_and_reports_its_contacts():
    found = followalong.review_plan(TOP_ANCHOR)
    assert keys(found) == ["plan.contacts", "plan.ready"]
    assert "17 face-to-face contacts" in found[0].message("en")
    assert "17 kasvokkaista tapaamista" in found[0].message("fi")


def test_every_month_of_the_first_year_has_a_contact_at_a_monthly_rhythm():
    assert all(c >= 1 for c in followalong.contacts_by_month(TOP_ANCHOR))


def test_an_end_date_set_by_the_service_cuts_the_contacts_and_is_flagged_against_c13():
    ended = replace(TOP_ANCHOR, months=6)
    assert max(contact_days(ended)) < 6 * 365 / 12
    assert len(contact_days(ended)) < len(contact_days(TOP_ANCHOR))
    finding = next(f for f in followalong.review_plan(ended) if f.key == "plan.end_date")
    assert finding.sources == ("C13",) and "6 months" in finding.message("en")


def test_more_frequent_later_contact_never_means_fewer_contacts():
    counts = [len(contact_days(replace(TOP_ANCHOR, later_every_weeks=w))) for w in range(1, 13)]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize(("change", "key", "basis"), [
    (dict(first_contact_days=4), "plan.first_contact_late", "unconfirmed"),
    (dict(weekly_weeks=3), "plan.first_month_thin", "unconfirmed"),
    (dict(later_every_weeks=5), "plan.gaps_too_long", "unconfirmed"),
    (dict(months=12), "plan.end_date", "source"),
    (dict(step_down="none"), "plan.no_step_down", "source"),
    (dict(employer_contact=False), "plan.no_employer", "source"),
    (dict(client_review=False), "plan.no_client_voice", "practice"),
])
def test_each_gap_in_the_plan_has_its_finding_just_past_the_threshold(change, key, basis):
    found = followalong.review_plan(replace(TOP_ANCHOR, **change))
    finding = next(f for f in found if f.key == key)
    assert finding.basis == basis
    if basis == "unconfirmed":
        assert "unconfirmed" in finding.message("en") and "vahvistamaton" in finding.message("fi")
    assert ("plan.ready" in keys(found)) == (finding.level == "info")


@pytest.mark.parametrize(("field", "value"), [("first_contact_days", 31), ("weekly_weeks", -1),
                                              ("later_every_weeks", 0), ("months", 25), ("months", 1.5),
                                              ("step_down", "neighbour")])
def test_bad_plan_values_name_the_field(field, value):
    with pytest.raises(FollowAlongError, match=field):
        replace(TOP_ANCHOR, **{field: value})


# --- the job ending ------------------------------------------------------------------------------


def good_ending(**change) -> JobEnding:
    values = dict(reason="contract_ended", months_in_job=10, days_to_contact=2, lessons_recorded=True,
                  client_account_recorded=True, next_step="new_search") | change
    return JobEnding(**values)


def test_quitting_without_a_plan_and_dismissal_are_the_unsatisfactory_endings_of_c43():
    assert {"quit_unplanned", "dismissed"} == followalong.UNSATISFACTORY
    for reason in followalong.REASONS:
        found = review_ending(good_ending(reason=reason))
        expected = "ending.unsatisfactory" if reason in followalong.UNSATISFACTORY else "ending.satisfactory"
        assert expected in keys(found)
        assert next(f for f in found if f.key == expected).sources == ("C43",)


def test_a_well_handled_ending_has_no_warning_and_compares_tenure_with_c35():
    found = review_ending(good_ending())
    assert {f.level for f in found} <= {"info", "ok"}
    tenure = next(f for f in found if f.key == "ending.tenure")
    assert "10 months" in tenure.message("en") and "9.96" in tenure.message("en")
    assert "9,96" in tenure.message("fi")


def test_closing_the_case_after_a_job_ends_is_an_error_against_c13():
    found = review_ending(good_ending(next_step="close_case"))
    assert found[0].key == "ending.close_case" and found[0].level == "error" and found[0].sources == ("C13",)


def test_late_contact_missing_lessons_and_missing_account_are_each_named():
    assert "ending.contact_late" not in keys(review_ending(good_ending(days_to_contact=3)))
    late = next(f for f in review_ending(good_ending(days_to_contact=4)) if f.key == "ending.contact_late")
    assert "4 days" in late.message("en") and late.basis == "unconfirmed"
    assert "ending.no_lessons" in keys(review_ending(good_ending(lessons_recorded=False)))
    assert "ending.no_client_account" in keys(review_ending(good_ending(client_account_recorded=False)))


def test_every_next_step_and_finding_text_is_used():
    texts = set(load_data(followalong.DATA_FILE)["findings"])
    produced = set()
    for step in followalong.NEXT_STEPS:
        for ending in (good_ending(), followalong.EXAMPLE_ENDING, good_ending(reason="dismissed")):
            produced |= set(keys(review_ending(replace(ending, next_step=step))))
    produced |= set(keys(followalong.review_plan(followalong.EXAMPLE_PLAN)))
    produced |= set(keys(followalong.review_plan(TOP_ANCHOR)))
    assert produced == texts


def test_the_example_case_has_the_gaps_the_module_asks_about():
    plan = keys(followalong.review_plan(followalong.EXAMPLE_PLAN))
    for key in ("plan.first_contact_late", "plan.first_month_thin", "plan.gaps_too_long", "plan.end_date",
                "plan.no_step_down", "plan.no_employer", "plan.no_client_voice"):
        assert key in plan
    ending = keys(review_ending(followalong.EXAMPLE_ENDING))
    assert ending[0] == "ending.close_case" and "ending.unsatisfactory" in ending


# --- the planner ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_planner_carries_a_live_widget_and_a_static_snapshot(lang):
    bundle = followalong_planner(lang=lang)._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and "tyokyky-snapshot" in bundle["text/html"]
    caption = {"en": "Face-to-face contacts in each month",
               "fi": "Kasvokkaiset tapaamiset kunakin kuukautena"}
    assert caption[lang] in bundle["text/html"]


def test_planner_rejects_an_unknown_language():
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        followalong_planner(lang="sv")


def test_moving_the_controls_to_the_top_anchor_makes_the_plan_ready():
    view = followalong_planner(lang="en")
    assert view.plan == followalong.EXAMPLE_PLAN
    view.first_contact.value = 3
    view.weekly_weeks.value = 4
    view.later_every.value = 4
    view.months.value = 0
    view.employer_contact.value = True
    view.step_down.value = "mental_health_nurse"
    view.client_review.value = True
    assert view.plan == TOP_ANCHOR
    assert keys(view.plan_findings) == ["plan.contacts", "plan.ready"]
    cells = [int(c) for c in re.findall(r"<td style='text-align:center'>(\d+)</td>",
                                                      view.plan_result.value)]
    assert cells == list(followalong.contacts_by_month(TOP_ANCHOR))


def test_changing_the_next_step_in_finnish_clears_the_error():
    view = followalong_planner(lang="fi")
    assert "Korjaa:" in view.ending_result.value
    view.next_step.value = "new_search"
    view.days_to_contact.value = 2
    view.lessons.value = True
    view.account.value = True
    assert "Korjaa:" not in view.ending_result.value and "Tarkista:" not in view.ending_result.value
    assert "Uusi haku alkaa heti" in html.unescape(view.ending_result.value)


def test_every_control_has_an_accessible_name():
    view = followalong_planner(lang="en")
    controls = [view.first_contact, view.weekly_weeks, view.later_every, view.months, view.employer_contact,
                view.step_down, view.client_review, view.reason, view.months_in_job, view.days_to_contact,
                view.lessons, view.account, view.next_step]
    assert all(c.description.strip() for c in controls)
    assert len({c.description for c in controls}) == len(controls)
