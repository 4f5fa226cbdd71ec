"""Scenario files: validation messages that name the field, round trips and presets."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

import sim
from sim.scenario import Scenario, ScenarioError, load_scenario, save_scenario, scenario_from_text


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
    small_dict["assessment"]["duration"] = {"dist": "weibull", "mean": 3}
    with pytest.raises(ScenarioError, match="allowed: exponential, deterministic, lognormal, uniform"):
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
