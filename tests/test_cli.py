"""The planners' command line, run as a user would (subprocess for the real entry point)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_validate_and_the_notes_after_a_run_speak_finnish(capsys):
    """Every line of `worksim validate --lang fi` is in Finnish, numbers in Finnish style."""
    assert main(["validate", "varsinais-suomi", "--lang", "fi"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("OK: varsinais-suomi — ") and "ohjausta vuodessa" in out[0]
    floor = [line for line in out if "tarjotun kuormituksen alarajalla" in line]
    assert floor and all(line.startswith("varoitus: ") for line in out[1:]), out
    assert "ips.coaches = 7 " in floor[0] and not any("warning" in line for line in out)
    from sim.cli import bottlenecks
    short = sim.preset("varsinais-suomi").with_changes({"horizon_days": 730, "ips.coaches": 5})
    reps = sim.replicate(short, 2, seed=1)
    english, finnish = bottlenecks(reps), bottlenecks(reps, "fi")
    assert len(english) == len(finnish) >= 1
    assert "täynnä" in finnish[0] and "\u00a0%" in finnish[0] and "full" not in finnish[0]


# --- bad input: one `error:` line, exit 2, nothing simulated and no folder left behind -----

OK_YAML = "base: varsinais-suomi\nname: t\nhorizon_days: 200\n"


@pytest.fixture
def ok(tmp_path):
    f = tmp_path / "ok.yaml"
    f.write_text(OK_YAML)
    return str(f)


def error_line(capsys, *args: str) -> str:
    """Run the CLI expecting bad input: exit 2 and exactly one line `error: …` on stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


@pytest.mark.parametrize("command", [["run"], ["sweep", "--vary", "ips.coaches=8:9"], ["warmup"]])
@pytest.mark.parametrize("out", ["afile.csv", "afile.csv/sub"])
def test_out_that_is_a_file_is_refused_before_simulating(ok, tmp_path, capsys, no_simulation,
                                                         command, out):
    (tmp_path / "afile.csv").write_text("mine")
    line = error_line(capsys, *command[:1], ok, *command[1:], "-n", "2",
                      "--out", str(tmp_path / out))
    assert "--out" in line and "afile.csv" in line and "not a folder" in line
    assert (tmp_path / "afile.csv").read_text() == "mine"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_out_that_cannot_be_created_is_one_error_line(ok, capsys, no_simulation):
    line = error_line(capsys, "run", ok, "-n", "2", "--out", "/proc/xx")
    assert "--out /proc/xx: cannot create this folder" in line


def test_a_folder_given_as_scenario_file_is_one_error_line(ok, tmp_path, capsys, no_simulation):
    folder = tmp_path / "county.yaml"
    folder.mkdir()
    assert "is a folder, not a scenario file" in error_line(capsys, "validate", str(tmp_path))
    assert "is a folder, not a scenario file" in error_line(capsys, "validate", str(folder))
    for body in (str(folder), str(tmp_path)):
        line = error_line(capsys, "compare", ok, "-n", "2", "--alt", f"a:{body}")
        assert line.startswith(f"error: --alt 'a:{body}'") and "is a folder" in line


@pytest.mark.parametrize("change, message", [
    ("ips.coaches=[1", "cannot read the value '[1'"),
    ("ips.coaches+=x", "+= and -= need a number after '=', got 'x'"),
    ("ips.days_to_job+=5", "not a number; += and -= change numbers only, e.g. ips.days_to_job.mean+=5"),
    ("team.cases_per_meeting+=5", "team.cases_per_meeting is not set (null) in the base scenario"),
])
def test_bad_set_and_alt_changes_name_the_option(tmp_path, capsys, no_simulation, change, message):
    f = tmp_path / "null.yaml"
    f.write_text(OK_YAML + "team: {cases_per_meeting: null}\n")
    line = error_line(capsys, "run", str(f), "-n", "2", "--set", change)
    assert line.startswith(f"error: --set {change!r}: ") and message in line
    line = error_line(capsys, "compare", str(f), "-n", "2", "--alt", f"a:{change}")
    assert line.startswith(f"error: --alt 'a:{change}': ") and message in line


