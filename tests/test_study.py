"""Studies (sim/study.py, `worksim study`) and counties from key numbers (sim/county.py)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from test_cli import error_line

import sim
from sim import experiment
from sim.cli import main
from sim.county import county_scenario
from sim.scenario import MAX_FILE_BYTES, scenario_from_text
from sim.study import load_study
from sim.template import scenario_yaml

EXAMPLE = Path(sim.__file__).parent / "data" / "examples" / "study-presets.yaml"

SMALL = """\
name: small
replications: 2
seed: 2
horizon_days: 120
scenarios:
  - pohjois-savo-pilot
  - {preset: pohjois-savo-pilot, name: more-referrals, set: {arrivals.sources.social_services: 200}}
  - county: {name: tiny-county, population: 60000, referral_rate: 1.5, coaches: 2, preset: pohjois-savo-pilot}
grid:
  ips.coaches: [1, 3]
target: "ips_wait_days.p90<=30"
kpis: [ips_wait_days.mean, coach_caseload_utilisation]
"""


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_a_study_runs_every_scenario_and_grid_point_into_one_table(small, tmp_path, monkeypatch,
                                                                    capsys):
    computed = []
    original = experiment._task  # -j 1: the tasks run in this process

    def counted(task):
        computed.append(task)
        return original(task)
    monkeypatch.setattr(experiment, "_task", counted)
    out = tmp_path / "out"
    assert main(["study", str(small), "--out", str(out), "-j", "1", "-q", "--lang", "fi"]) == 0
    assert len(computed) == 3 * 2 * 2
    rows = _rows(out / "study.csv")
    assert [(r["scenario"], r["ips.coaches"]) for r in rows] == [
        (name, c) for name in ("pohjois-savo-pilot", "more-referrals", "tiny-county")
        for c in ("1", "3")]
    # the variant's change and the county's key numbers reached the runs
    assert float(rows[2]["referrals_per_year"]) == float(rows[0]["referrals_per_year"]) + 90
    assert float(rows[4]["referrals_per_year"]) == pytest.approx(90, abs=0.2)
    # a row is what replicate() gives for that scenario, computed here independently
    base = sim.preset("pohjois-savo-pilot").with_changes({"horizon_days": 120, "ips.coaches": 3})
    direct = experiment.Replications(base, 2, tuple(sim.run(base, seed=2, replication=r)
                                                    for r in range(2)))
    ci = direct.ci("coach_caseload_utilisation")
    assert float(rows[1]["coach_caseload_utilisation.mean"]) == ci.mean
    assert float(rows[1]["coach_caseload_utilisation.ci95_high"]) == ci.high
    assert rows[1]["meets_target"] == str(experiment.parse_target(
        "ips_wait_days.p90<=30").met_by(direct.ci("ips_wait_days.p90")))
    # the workbook speaks Finnish words, not codes; the plot has alt text
    sheet = load_workbook(out / "study.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[0] == "Skenaario" and "Työhönvalmentajat (htv)" in header
    assert not any("." in h and "_" in h for h in header), header
    alt = Image.open(out / "staffing.png").info["Description"]
    assert "3 pientä kaaviota" in alt and "tiny-county" in alt and "tavoite" in alt
    printed = capsys.readouterr().out
    assert "tiny-county: fewest that meet" in printed

    # the same command again with --resume: nothing computed, the same table
    table = (out / "study.csv").read_bytes()
    assert main(["study", str(small), "--out", str(out), "-j", "1", "-q", "--lang", "fi",
                 "--resume"]) == 0
    assert len(computed) == 12
    assert (out / "study.csv").read_bytes() == table

    # a changed study is another question: its store is refused, naming the field
    small.write_text(SMALL.replace("social_services: 200", "social_services: 250"))
    capsys.readouterr()
    line = error_line(capsys, "study", str(small), "--out", str(out), "--resume")
    assert "another question" in line
    assert "more-referrals.arrivals.sources.social_services: 200 in the store, 250 now" in line


def test_the_shipped_example_study_covers_every_preset():
    st = load_study(EXAMPLE)
    labels = [label for label, _ in st.scenarios]
    assert set(sim.list_presets()) <= set(labels)
    assert st.grid and st.target is not None
    for label, s in st.scenarios:
        coaches = [p["ips.coaches"] for name, p, _ in st.points() if name == label]
        assert coaches == [round(s.ips.coaches * f, 2) for f in (1.0, 1.5, 2.0, 2.5)]


BAD = {
    "unknown field": ("name: x\nscenarios: [varsinais-suomi]\nreplicatons: 3\n",
                      "replicatons: unknown field"),
    "no scenarios": ("name: x\n", "scenarios: give a list"),
    "unknown preset": ("name: x\nscenarios: [varsinais-suomi, {preset: lapland}]\n",
                       "scenarios[1].preset: 'lapland': unknown preset"),
    "bad set value": ("name: x\nscenarios: [{preset: varsinais-suomi, set: {ips.coaches: -1}}]\n",
                      "scenarios[0].set: ips.coaches"),
    "missing file": ("name: x\nscenarios: [{file: nowhere.yaml}]\n", "scenarios[0].file:"),
    "twice the same name": ("name: x\nscenarios: [varsinais-suomi, varsinais-suomi]\n",
                            "scenarios[1].name: 'varsinais-suomi' is also scenarios[0]"),
    "county without population": (
        "name: x\nscenarios: [{county: {name: c, referral_rate: 1, coaches: 2}}]\n",
        "scenarios[0].county.population: missing"),
    "county with a bad rate": (
        "name: x\nscenarios: [{county: {name: c, population: 1000, referral_rate: -1, coaches: 2}}]\n",
        "scenarios[0].county.referral_rate: -1"),
    "negative factor": ("name: x\nscenarios: [varsinais-suomi]\ngrid: {ips.coaches: {times: [1, -1]}}\n",
                        "grid.ips.coaches: -1 is not a factor above 0"),
    "invalid grid point": ("name: x\nscenarios: [varsinais-suomi]\ngrid: {ips.coaches: [5, -2]}\n",
                           "grid: the point ips.coaches=-2 of scenario varsinais-suomi"),
    "bad target": ("name: x\nscenarios: [varsinais-suomi]\ntarget: wait<30\n", "target: target"),
    "zero replications": ("name: x\nscenarios: [varsinais-suomi]\nreplications: 0\n",
                          "replications: 0; give a whole number from 1"),
    "too many runs": ("name: x\nscenarios: [varsinais-suomi]\nreplications: 5000\n"
                      "grid: {ips.coaches: [5, 6, 7]}\n", "15,000 runs; at most 10,000"),
    "not YAML": ("name: [x\n", "cannot read the study file"),
    "not a mapping": ("- varsinais-suomi\n", "a study file is a mapping"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_study_file_is_refused_naming_the_field(case, tmp_path, capsys, no_simulation):
    text, expected = BAD[case]
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    line = error_line(capsys, "study", str(path), "--out", str(tmp_path / "out"))
    assert f"{path}" in line and expected in line, line
    assert not (tmp_path / "out").exists()


def test_an_oversized_study_file_is_refused_by_the_loaders_limit(tmp_path, capsys, no_simulation):
    path = tmp_path / "big.yaml"
    path.write_text("name: x\n" + "#" * MAX_FILE_BYTES, encoding="utf-8")
    assert "too large" in error_line(capsys, "study", str(path))


def test_a_county_from_key_numbers_scales_the_base_and_loads_back():
    base = sim.preset("varsinais-suomi")
    c = county_scenario("test-county", 480_000, 2.5, 12)
    assert c.arrivals.per_year == pytest.approx(480_000 * 2.5 / 1000, abs=0.1 * 6)
    k = c.arrivals.per_year / base.arrivals.per_year
    shares = {s.name: s.per_year / base.arrivals.per_year for s in base.arrivals.sources}
    for s in c.arrivals.sources:
        assert s.per_year == pytest.approx(shares[s.name] * 1200, abs=0.05)
    assert c.ips.coaches == 12
    assert c.assessment.coordinators == round(2 * base.assessment.coordinators * k) / 2
    assert c.team.cases_per_meeting == math.ceil(base.team.cases_per_meeting * k)
    assert c.stepwise.places == round(base.stepwise.places * k)
    assert c.initial.ips_in_service <= c.ips.slots
    # per-client parameters are the base's
    for path in ("routing", "ips.days_to_job", "ips.caseload_per_coach", "arrivals.profiles",
                 "assessment.duration", "horizon_days"):
        assert c.get(path) == base.get(path)
    assert "key numbers" in c.source_of("ips.coaches")
    assert "scaled" in c.source_of("stepwise.places")
    # the built county goes through the one loader: its commented file loads back equal
    assert scenario_from_text(scenario_yaml(c, "fi")) == c
    given = county_scenario("c", 100_000, 1.0, 3, coordinators=2, base="keski-suomi")
    assert given.assessment.coordinators == 2 and "key numbers" in given.source_of(
        "assessment.coordinators")


def test_worksim_template_builds_a_county_that_validates(tmp_path, capsys):
    out = tmp_path / "county.yaml"
    assert main(["template", "--population", "250000", "--referral-rate", "1.5", "--coaches", "6",
                 "--name", "my-county", "--out", str(out)]) == 0
    s = sim.load_scenario(out)
    assert s.name == "my-county" and s.ips.coaches == 6
    assert s.arrivals.per_year == pytest.approx(375, abs=0.5)
    capsys.readouterr()
    assert "--referral-rate" in error_line(capsys, "template", "--population", "1000", "--coaches",
                                           "2")
    assert "--population: 0" in error_line(capsys, "template", "--population", "0",
                                           "--referral-rate", "1", "--coaches", "2")
