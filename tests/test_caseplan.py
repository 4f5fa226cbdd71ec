"""Behaviour tests for the case-plan model (sim.practice.caseplan), its rule check
(sim.practice.casereview) and the Finnish benefit helpers (sim.practice.benefits)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.learning.text import LANGUAGES, Bilingual, UnknownLanguageError, load_data
from sim.practice import benefits as bn
from sim.practice import caseplan as cp
from sim.practice import casereview as cr
from sim.practice.caseplan import CasePlanError
from sim.practice.fidelity import ITEM_BY_ID

GOOD = cp.example_plan(good=True)


def with_step(plan, index, **changes):
    steps = list(plan.steps)
    steps[index] = replace(steps[index], **changes)
    return replace(plan, steps=tuple(steps))


def with_service(plan, index, **changes):
    services = list(plan.parallel_services)
    services[index] = replace(services[index], **changes)
    return replace(plan, parallel_services=tuple(services))


def with_benefits(plan, **changes):
    return replace(plan, benefits=replace(plan.benefits, **changes))


def with_follow(plan, **changes):
    return replace(plan, follow_along=replace(plan.follow_along, **changes))


def with_profile(plan, **changes):
    return replace(plan, profile=replace(plan.profile, **changes))


def with_disclosure(plan, **changes):
    return replace(plan, disclosure=replace(plan.disclosure, **changes))


def rule_ids(plan):
    return {f.rule_id for f in cr.check(plan)}


# Each case breaks exactly one rule of an otherwise good plan.
VIOLATIONS = {
    "rapid-search-late": [lambda p: with_step(p, 3, due_week=5), lambda p: with_step(p, 3, due_week=9)],
    "no-employer-contact": [
        lambda p: replace(p, steps=tuple(replace(s, employer_contact=False) for s in p.steps))],
    "benefits-plan-missing": [lambda p: replace(p, benefits=None)],
    "benefits-counselling-late": [lambda p: with_benefits(p, counselling_week=12),
                                  lambda p: with_benefits(p, counselling_week=None)],
    "benefits-untrained": [lambda p: with_benefits(p, by_trained_person=False)],
    "benefits-no-earnings-reporting": [lambda p: with_benefits(p, covers_earnings_reporting=False)],
    "parallel-service-no-owner": [lambda p: with_service(p, 0, owner=None),
                                  lambda p: with_service(p, 1, owner="  ")],
    "parallel-service-no-review": [lambda p: with_service(p, 1, review_week=None)],
    "entry-barrier": [lambda p: replace(p, readiness_requirements=("must complete work activity first",)),
                      lambda p: replace(p, exclusion_reason="active substance use")],
    "follow-along-missing": [lambda p: replace(p, follow_along=None)],
    "support-time-limited": [lambda p: with_follow(p, time_limited=True),
                             lambda p: with_follow(p, end_week=40)],
    "follow-along-sparse": [lambda p: with_follow(p, min_contacts_per_month=0)],
    "no-step-down-owner": [lambda p: with_follow(p, step_down_owner=None)],
    "relapse-contact-slow": [lambda p: with_follow(p, relapse_contact_days=4),
                             lambda p: with_follow(p, relapse_contact_days=None)],
    "no-phase5-owner": [lambda p: replace(p, steps=tuple(s for s in p.steps if s.phase != 5)),
                        lambda p: with_step(p, 5, phase=4)],
    "step-no-owner": [lambda p: with_step(p, 2, owner=None), lambda p: with_step(p, 0, owner="")],
    "disclosure-not-discussed": [lambda p: with_disclosure(p, discussed=False),
                                 lambda p: replace(p, disclosure=None)],
    "disclosure-no-revisit": [lambda p: with_disclosure(p, revisit_week=None)],
    "profile-few-sessions": [lambda p: with_profile(p, sessions_held=1),
                             lambda p: with_profile(p, sessions_held=0)],
    "profile-one-source": [lambda p: with_profile(p, sources=("client", "client")),
                           lambda p: with_profile(p, sources=())],
    "profile-not-updated": [lambda p: with_profile(p, updated_after_last_job=False)],
    "goal-not-preferred": [lambda p: replace(p, goals=(replace(p.goals[0], from_client_preferences=False),))],
    "no-goals": [lambda p: replace(p, goals=())],
}
CASES = [(rid, k, mutate) for rid, ms in VIOLATIONS.items() for k, mutate in enumerate(ms)]


def test_good_example_plan_has_no_findings():
    assert cr.check(GOOD) == []


def test_every_rule_has_a_violation_case():
    assert set(VIOLATIONS) == {r.rule_id for r in cr.RULES}


@pytest.mark.parametrize("rule_id, k, mutate", CASES, ids=[f"{r}-{k}" for r, k, _ in CASES])
def test_rule_fires_on_a_plan_breaking_only_that_rule(rule_id, k, mutate):
    assert rule_id not in rule_ids(GOOD)
    findings = cr.check(mutate(GOOD))
    assert {f.rule_id for f in findings} == {rule_id}


def test_first_employer_contact_in_week_4_is_within_30_days():
    assert cr.check(with_step(GOOD, 3, due_week=4)) == []


def test_rapid_search_finding_points_at_the_earliest_contact_step():
    (f,) = cr.check(with_step(GOOD, 3, due_week=6))
    assert f.field == "steps[3].due_week" and f.severity == "error"
    assert "week 6" in f.message("en") and "viikolla 6" in f.message("fi")
    assert f.principle == "rapid_job_search"


def test_relapse_contact_at_exactly_three_days_passes():
    assert cr.check(with_follow(GOOD, relapse_contact_days=3)) == []


def test_counselling_on_the_start_week_is_late_but_the_week_before_is_fine():
    assert rule_ids(with_benefits(GOOD, counselling_week=12)) == {"benefits-counselling-late"}
    assert cr.check(with_benefits(GOOD, counselling_week=11)) == []


def test_client_without_benefits_needs_no_benefits_plan():
    plan = replace(GOOD, client=replace(GOOD.client, benefits=("none",)), benefits=None)
    assert cr.check(plan) == []


def test_time_limited_support_mentions_finnish_project_funding():
    (f,) = cr.check(with_follow(GOOD, time_limited=True, end_week=52))
    assert "S3" in f.message("en") and "week 52" in f.message("en")
    assert "rahoitu" in f.message("fi") and "viikolla 52" in f.message("fi")
    (f,) = cr.check(with_follow(GOOD, time_limited=True))
    assert f.message("en").startswith("Support is time-limited. IPS support")
    assert f.message("fi").startswith("Tuki on määräaikainen. IPS-tuki")


def test_one_finding_per_unowned_step():
    plan = with_step(with_step(GOOD, 1, owner=None), 2, owner=None)
    assert [f.field for f in cr.check(plan)] == ["steps[1].owner", "steps[2].owner"]


def test_bad_example_plan_triggers_several_rules_including_errors():
    findings = cr.check(cp.example_plan(good=False))
    ids = {f.rule_id for f in findings}
    assert {"rapid-search-late", "benefits-plan-missing", "parallel-service-no-owner", "entry-barrier",
            "support-time-limited", "disclosure-not-discussed", "profile-few-sessions"} <= ids
    assert any(f.severity == "error" for f in findings)


def test_example_plans_are_fictional_and_in_the_pilot_regions():
    for good in (True, False):
        client = cp.example_plan(good).client
        assert "fictional" in client.id
        assert client.region in {"Pohjois-Savo", "Varsinais-Suomi"}


def test_findings_carry_valid_severity_principle_and_both_languages():
    principle_keys = {p.key for p in cp.PRINCIPLES}
    for f in cr.check(cp.example_plan(good=False)):
        assert f.severity in cr.SEVERITIES
        assert f.principle in principle_keys or f.principle in ITEM_BY_ID
        assert f.fidelity_item is None or f.fidelity_item in ITEM_BY_ID
        assert isinstance(f.message, Bilingual)
        assert f.message("en").strip() and f.message("fi").strip() and f.message("en") != f.message("fi")
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        f.message("sv")


def test_every_rule_has_a_stable_id_and_a_docstring_citing_a_source():
    ids = [r.rule_id for r in cr.RULES]
    assert len(ids) == len(set(ids))
    for r in cr.RULES:
        assert re.fullmatch(r"[a-z0-9-]+", r.rule_id)
        assert r.severity in cr.SEVERITIES
        assert all(re.fullmatch(r"[CS]\d+", s) for s in r.sources), r.rule_id
        assert r.fidelity_item is None or r.fidelity_item in ITEM_BY_ID
        assert re.search(r"\b(C\d+|S\d|SV\d+|O\d)\b", r.doc), r.rule_id
        if not r.sources:
            assert "[U]" in r.doc, f"{r.rule_id} rests on unconfirmed anchors and must say so"
        assert r.unconfirmed == ("[U]" in r.doc), f"{r.rule_id}: flag and docstring disagree"


def test_findings_of_unconfirmed_rules_tell_the_learner_so():
    # every rule fires on some plan in VIOLATIONS; a finding's message says whether its standard
    # is an unconfirmed anchor, in both languages
    seen = set()
    for makers in VIOLATIONS.values():
        for make in makers:
            for f in cr.check(make(GOOD)):
                rule = next(r for r in cr.RULES if r.rule_id == f.rule_id)
                assert f.unconfirmed == rule.unconfirmed
                assert ("unconfirmed" in f.message("en")) == rule.unconfirmed, f.message("en")
                assert ("vahvistamaton" in f.message("fi")) == rule.unconfirmed, f.message("fi")
                seen.add(f.rule_id)
    assert {r.rule_id for r in cr.RULES if r.unconfirmed} <= seen


def test_check_rejects_something_that_is_not_a_plan():
    with pytest.raises(CasePlanError, match="plan_from_dict"):
        cr.check(cp.plan_to_dict(GOOD))


def test_phases_and_principles_reference_data():
    assert [p.number for p in cp.PHASES] == [1, 2, 3, 4, 5]
    assert cp.PHASES[2].name("en") == "Job finding"
    assert cp.PHASES[0].name("fi") == "Palveluun hakeutuminen ja sopiminen asiakkaan kanssa"
    assert cp.PHASES[4].ips_name("fi") == "Tuki työssä ja työn ulkopuolella"
    assert all(p.ips_name("en") == p.name("en") for p in cp.PHASES)  # one English EUSE name
    assert len(cp.PRINCIPLES) == 8 and cp.PRINCIPLES[5].key == "rapid_job_search"
    assert [p.number for p in cp.PRINCIPLES] == list(range(1, 9))
    assert cp.PRINCIPLES[1].name("fi") == "Ei poissulkukriteerejä"


# --------------------------------------------------------------------------- rule texts


RULE_TEXTS = load_data(cr.TEXTS_FILE)["rules"]


def test_every_rule_has_its_texts_and_every_text_a_rule():
    assert set(RULE_TEXTS) == {r.rule_id for r in cr.RULES}
    for r in cr.RULES:
        assert r.texts == RULE_TEXTS[r.rule_id] and "message" in r.texts, r.rule_id
        assert all(isinstance(text, Bilingual) for text in r.texts.values()), r.rule_id


def test_every_text_of_a_rule_is_shown_by_some_plan():
    """Each message and variant in caseplan_rules.yaml is what some finding says (its words up to the
    first {field}), so no text is dead and none is missing."""
    shown: dict[tuple[str, str], list[str]] = {}
    for makers in VIOLATIONS.values():
        for make in makers:
            for f in cr.check(make(GOOD)):
                for lang in LANGUAGES:
                    shown.setdefault((f.rule_id, lang), []).append(f.message(lang))
    for rule_id, texts in RULE_TEXTS.items():
        for name, text in texts.items():
            for lang in LANGUAGES:
                head = text[lang].split("{")[0]
                assert any(m.startswith(head) for m in shown[(rule_id, lang)]), (rule_id, name, lang)


def test_a_rule_without_texts_cannot_be_registered():
    with pytest.raises(LookupError, match="no-such-rule"):
        cr._rule("no-such-rule", "error", "rapid_job_search", None)


def test_fields_in_rule_texts_are_filled_in_the_findings_language():
    plan = replace(GOOD, benefits=None,
                   client=replace(GOOD.client, benefits=("rehabilitation_subsidy", "social_assistance")))
    (f,) = cr.check(plan)
    assert "rehabilitation subsidy, social assistance" in f.message("en")
    assert "(kuntoutustuki, toimeentulotuki)" in f.message("fi")
    (f,) = cr.check(with_step(with_step(GOOD, 3, due_week=200), 4, due_week=200))
    assert "about 1,400 days" in f.message("en") and "noin 1\u00a0400 päivää" in f.message("fi")


# --------------------------------------------------------------------------- construction and plan_from_dict


def test_plan_round_trips_through_plain_dicts():
    d = cp.plan_to_dict(GOOD)
    assert isinstance(d["steps"], list) and isinstance(d["steps"][0], dict)
    assert cp.plan_from_dict(d) == GOOD
    bad = cp.example_plan(good=False)
    assert cp.plan_from_dict(cp.plan_to_dict(bad)) == bad


def broken(path_setter):
    d = cp.plan_to_dict(GOOD)
    path_setter(d)
    with pytest.raises(CasePlanError) as err:
        cp.plan_from_dict(d)
    return err.value


def test_wrong_phase_names_the_step_and_the_allowed_phases():
    err = broken(lambda d: d["steps"][2].update(phase=7))
    assert str(err) == ("steps[2].phase: 7 is not a phase; use 1–5 "
                        "(1 engagement … 5 on/off-the-job support)")
    assert err.path == "steps[2].phase"


@pytest.mark.parametrize("setter, path, fragment", [
    (lambda d: d["client"].update(age="34"), "client.age", "whole number"),
    (lambda d: d["client"].update(age=True), "client.age", "whole number"),
    (lambda d: d["client"].update(benefits=["pension"]), "client.benefits[0]", "not a known benefit"),
    (lambda d: d["client"].update(benefits="none"), "client.benefits", "expected a list"),
    (lambda d: d["follow_along"].update(colour="red"), "follow_along.colour", "unknown key"),
    (lambda d: d["profile"].pop("sessions_held"), "profile.sessions_held", "missing required"),
    (lambda d: d.pop("client"), "client", "missing required"),
    (lambda d: d["steps"].__setitem__(0, "call employer"), "steps[0]", "expected a Step"),
    (lambda d: d["steps"][1].update(due_week=-2), "steps[1].due_week", "negative"),
    (lambda d: d["disclosure"].update(decision="some"), "disclosure.decision", "full"),
    (lambda d: d["benefits"].update(by_trained_person="yes"), "benefits.by_trained_person", "true/false"),
    (lambda d: d["parallel_services"][1].update(owner=5), "parallel_services[1].owner", "text"),
    (lambda d: d.update(goals={"description": "x"}), "goals", "expected a list"),
])
def test_plan_from_dict_errors_name_the_field_path(setter, path, fragment):
    err = broken(setter)
    assert err.path == path
    assert str(err).startswith(f"{path}: ") and fragment in str(err)


def test_plan_from_dict_rejects_non_dicts():
    with pytest.raises(CasePlanError, match="dict"):
        cp.plan_from_dict([1, 2])


def test_direct_construction_validates_and_turns_lists_into_tuples():
    client = cp.JobSeeker(id="x", age=40, region="Pohjois-Savo", main_barrier="", benefits=["none"])
    assert client.benefits == ("none",)
    with pytest.raises(CasePlanError, match="^phase: 0 is not a phase"):
        cp.Step(description="x", owner="coach", phase=0, due_week=0)
    with pytest.raises(CasePlanError, match="none"):
        cp.JobSeeker(id="x", age=40, region="", main_barrier="", benefits=("none", "social_assistance"))
    with pytest.raises(TypeError):
        cp.Step("x", "coach", 1, 0)  # keyword-only


# --------------------------------------------------------------------------- benefit rules


@pytest.mark.parametrize("claim_start, expected", [
    (date(2024, 3, 31), 1000 - 0.5 * (400 - 300)),
    (date(2024, 4, 1), 1000 - 0.5 * 400),
    (datetime(2024, 4, 1, 9, 30), 800.0),
])
def test_suojaosa_applies_only_to_claim_periods_starting_before_april_2024(claim_start, expected):
    assert bn.unemployment_benefit_after_earnings(1000, 400, claim_start) == pytest.approx(expected)


def test_unemployment_benefit_edges():
    old = date(2023, 12, 1)
    assert bn.unemployment_benefit_after_earnings(1000, 0, date(2025, 1, 1)) == 1000
    assert bn.unemployment_benefit_after_earnings(1000, 300, old) == 1000
    assert bn.unemployment_benefit_after_earnings(1000, 5000, date(2025, 1, 1)) == 0


@pytest.mark.parametrize("args, fragment", [
    ((-1, 100, date(2024, 5, 1)), "adjusted_benefit_month"),
    ((1000, -5, date(2024, 5, 1)), "earnings_month"),
    ((1000, 100, "2024-04-01"), "datetime.date"),
    ((1000, True, date(2024, 5, 1)), "earnings_month"),
    ((float("inf"), 0, date(2024, 5, 1)), "adjusted_benefit_month"),
])
def test_unemployment_benefit_rejects_bad_inputs(args, fragment):
    with pytest.raises(bn.BenefitError, match=fragment):
        bn.unemployment_benefit_after_earnings(*args)


euros = st.floats(0, 10_000, allow_nan=False)


@given(euros, euros, euros)
def test_more_earnings_never_raise_the_benefit_and_the_old_rule_is_never_worse(benefit, e1, e2):
    low, high = sorted((e1, e2))
    for start in (date(2024, 3, 31), date(2024, 4, 1)):
        after_low = bn.unemployment_benefit_after_earnings(benefit, low, start)
        assert 0 <= after_low <= round(benefit, 2)
        assert bn.unemployment_benefit_after_earnings(benefit, high, start) <= after_low
    assert (bn.unemployment_benefit_after_earnings(benefit, low, date(2024, 3, 31))
            >= bn.unemployment_benefit_after_earnings(benefit, low, date(2024, 4, 1)))


@pytest.mark.parametrize("prior, pension, expected", [
    (3000, "full", 1200.0), (3000, "partial", 1800.0), (1000, "full", 976.59), (0, "partial", 976.59),
])
def test_disability_pension_limit_is_share_of_prior_earnings_with_2024_floor(prior, pension, expected):
    assert bn.disability_pension_earnings_limit(prior, pension) == pytest.approx(expected)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"prior_earnings_month": -1}, "prior_earnings_month"),
    ({"prior_earnings_month": 2000, "pension": "half"}, "'full' or 'partial'"),
    ({"prior_earnings_month": 2000, "year": 2019}, "2019"),
])
def test_disability_pension_limit_rejects_bad_inputs(kwargs, fragment):
    with pytest.raises(bn.BenefitError, match=fragment):
        bn.disability_pension_earnings_limit(**kwargs)


def test_benefit_rules_carry_dates_sources_and_the_unconfirmed_flag():
    rules = {r.key: r for r in bn.BENEFIT_RULES}
    assert rules["unemployment_adjustment"].effective_from == date(2024, 4, 1)
    assert set(rules["unemployment_adjustment"].sources) == {"C72", "C75"}
    assert rules["disability_pension_earnings"].parameters["floor_eur_month"][2024] == 976.59
    assert rules["partial_sickness_allowance"].parameters["max_days"] == 150
    assert rules["social_assistance_earnings"].unconfirmed
    assert not any(r.unconfirmed for k, r in rules.items() if k != "social_assistance_earnings")
    assert all(r.summary("en") and r.summary("fi") and r.name("fi") for r in bn.BENEFIT_RULES)


def test_benefit_names_and_calculator_parameters_come_from_the_rules():
    assert set(bn.BENEFITS) >= {"labour_market_subsidy", "rehabilitation_subsidy", "none"}
    assert bn.BENEFITS["labour_market_subsidy"]("fi") == "työmarkkinatuki"
    assert all(isinstance(name, Bilingual) for name in bn.BENEFITS.values())
    rules = {r.key: r for r in bn.BENEFIT_RULES}
    assert rules["unemployment_adjustment"].effective_from == bn.SUOJAOSA_ABOLISHED_FROM
    assert bn.DISABILITY_PENSION_SHARES == {"full": 0.40, "partial": 0.60}
    assert bn.DISABILITY_PENSION_FLOOR_EUR[2024] == 976.59
    with pytest.raises(TypeError):
        rules["partial_sickness_allowance"].parameters["max_days"] = 1  # read-only data