def test_zero_horizon_is_checked_not_ignored(ok, tmp_path, capsys, no_simulation):
    line = error_line(capsys, "run", ok, "-n", "2", "--horizon-days", "0",
                      "--out", str(tmp_path / "h0"))
    assert "horizon_days: 0" in line and "out of range" in line
    assert not (tmp_path / "h0").exists()


@pytest.mark.parametrize("target, message", [
    ("ips_wait_days.p95<=30", "ips_wait_days has no statistic 'p95'; write ips_wait_days.mean or "
                              "ips_wait_days.p90"),
    ("ips_wait_days.median<=30", "no statistic 'median'"),
    ("ips_wait_days<=30", "ips_wait_days needs a statistic"),
    ("ips_wait_days.p90<=1e", "VALUE '1e' is not a number; write it as METRIC<=VALUE"),
    ("", "write it as METRIC<=VALUE"),
])
def test_target_is_checked_before_the_sweep_runs(ok, tmp_path, capsys, no_simulation, target,
                                                 message):
    line = error_line(capsys, "sweep", ok, "--vary", "ips.coaches=8:9", "-n", "2",
                      "--target", target, "--out", str(tmp_path / "s"))
    assert line.startswith(f"error: --target {target!r}: ") and message in line
    assert "exit_pension" not in line  # no list of every KPI for a known metric
    assert not (tmp_path / "s").exists()


def test_compare_checks_kpi_before_running_or_printing(ok, capsys, no_simulation):
    line = error_line(capsys, "compare", ok, "-n", "2", "--alt", "a:ips.coaches=9",
                      "--kpi", "bogus")
    assert line.startswith("error: --kpi 'bogus': unknown metric")


def test_warmup_checks_series_and_out_before_simulating(ok, tmp_path, capsys, no_simulation):
    line = error_line(capsys, "warmup", ok, "-n", "2", "--series", "bogus")
    assert line.startswith("error: --series 'bogus': unknown series") and "ips_caseload" in line
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("keep me")
    assert "--overwrite" in error_line(capsys, "warmup", ok, "-n", "2", "--out", str(used))
    assert "--out ''" in error_line(capsys, "warmup", ok, "-n", "2", "--out", "")


@pytest.mark.parametrize("bad, message", [
    (["-n", "0"], "error: --replications 0: give a whole number ≥ 1"),
    (["--seed", "-1"], "error: --seed -1: give a whole number ≥ 0"),
    (["--jobs", "-2"], "error: --jobs -2: give a whole number ≥ 1, or 0 for all cores"),
    (["--vary", "ips.caseload_per_coach=0:2"], "error: --vary: the grid point ips.caseload_per_coach=0"),
    (["--target", "ips_wait_days<=30"], "error: --target 'ips_wait_days<=30'"),
])
@pytest.mark.parametrize("with_out", [True, False])
def test_a_failed_command_leaves_no_new_output_folder(ok, tmp_path, capsys, monkeypatch,
                                                      no_simulation, bad, message, with_out):
    monkeypatch.chdir(tmp_path)
    vary = [] if "--vary" in bad else ["--vary", "ips.coaches=8:9"]
    out = ["--out", "new"] if with_out else []
    assert error_line(capsys, "sweep", ok, "-n", "2", *vary, *bad, *out).startswith(message)
    assert not (tmp_path / "new").exists() and not (tmp_path / "results").exists()


@pytest.mark.parametrize("args, message", [
    (["--vary", "ips.coaches=10:1"], "--vary ips.coaches: '10:1': STOP 1 is below START 10"),
    (["--vary", "ips.coaches=1:inf"], "--vary ips.coaches: '1:inf': 'inf' is not a finite number"),
    (["--vary", "ips.coaches=6-10"], "--vary ips.coaches: '6-10' is not a number; write a range "
                                     "with ':' as START:STOP, e.g. 6:10"),
    (["--vary", "ips.coaches="], "--vary ips.coaches: '': no values"),
    (["--vary", "ips.coaches=4,6", "--vary", "ips.coaches=8"], "--vary ips.coaches is given twice"),
])
def test_vary_messages_name_the_parameter_and_the_cause(ok, capsys, no_simulation, args, message):
    assert message in error_line(capsys, "sweep", ok, "-n", "2", *args)


