"""The planners' command line, run as a user would (subprocess for the real entry point)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import openpyxl
import pytest
import yaml

import sim
from sim.cli import main


def worksim(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_presets_lists_every_shipped_scenario(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for name in sim.list_presets():
        assert name in out


def test_run_writes_tables_plots_and_a_repeatable_record(tmp_path):
    out = tmp_path / "run"
    p = worksim("run", "pohjois-savo-pilot", "--replications", "3", "--seed", "5", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "ips_wait_days.p90" in p.stdout and "Traceback" not in p.stderr
    for name in ("summary.csv", "replications.csv", "summary.xlsx", "run.json", "report.md",
                 "parameters.csv", "scenario.yaml", "waits.png", "caseload.png", "outcomes.png"):
        assert (out / name).stat().st_size > 0, name
    with (out / "summary.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["metric", "unit", "mean", "ci95_low", "ci95_high", "replications"]
    assert {r["replications"] for r in rows} == {"3"}
    with (out / "replications.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 3
    wb = openpyxl.load_workbook(out / "summary.xlsx")
    assert {"summary", "replications", "parameters"} <= set(wb.sheetnames)
    record = json.loads((out / "run.json").read_text())
    assert record["seed"] == 5 and record["replications"] == 3
    assert record["environment"]["packages"]["simpy"]
    assert "ips.days_to_job" in record["stream_map"]
    # the record repeats the run exactly
    again = sim.replicate(sim.Scenario.from_dict(record["scenario"]), 3, seed=5)
    means = {r["metric"]: float(r["mean"]) for r in rows}
    assert again.ci("ips_wait_days.mean").mean == pytest.approx(means["ips_wait_days.mean"])
    report = (out / "report.md").read_text()
    assert "## 5 Implementation" in report and "C3, C6" in report


def test_run_refuses_to_overwrite_results_without_being_asked(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["run", "pohjois-savo-pilot", "-n", "2", "--out", str(out), "-q"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"


def test_set_changes_a_field_and_bad_values_are_explained(tmp_path, capsys):
    assert main(["run", "pohjois-savo-pilot", "-n", "2", "--out", str(tmp_path / "a"),
                 "--set", "ips.coaches=4", "-q"]) == 0
    saved = yaml.safe_load((tmp_path / "a" / "scenario.yaml").read_text())
    assert saved["ips"]["coaches"] == 4
    assert main(["run", "pohjois-savo-pilot", "-n", "2", "--out", str(tmp_path / "b"),
                 "--set", "ips.caseload_per_coach=0"]) == 2
    assert "ips.caseload_per_coach: 0 is out of range" in capsys.readouterr().err


def test_validate_reports_a_broken_file_without_a_traceback(tmp_path):
    bad = tmp_path / "county.yaml"
    bad.write_text("base: varsinais-suomi\nname: x\nips: {caseload_per_coach: -3}\n")
    p = worksim("validate", str(bad))
    assert p.returncode == 2
    assert "county.yaml: ips.caseload_per_coach: -3 is out of range; allowed: a whole number ≥ 1" in p.stderr
    assert "Traceback" not in p.stderr
    ok = worksim("validate", "varsinais-suomi")
    assert ok.returncode == 0 and ok.stdout.startswith("OK: varsinais-suomi")


def test_validate_warns_about_an_overloaded_scenario(tmp_path, capsys):
    f = tmp_path / "over.yaml"
    f.write_text("base: varsinais-suomi\nname: over\nassessment: {coordinators: 1}\n")
    assert main(["validate", str(f)]) == 0
    assert "warning: assessment" in capsys.readouterr().out


def test_sweep_answers_the_fewest_coaches_question(tmp_path, capsys):
    code = main(["sweep", "pohjois-savo-pilot", "--vary", "ips.coaches=1:6",
                 "--target", "ips_wait_days.p90<=30", "-n", "3", "--out", str(tmp_path), "-q"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Offered-load floor: ips.coaches >" in out
    assert "Fewest that meet ips_wait_days.p90<=30" in out
    assert (tmp_path / "sweep.csv").exists() and (tmp_path / "capacity.png").exists()


def test_sweep_with_a_malformed_target_explains_the_form(capsys):
    assert main(["sweep", "pohjois-savo-pilot", "--vary", "ips.coaches=1:3",
                 "--target", "p90 under 30"]) == 2
    assert "METRIC<=VALUE" in capsys.readouterr().err


def test_compare_prints_paired_differences(capsys):
    assert main(["compare", "pohjois-savo-pilot", "--alt", "three:ips.coaches=3",
                 "-n", "3", "-q", "--kpi", "ips_wait_days.mean"]) == 0
    out = capsys.readouterr().out
    assert "three" in out and "ips_wait_days.mean" in out and "common random numbers" in out


def test_unknown_scenario_name_is_a_clear_error(capsys):
    assert main(["run", "lapland", "-n", "1"]) == 2
    assert "neither a preset" in capsys.readouterr().err


def test_console_script_is_installed():
    p = subprocess.run([sys.executable, "-c", "import importlib.metadata as m; "
                        "print([e.value for e in m.entry_points(group='console_scripts') "
                        "if e.name == 'worksim'])"], capture_output=True, text=True)
    assert "sim.cli:main" in p.stdout


def test_run_points_planners_to_the_bottleneck():
    from sim.cli import bottlenecks
    short = sim.preset("varsinais-suomi").with_changes({"horizon_days": 730, "ips.coaches": 5})
    notes = bottlenecks(sim.replicate(short, 2, seed=1))
    assert any("worksim sweep varsinais-suomi --vary ips.coaches" in n for n in notes)
    ample = short.with_changes({"ips.coaches": 40})
    assert not any("coaches" in n for n in bottlenecks(sim.replicate(ample, 2, seed=1)))


def test_validate_warns_when_coaches_are_below_the_offered_load(capsys):
    assert main(["validate", "varsinais-suomi"]) == 0
    out = capsys.readouterr().out
    assert "warning: ips.coaches = 7 is at or below the offered-load floor" in out
    assert main(["validate", "keski-suomi"]) == 0
