"""Scenario files: validation messages that name the field, round trips and presets."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

import sim
from sim.scenario import (
    Dist,
    Scenario,
    ScenarioError,
    _Loader,
    load_scenario,
    save_scenario,
    scenario_from_text,
)


def test_every_preset_loads_and_round_trips_through_yaml(tmp_path):
    for name in sim.list_presets():
        s = sim.preset(name)
        path = save_scenario(s, tmp_path / f"{name}.yaml")
        assert load_scenario(path) == s


def test_presets_include_the_four_planning_regions():
    assert {"pohjois-savo-pilot", "varsinais-suomi", "keski-suomi", "national"} <= set(
        sim.list_presets())


def test_national_preset_plans_at_least_100000_referrals_a_year():
    assert sim.preset("national").arrivals.per_year >= 100_000


def test_every_preset_parameter_names_a_source_or_says_scenario_assumption():
    for name in sim.list_presets():
        s = sim.preset(name)
        assert s.source_of("ips.caseload_per_coach").startswith("C3")
        for path in ("ips.coaches", "stepwise.duration", "arrivals.sources", "routing"):
            assert s.source_of(path), (name, path)
        assert s.source_of("no.such.field") == "scenario assumption"


def test_preset_variants_replace_whole_source_lists_not_merge_them():
    pilot = sim.preset("pohjois-savo-pilot")
    assert {src.name for src in pilot.arrivals.sources} == {
        "social_services", "employment_experiment", "psychiatric_care"}


def _bad(small_dict, path, value):
    node = small_dict
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(small_dict)
    return str(info.value)


@pytest.mark.parametrize("path,value,expected", [
    ("ips.caseload_per_coach", -3,
     "ips.caseload_per_coach: -3 is out of range; allowed: a whole number ≥ 1"),
    ("ips.caseload_per_coach", 2.5, "ips.caseload_per_coach: 2.5 is not a whole number"),
    ("ips.coaches", "many", "ips.coaches: 'many' is not a number"),
    ("ips.fidelity_score", 130,
     "ips.fidelity_score: 130 is out of range; allowed: a whole number ≥ 25 and ≤ 125"),
    ("ips.job_finding_share", 1.5, "ips.job_finding_share: 1.5 is out of range"),
    ("horizon_days", 0, "horizon_days: 0 is out of range; allowed: a number > 0"),
    ("assessment.coordinators", True, "assessment.coordinators: True is not a number"),
    ("team.meeting_interval_days", 0, "team.meeting_interval_days: 0 is out of range"),
    ("team.meeting_interval_days", 0.000001,
     "team.meeting_interval_days: 1e-06 is out of range; allowed: a number ≥ 1 and ≤ 365 (days)"),
    ("team.meeting_interval_days", 0.5, "team.meeting_interval_days: 0.5 is out of range"),
    ("team.first_meeting_day", -1,
     "team.first_meeting_day: -1 is out of range; allowed: a number ≥ 0 and ≤ 365 (days)"),
    ("team.first_meeting_day", 400, "team.first_meeting_day: 400 is out of range"),
    ("initial.ips_waiting", 10_000_000,
     "initial.ips_waiting: 10000000 is out of range; allowed: a whole number ≥ 0 and ≤ 1e+06"),
])
def test_out_of_range_values_are_named_with_the_allowed_range(small_dict, path, value, expected):
    assert expected in _bad(small_dict, path, value)


def test_unknown_field_suggests_the_nearest_name(small_dict):
    small_dict["ips"]["coachs"] = 4
    with pytest.raises(ScenarioError, match=r"ips\.coachs: unknown field\. Did you mean 'coaches'\?"):
        Scenario.from_dict(small_dict)


def test_missing_required_section_is_named(small_dict):
    del small_dict["assessment"]
    with pytest.raises(ScenarioError, match="assessment: missing; it is required"):
        Scenario.from_dict(small_dict)


def test_routing_rows_must_sum_to_one(small_dict):
    small_dict["routing"]["mh"]["ips"] = 0.9
    with pytest.raises(ScenarioError, match=r"routing\.mh: the shares sum to 1\.4; they must sum to 1"):
        Scenario.from_dict(small_dict)


def test_routing_must_cover_every_profile(small_dict):
    del small_dict["routing"]["ltu"]
    with pytest.raises(ScenarioError, match=r"routing: no row for profile\(s\) \['ltu'\]"):
        Scenario.from_dict(small_dict)


def test_profiles_must_sum_to_one(small_dict):
    small_dict["arrivals"]["profiles"]["mh"] = 0.7
    with pytest.raises(ScenarioError, match="arrivals.profiles: the shares sum to 1.1"):
        Scenario.from_dict(small_dict)


def test_seasonality_needs_twelve_months_averaging_one(small_dict):
    small_dict["arrivals"]["seasonality"] = [1.0] * 11
    with pytest.raises(ScenarioError, match="give 12 monthly multipliers"):
        Scenario.from_dict(small_dict)
    small_dict["arrivals"]["seasonality"] = [2.0] * 12
    with pytest.raises(ScenarioError, match="must average 1"):
        Scenario.from_dict(small_dict)


def test_a_bare_number_for_a_duration_asks_for_a_distribution(small_dict):
    small_dict["assessment"]["duration"] = 21
    with pytest.raises(ScenarioError, match=r"assessment\.duration: 21 is a bare number; give a "
                                            r"distribution such as \{dist: exponential"):
        Scenario.from_dict(small_dict)


def test_unknown_distribution_lists_the_allowed_ones(small_dict):
    small_dict["assessment"]["duration"] = {"dist": "pareto", "mean": 3}
    with pytest.raises(ScenarioError, match="allowed: exponential, deterministic, lognormal, gamma, "
                                            "weibull, uniform"):
        Scenario.from_dict(small_dict)


def test_negative_referral_volume_names_the_source(small_dict):
    small_dict["arrivals"]["sources"]["sote"] = -5
    with pytest.raises(ScenarioError, match=r"arrivals\.sources\.sote: -5 is out of range"):
        Scenario.from_dict(small_dict)


def test_warmup_must_end_before_the_horizon(small_dict):
    small_dict["warmup_days"] = 800
    with pytest.raises(ScenarioError, match="warmup_days: 800 must be below horizon_days"):
        Scenario.from_dict(small_dict)


def test_yaml_syntax_errors_give_the_line():
    with pytest.raises(ScenarioError, match=r"upload\.yaml: not valid YAML at line \d+, column \d+"):
        scenario_from_text("name: x\narrivals: {a: 1\n  b: [2\nips: 3\n", origin="upload.yaml")


def test_a_file_that_is_not_a_mapping_says_what_is_expected():
    with pytest.raises(ScenarioError, match="must be a YAML mapping"):
        scenario_from_text("- just\n- a list\n")


def test_errors_from_files_name_the_file(tmp_path, small_dict):
    small_dict["ips"]["caseload_per_coach"] = 0
    path = tmp_path / "county.yaml"
    path.write_text(yaml.safe_dump(small_dict))
    with pytest.raises(ScenarioError, match=r"county\.yaml: ips\.caseload_per_coach: 0 is out of range"):
        load_scenario(path)


def test_missing_file_is_reported_plainly(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_base_key_builds_a_variant_of_a_preset():
    s = scenario_from_text("base: varsinais-suomi\nname: more-coaches\nips: {coaches: 12}\n")
    base = sim.preset("varsinais-suomi")
    assert s.ips.coaches == 12
    assert s.ips.caseload_per_coach == base.ips.caseload_per_coach
    assert s.arrivals == base.arrivals


def test_with_changes_validates_and_leaves_the_original_untouched(small_dict):
    s = Scenario.from_dict(small_dict)
    before = s.to_dict()
    t = s.with_changes({"ips.coaches": 5, "team.cases_per_meeting": None})
    assert (t.ips.coaches, t.team.cases_per_meeting) == (5, None)
    assert s.to_dict() == before
    with pytest.raises(ScenarioError, match="ips.coaches: -1 is out of range"):
        s.with_changes({"ips.coaches": -1})
    with pytest.raises(ScenarioError, match="no such field"):
        s.with_changes({"ips.coachez": 5})


def test_scenarios_are_frozen(small_dict):
    s = Scenario.from_dict(small_dict)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.ips.coaches = 10  # type: ignore[misc]


def test_save_refuses_to_overwrite_an_existing_file(tmp_path, small_dict):
    s = Scenario.from_dict(small_dict)
    path = save_scenario(s, tmp_path / "s.yaml")
    path.write_text("my own notes")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_scenario(s, path)
    assert path.read_text() == "my own notes"


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ScenarioError, match="choose one of .*varsinais-suomi"):
        sim.preset("lapland")


# --- distributions: positive means, no ignored parameters ------------------------------

@pytest.mark.parametrize("field,dist", [
    ("ips.days_to_job", {"dist": "lognormal", "mean": 0, "cv": 0.8}),
    ("ips.days_to_job", {"dist": "exponential", "mean": 0}),
    ("assessment.duration", {"dist": "lognormal", "mean": 0}),
    ("stepwise.duration", {"dist": "exponential", "mean": 0}),
])
def test_random_durations_need_a_positive_mean(small_dict, field, dist):
    message = _bad(small_dict, field, dist)
    assert f"{field}.mean: 0 is out of range; allowed: a number > 0 (days)" in message


def test_a_deterministic_zero_duration_stays_allowed(small_dict):
    small_dict["vocational"] = {"wait": {"dist": "deterministic", "mean": 0}}
    small_dict["ips"]["days_to_job"] = {"dist": "deterministic", "mean": 0}
    s = Scenario.from_dict(small_dict)
    assert (s.vocational.wait.mean_days, s.ips.days_to_job.mean_days) == (0, 0)


def test_a_lognormal_mean_of_zero_in_a_file_is_caught_before_the_run():
    text = ("base: varsinais-suomi\nname: t\nhorizon_days: 200\n"
            "ips: {days_to_job: {dist: lognormal, mean: 0, cv: 0.8}}\n")
    with pytest.raises(ScenarioError, match=r"ok\.yaml: ips\.days_to_job\.mean: 0 is out of range"):
        scenario_from_text(text, origin="ok.yaml")


@pytest.mark.parametrize("tenure,expected", [
    ({"dist": "deterministic", "mean": 0},
     "ips.job_tenure.mean: 0 is out of range; allowed: a number ≥ 1 (days); a job that lasts "
     "under a day is not a job"),
    ({"dist": "exponential", "mean": 0.5}, "ips.job_tenure.mean: 0.5 is out of range"),
    ({"dist": "lognormal", "mean": 0.9, "cv": 1}, "ips.job_tenure.mean: 0.9 is out of range"),
    ({"dist": "uniform", "low": 0, "high": 1},
     "ips.job_tenure: low 0 and high 1 average 0.5 days; allowed: a mean ≥ 1 (days)"),
])
def test_job_tenure_must_average_at_least_a_day(small_dict, tenure, expected):
    assert expected in _bad(small_dict, "ips.job_tenure", tenure)


def test_zero_time_job_loops_are_rejected():
    text = ("base: varsinais-suomi\nname: t\nhorizon_days: 200\n"
            "ips: {days_to_job: {dist: deterministic, mean: 0}, job_tenure: {dist: deterministic, "
            "mean: 0}, recontact_days: 0, research_after_job_loss_share: 1, job_finding_share: 1}\n")
    with pytest.raises(ScenarioError, match=r"ips\.job_tenure\.mean: 0 is out of range"):
        scenario_from_text(text)
    one_day = scenario_from_text(text.replace("job_tenure: {dist: deterministic, mean: 0}",
                                              "job_tenure: {dist: deterministic, mean: 1}"))
    assert one_day.ips.job_tenure.mean_days == 1


@pytest.mark.parametrize("dist,extra,expected", [
    ("exponential", {"cv": 0.5},
     "assessment.duration.cv: 0.5 is not used by an exponential distribution, which takes only "
     "mean; remove cv or choose dist: lognormal."),
    ("exponential", {"cv": 1.0}, "assessment.duration.cv: 1.0 is not used by an exponential"),
    ("deterministic", {"cv": 0.3}, "assessment.duration.cv: 0.3 is not used by a deterministic"),
    ("lognormal", {"low": 3}, "assessment.duration.low: 3 is not used by a lognormal distribution, "
                              "which takes only mean and cv; remove low or choose dist: uniform."),
    ("exponential", {"high": 30}, "assessment.duration.high: 30 is not used by an exponential"),
    ("uniform", {"mean": 20}, "assessment.duration.mean: 20 is not used by a uniform distribution, "
                              "which takes only low and high; remove mean."),
    ("uniform", {"cv": 0.5}, "assessment.duration.cv: 0.5 is not used by a uniform"),
])
def test_parameters_a_distribution_does_not_use_are_rejected(small_dict, dist, extra, expected):
    base = {"dist": dist, "low": 5, "high": 20} if dist == "uniform" else {"dist": dist, "mean": 14}
    assert expected in _bad(small_dict, "assessment.duration", {**base, **extra})


def test_unused_parameters_on_a_dist_object_are_rejected(small_dict):
    s = Scenario.from_dict(small_dict)
    with pytest.raises(ScenarioError, match="vocational.wait.cv: 0.5 is not used by an exponential"):
        s.with_changes({"vocational.wait": Dist(dist="exponential", mean=60, cv=0.5)})
    assert s.with_changes({"vocational.wait": Dist(dist="exponential", mean=60)})


# --- booleans -------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["false", "no", [1], 0, 1, None])
def test_team_enabled_must_be_true_or_false(small_dict, value):
    assert (f"team.enabled: {value!r} is not true or false; write true or false"
            in _bad(small_dict, "team.enabled", value))


def test_a_quoted_false_in_a_file_names_the_field():
    with pytest.raises(ScenarioError, match=r"team\.enabled: 'false' is not true or false"):
        scenario_from_text('base: varsinais-suomi\nname: t\nteam: {enabled: "false"}\n')
    assert scenario_from_text("base: varsinais-suomi\nname: t\nteam: {enabled: false}\n"
                              ).team.enabled is False


# --- the YAML loader --------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("base: varsinais-suomi\nname: t\nips: {coaches: 3}\nips: {coaches: 9}\n",
     r"s\.yaml: not valid YAML at line 4, column 1: duplicate key 'ips' \(first at line 3\)"),
    ("base: varsinais-suomi\nname: t\nips:\n  coaches: 3\n  coaches: 9\n",
     r"s\.yaml: not valid YAML at line 5, column 3: duplicate key 'coaches' \(first at line 4\)"),
    ("base: varsinais-suomi\nname: t\narrivals: {sources: {a: 1, a: 2}}\n",
     r"line 3, column \d+: duplicate key 'a' \(first at line 3\)"),
])
def test_duplicate_keys_are_rejected_with_their_line(text, expected):
    with pytest.raises(ScenarioError, match=expected):
        scenario_from_text(text, origin="s.yaml")


def test_the_loader_still_refuses_python_tags_and_allows_merge_keys():
    with pytest.raises(ScenarioError, match="not valid YAML"):
        scenario_from_text("name: !!python/object/apply:os.system ['true']\n")
    s = scenario_from_text("base: varsinais-suomi\nname: t\n"
                           "vocational: {wait: {<<: {dist: exponential, mean: 5}, mean: 7}}\n")
    assert s.vocational.wait.mean == 7


@pytest.mark.parametrize("written,value", [("1e4", 10_000), ("2.5e3", 2500), ("1E-3", 0.001),
                                           ("1.0e4", 10_000), ("-1e4", -10_000)])
def test_scientific_notation_reads_as_a_number(written, value):
    assert yaml.load(f"v: {written}", Loader=_Loader)["v"] == value


def test_referral_volume_in_scientific_notation_is_accepted():
    s = scenario_from_text("base: varsinais-suomi\nname: t\nhorizon_days: 200\n"
                           "arrivals: {sources: {a: 1e4, b: 2.5e3}}\n"
                           "ips: {dropout_per_year_waiting: 5E-1}\n")
    assert s.arrivals.per_year == 12_500
    assert s.ips.dropout_per_year_waiting == 0.5


def test_text_that_looks_like_a_number_survives_a_round_trip(tmp_path, small_dict):
    small_dict["name"] = "1e4"
    s = Scenario.from_dict(small_dict)
    assert load_scenario(save_scenario(s, tmp_path / "s.yaml")) == s


# --- size bounds ------------------------------------------------------------------------

def test_expected_clients_per_replication_are_bounded(small_dict):
    small_dict["arrivals"]["sources"] = {"sote": 10_000_000, "social": 0}
    message = _bad(small_dict, "horizon_days", 200)
    assert "one replication would hold about 5,479,494 clients" in message
    assert "at most 2,000,000 (about 2 GB of memory)" in message
    assert "Shorten horizon_days or lower the referral volumes in arrivals.sources" in message


def test_preloaded_clients_count_towards_the_bound(small_dict):
    small_dict["initial"] = {"ips_waiting": 900_000, "ips_in_service": 900_000,
                             "stepwise_in_service": 900_000}
    assert "2,700,000 pre-loaded); allowed: at most 2,000,000" in _bad(small_dict, "name", "big")


def test_the_national_preset_stays_within_the_bound():
    national = sim.preset("national")
    assert national.expected_clients == pytest.approx(100_000 + 57_500)
    assert national.with_changes({"horizon_days": 3650}).expected_clients < 2_000_000