@pytest.mark.parametrize("alts, message", [
    (["a:"], "error: --alt 'a:': nothing after 'a:'"),
    ([":ips.coaches=9"], "error: --alt ':ips.coaches=9': the name before ':' is empty"),
    (["a:ips.coaches=9", "a:ips.coaches=10"], "the name 'a' is used twice"),
])
def test_alt_messages_name_alt(ok, capsys, no_simulation, alts, message):
    args = [a for alt in alts for a in ("--alt", alt)]
    line = error_line(capsys, "compare", ok, "-n", "2", *args)
    assert message in line and "--set" not in line


def test_sweep_grid_size_is_capped(ok, capsys, no_simulation):
    line = error_line(capsys, "sweep", ok, "-n", "2", "--vary", "ips.coaches=1:1000000")
    assert "1,000,000 values; at most 200 are allowed per parameter" in line
    assert "at most 200" in error_line(capsys, "sweep", ok, "--vary", "ips.coaches=1:1e9")
    line = error_line(capsys, "sweep", ok, "--vary", "ips.coaches=1:100",
                      "--vary", "ips.caseload_per_coach=1:100")
    assert "100 × 100 = 10,000 grid points; a sweep runs at most 1,000" in line
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "at most 200 values per parameter and 1,000 grid points" in help_text


def test_run_prints_stability_warnings_before_replicating(tmp_path, capsys, monkeypatch):
    f = tmp_path / "over.yaml"
    f.write_text(OK_YAML + "assessment: {coordinators: 1}\n")
    seen = []

    def replicate(*args, **kwargs):
        seen.append(capsys.readouterr().err)
        raise ValueError("stop here")
    monkeypatch.setattr(sim.experiment, "replicate", replicate)
    assert main(["run", str(f), "-n", "2", "--out", str(tmp_path / "o")]) == 2
    assert seen and "warning: assessment" in seen[0]


def test_validate_counts_initial_clients_before_simulating(tmp_path, capsys, no_simulation):
    f = tmp_path / "big.yaml"
    f.write_text(OK_YAML + "initial: {ips_waiting: 60000}\n")
    assert main(["validate", str(f)]) == 0
    assert capsys.readouterr().out.startswith("OK: t")


@pytest.mark.parametrize("window", ["0", "-3", "29", "100"])
def test_warmup_window_outside_the_run_is_refused(ok, capsys, no_simulation, window):
    line = error_line(capsys, "warmup", ok, "-n", "2", "--window", window)
    assert f"--window {window}: give a whole number of weeks from 1 to 28" in line


def test_overwrite_never_replaces_an_input_file(tmp_path, capsys, no_simulation):
    folder = tmp_path / "kuopio"
    folder.mkdir()
    mine = folder / "scenario.yaml"
    mine.write_text("# our county\n" + OK_YAML)
    line = error_line(capsys, "run", str(mine), "-n", "2", "--out", str(folder), "--overwrite")
    assert str(mine) in line and "choose another --out" in line
    assert mine.read_text() == "# our county\n" + OK_YAML


@pytest.mark.parametrize("name, folder", [("plan 2025/26", "plan-2025-26"),
                                          ("../../escaped", "escaped"),
                                          ("Äänekoski ö_å", "Äänekoski-ö_å")])
def test_default_output_folder_is_one_safe_name(tmp_path, monkeypatch, name, folder):
    from sim import report
    monkeypatch.chdir(tmp_path)
    out = report.prepare_out_dir(None, name)
    assert out.parent == Path("results") and out.name.startswith(f"{folder}-")
    assert out.resolve().parent == (tmp_path / "results").resolve()


def test_run_writes_to_a_safe_default_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(OK_YAML.replace("name: t", 'name: "plan 2025/26"'))
    assert main(["run", "p.yaml", "-n", "2", "-j", "1", "-q"]) == 0
    made = list((tmp_path / "results").iterdir())
    assert len(made) == 1 and made[0].name.startswith("plan-2025-26-")
    assert (made[0] / "summary.csv").exists()


