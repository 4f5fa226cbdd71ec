"""Module 11: the disclosure and consent agreement, its review, and the planner driven headless."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from sim.learning.text import UnknownLanguageError, load_data
from sim.practice import disclosure
from sim.practice.disclosure import Agreement, DisclosureError, Line, review
from sim.widgets.disclosure import disclosure_planner

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
COURSE = Path(__file__).resolve().parents[1] / "course"


def keys(agreement: Agreement) -> list[str]:
    return [f.key for f in review(agreement)]


def good_agreement() -> Agreement:
    return Agreement(client="Leila", wants_adjustments=True, review_weeks=8, withdrawal_explained=True,
                     copy_to_client=True, lines=(
                         Line("work_needs", "employer", "client", "written"),
                         Line("coach_role", "employer", "together", "written"),
                         Line("job_plan", "mental_health_care", "coach", "written")))


# --- the logic -------------------------------------------------------------------------------


def test_a_complete_agreement_is_ready_with_nothing_to_fix():
    assert keys(good_agreement()) == ["ready"]


def test_a_line_the_client_was_not_asked_about_is_an_error_that_names_the_line():
    agreement = good_agreement().with_line(Line("work_history_gap", "coworkers", "coach", "none"))
    findings = review(agreement)
    assert findings[0].key == "no_consent" and findings[0].level == "error" and findings[0].line == 4
    assert "Line 4 (Why there is a gap in her work history → Co-workers)" in findings[0].message("en")
    assert "ready" not in keys(agreement)


def test_treatment_details_to_the_workplace_are_questioned_whoever_tells():
    for teller in disclosure.TELLERS:
        agreement = good_agreement().with_line(Line("treatment_details", "employer", teller, "written"))
        assert "treatment_to_workplace" in keys(agreement), teller


def test_the_diagnosis_is_questioned_only_when_the_coach_would_tell_the_workplace():
    by_coach = good_agreement().with_line(Line("health_condition", "employer", "coach", "written"))
    by_client = good_agreement().with_line(Line("health_condition", "employer", "client", "written"))
    to_care = good_agreement().with_line(Line("health_condition", "kela", "coach", "written"))
    assert "diagnosis_by_coach" in keys(by_coach)
    assert keys(by_client) == ["ready"] and keys(to_care) == ["ready"]


def test_a_spoken_yes_is_enough_at_work_but_not_for_another_service_and_the_law_is_flagged_unconfirmed():
    at_work = good_agreement().with_line(Line("coach_role", "coworkers", "coach", "oral"))
    to_kela = good_agreement().with_line(Line("job_plan", "kela", "coach", "oral"))
    assert keys(at_work) == ["ready"]
    finding = next(f for f in review(to_kela) if f.key == "oral_consent_service")
    assert finding.basis == "unconfirmed" and finding.sources == ()
    assert "703/2023" in finding.message("en") and "not confirmed" in finding.message("en")
    assert finding.basis_label("fi") == "vahvistamaton — tarkista voimassa oleva laki"


def test_agreement_level_gaps_each_have_their_own_finding():
    base = good_agreement()
    assert "needs_not_told" in keys(base.without("work_needs", "employer"))
    no_wish = replace(base.without("work_needs", "employer"), wants_adjustments=False)
    assert "needs_not_told" not in keys(no_wish)
    assert "coach_role_hidden" in keys(base.without("coach_role", "employer"))
    assert "withdrawal" in keys(replace(base, withdrawal_explained=False))
    assert "no_copy" in keys(replace(base, copy_to_client=False))
    assert "no_review" in keys(replace(base, review_weeks=0))
    late = next(f for f in review(replace(base, review_weeks=20)) if f.key == "late_review")
    assert "20 weeks" in late.message("en") and late.level == "info"


def test_sharing_nothing_is_a_possible_choice_but_still_needs_a_review_date():
    assert keys(Agreement(client="Leila", review_weeks=8)) == ["empty", "ready"]
    assert keys(Agreement(client="Leila")) == ["no_review", "empty"]


def test_findings_come_errors_first_and_cite_only_codes_of_the_module():
    levels = [f.level for f in review(disclosure.EXAMPLE)]
    assert levels == sorted(levels, key=disclosure.LEVELS.index)
    specs = load_data(disclosure.DATA_FILE)["findings"].values()
    cited = {code for spec in specs for code in spec["sources"]}
    assert cited <= {"S3", "C20", "C21", "C22"}  # module 11's source list


def test_every_finding_text_has_a_rule_and_both_languages_fill_the_same_fields():
    texts = load_data(disclosure.DATA_FILE)["findings"]
    produced = set()
    for line in (Line(i, r, t, c) for i in disclosure.ITEMS for r in disclosure.RECIPIENTS
                 for t in disclosure.TELLERS for c in disclosure.CONSENTS):
        for agreement in (Agreement(client="X", lines=(line,), wants_adjustments=True),
                          good_agreement().with_line(line)):
            for weeks in (0, 8, 20):
                produced |= {f.key for f in review(replace(agreement, review_weeks=weeks))}
    produced |= set(keys(Agreement(client="X")))
    assert produced == set(texts)
    for f in review(disclosure.EXAMPLE):
        assert "{" not in f.message("en") and "{" not in f.message("fi")


def test_one_line_per_item_and_recipient_and_adding_replaces():
    agreement = good_agreement().with_line(Line("work_needs", "employer", "coach", "oral"))
    assert len(agreement.lines) == 3
    assert [x for x in agreement.lines if x.item == "work_needs"] == [Line("work_needs", "employer", "coach",
                                                                            "oral")]
    with pytest.raises(DisclosureError, match="appear twice"):
        Agreement(client="X", lines=(Line("coach_role", "kela", "coach", "written"),) * 2)


@pytest.mark.parametrize(("kwargs", "field"), [
    (dict(item="salary"), "item"), (dict(recipient="neighbour"), "recipient"),
    (dict(teller="mother"), "teller"), (dict(consent="maybe"), "consent")])
def test_unknown_values_name_the_field_and_the_choices(kwargs, field):
    values = dict(item="work_needs", recipient="employer", teller="client", consent="written") | kwargs
    with pytest.raises(DisclosureError, match=rf"^{field}: unknown value .*; use one of "):
        Line(**values)


@pytest.mark.parametrize("weeks", [-1, 53, 2.5, True])
def test_review_weeks_out_of_range_is_named(weeks):
    with pytest.raises(DisclosureError, match="review_weeks"):
        Agreement(client="X", review_weeks=weeks)


def test_the_example_draft_has_the_gaps_the_module_asks_about():
    found = keys(disclosure.EXAMPLE)
    assert found[0] == "no_consent"
    for key in ("diagnosis_by_coach", "treatment_to_workplace", "oral_consent_service", "needs_not_told",
                "withdrawal", "no_review", "no_copy"):
        assert key in found


# --- the planner ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_planner_carries_a_live_widget_and_a_static_snapshot_with_the_agreement(lang):
    view = disclosure_planner(lang=lang)
    bundle = view._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and "tyokyky-snapshot" in bundle["text/html"]
    title = {"en": "Disclosure and consent agreement: Leila (fictional)",
             "fi": "Sopimus kertomisesta ja suostumuksesta: Leila (kuvitteellinen)"}[lang]
    assert title in html.unescape(bundle["text/html"])


def test_planner_rejects_an_unknown_language_and_start():
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        disclosure_planner(lang="sv")
    with pytest.raises(ValueError, match="start='final'"):
        disclosure_planner(lang="en", start="final")


def test_planner_starts_from_the_draft_and_reviews_it_like_the_logic():
    view = disclosure_planner(lang="en")
    assert view.agreement == disclosure.EXAMPLE
    assert view.findings == review(disclosure.EXAMPLE)
    shown = html.unescape(view.review.value)
    for f in view.findings:
        assert f.message("en") in shown


def test_fixing_the_draft_through_the_controls_reaches_ready():
    view = disclosure_planner(lang="en")
    for item, recipient in (("health_condition", "employer"), ("treatment_details", "coworkers")):
        view.item.value, view.recipient.value = item, recipient
        view.remove.click()
    for item, recipient, teller in (("work_needs", "employer", "client"), ("coach_role", "employer", "coach"),
                                    ("job_plan", "mental_health_care", "coach")):
        view.item.value, view.recipient.value = item, recipient
        view.teller.value, view.consent.value = teller, "written"
        view.add.click()
    assert "ready" not in [f.key for f in view.findings]
    view.review_weeks.value = 8
    view.withdrawal.value = True
    view.copy.value = True
    assert [f.key for f in view.findings] == ["ready"]
    document = html.unescape(view.document.value)
    assert "What helps her at work (adjustments)" in document and "after 8 weeks" in document
    assert "Her illness or diagnosis" not in document


def test_blank_start_in_finnish_says_nothing_is_shared():
    view = disclosure_planner(lang="fi", start="blank")
    assert view.agreement.lines == ()
    assert "Kenellekään ei kerrota mitään." in view.document.value
    assert "perusta: kurssin käytännön ohje" in html.unescape(view.review.value)


def test_every_control_has_an_accessible_name():
    view = disclosure_planner(lang="fi")
    controls = [view.item, view.recipient, view.teller, view.consent, view.add, view.remove,
                view.review_weeks, view.withdrawal, view.copy]
    assert all(c.description.strip() for c in controls)
    assert len({c.description for c in controls}) == len(controls)


# --- the module's text ---------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "word"), [("en", "unconfirmed"), ("fi", "vahvistamat")])
def test_module_11_never_states_the_client_data_act_or_gdpr_as_confirmed(lang, word):
    """The law is not in the course's sources: every line of module 11 that names it says so."""
    nb = nbformat.read(COURSE / lang / "11_disclosure_and_consent.ipynb", as_version=4)
    lines = [line for cell in nb.cells if cell.cell_type == "markdown" for line in cell.source.splitlines()
             if not cell.source.startswith(("## Sources", "## Lähteet"))]
    naming = [line for line in lines if re.search(r"703/2023|GDPR|tietosuoja-asetus", line)]
    assert len(naming) >= 2
    assert all(word in line.lower() for line in naming), naming