def test_a_closed_pipe_is_not_a_traceback():
    p = subprocess.Popen([sys.executable, "-m", "sim", "presets"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdout.close()  # like `worksim presets | head -0`: the reader is gone before any output
    err = p.stderr.read()
    assert p.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_docstring_alt_examples_are_accepted():
    import re

    from sim import cli
    examples = re.findall(r'--alt "([^"]+)"', cli.__doc__)
    assert examples and all(":" in e for e in examples)
    alts = cli._parse_alts(examples, sim.preset("varsinais-suomi"))
    assert alts["plus2"].ips.coaches == sim.preset("varsinais-suomi").ips.coaches + 2


# --- compare saved scenario files side by side; the staffing search's precision ----------------

def _short_file(tmp_path, name: str, extra: str = "") -> str:
    f = tmp_path / f"{name}.yaml"
    f.write_text(f"base: pohjois-savo-pilot\nname: {name}\nhorizon_days: 400\n{extra}")
    return str(f)


def test_compare_saved_scenario_files_side_by_side_with_paired_differences(tmp_path, capsys):
    a = _short_file(tmp_path, "base")
    b = _short_file(tmp_path, "county", "ips:\n  coaches: 3\n")
    c = _short_file(tmp_path, "county", "ips:\n  coaches: 4\n")  # the same name: made unique
    assert main(["compare", a, b, c, "-n", "3", "-q", "-j", "1", "--alt", "one:ips.coaches=1",
                 "--kpi", "ips_wait_days.mean", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.endswith("]") and "ips_wait_days.mean" in line}
    assert set(rows) == {"county", "county-2", "one"}
    expected = sim.compare(sim.resolve(a), {"county": sim.resolve(b)}, 3, 1).rows(
        ["ips_wait_days.mean"])[0]
    assert float(rows["county"][4]) == pytest.approx(expected["difference"], abs=1e-3)
    assert float(rows["county-2"][4]) <= 0 < float(rows["one"][4])  # one coach: longer waits
    saved = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert "county-2" in json.dumps(saved)


def test_compare_needs_an_alternative_and_unique_names(ok, tmp_path, capsys, no_simulation):
    assert "nothing to compare with the base" in error_line(capsys, "compare", ok, "-n", "2")
    other = _short_file(tmp_path, "county")
    line = error_line(capsys, "compare", ok, other, "-n", "2", "--alt", "county:ips.coaches=9")
    assert "'county' is already a scenario given after the base" in line
    assert "lapland" in error_line(capsys, "compare", ok, "lapland", "-n", "2")


def test_sweep_precision_and_cap_reach_the_staffing_search(ok, capsys, monkeypatch):
    seen = {}

    def min_staffing(*args, **kwargs):
        seen.update(kwargs)
        raise ValueError("stop here")
    monkeypatch.setattr(sim.experiment, "min_staffing", min_staffing)
    vary = ("--vary", "ips.coaches=6:9", "--target", "ips_wait_days.p90<=30", "-n", "4")
    assert "stop here" in error_line(capsys, "sweep", ok, *vary, "--precision", "2%",
                                     "--max-replications", "24")
    assert (seen["precision"], seen["max_replications"]) == (0.02, 24)
    error_line(capsys, "sweep", ok, *vary)
    assert (seen["precision"], seen["max_replications"]) == (0.05, 16)  # as before: 4 × 4


@pytest.mark.parametrize("args, message", [
    (("--vary", "ips.coaches=6:9", "--precision", "5%"), "--precision: only for a staffing search"),
    (("--vary", "ips.fidelity_score=80:90:10", "--target", "ips_wait_days.p90<=30",
      "--max-replications", "8"), "--max-replications: only for a staffing search"),
    (("--vary", "ips.coaches=6:9", "--target", "ips_wait_days.p90<=30", "--max-replications", "3"),
     "--max-replications 3: give a whole number from 4 (--replications)"),
    (("--vary", "ips.coaches=6:9", "--target", "ips_wait_days.p90<=30", "--precision", "half"),
     "--precision 'half' is not a number"),
])
def test_sweep_precision_is_checked_before_anything_runs(ok, capsys, no_simulation, args, message):
    assert message in error_line(capsys, "sweep", ok, "-n", "4", *args)
