"""Answers whose certainty is stated: replications by precision, the staffing answer with its
confidence, and overload warnings for every capacity (sim/experiment.py, sim/planner.py)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import sim
from sim import experiment, planner
from sim.cli import main
from sim.experiment import (
    PRECISION_FLOORS,
    UnstableScenarioWarning,
    miss_confidence,
    parse_precision,
    replicate_to_precision,
    result_warnings,
    stability_warnings,
    stage_loads,
)

PILOT = "pohjois-savo-pilot"
KPIS = ("referrals", "team_wait_days.mean", "coach_caseload_utilisation")


@pytest.fixture(scope="module")
def short():
    """The pilot over half a year: a replication takes a few milliseconds."""
    return sim.preset(PILOT).with_changes({"horizon_days": 180})


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstableScenarioWarning)
        return fn(*args, **kwargs)


# --- replications by precision -------------------------------------------------------------

@pytest.mark.parametrize("text, value", [("5%", 0.05), ("0.05", 0.05), (" 12.5 % ", 0.125),
                                         (0.2, 0.2), ("100%", 1.0)])
def test_parse_precision(text, value):
    assert parse_precision(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["0", "-5%", "150%", "five", "nan", True])
def test_parse_precision_refuses_nonsense(text):
    with pytest.raises(ValueError, match="precision"):
        parse_precision(text)


def test_stops_when_every_kpi_meets_its_target_and_equals_fixed_n(short):
    reps = replicate_to_precision(short, 0.05, seed=3, kpis=KPIS, batch=4)
    stop = reps.stopping
    assert not stop.capped and stop.replications == reps.n == stop.history[-1]
    assert stop.history[0] == 4 and list(stop.history) == sorted(stop.history)
    for kpi in KPIS:  # the target is met for every KPI ...
        ci = reps.ci(kpi)
        unit = sim.results.kpi_unit(kpi)
        assert ci.half_width <= max(0.05 * abs(ci.mean), PRECISION_FLOORS[unit]) + 1e-12
    # ... and the KPI that decided is the one closest to its limit
    assert stop.decided_by == max(stop.checks, key=lambda c: c.ratio).kpi
    assert stop.deciding.half_width == pytest.approx(reps.ci(stop.decided_by).half_width)
    if len(stop.history) > 1:  # one batch earlier it was not met yet
        earlier = sim.replicate(short, stop.history[-2], seed=3)
        assert any(earlier.ci(k).half_width > max(0.05 * abs(earlier.ci(k).mean),
                                                  PRECISION_FLOORS[sim.results.kpi_unit(k)])
                   for k in KPIS)
    fixed = sim.replicate(short, reps.n, seed=3)
    assert [r.kpis for r in reps.runs] == [r.kpis for r in fixed.runs]
    for a, b in zip(reps.runs, fixed.runs):
        assert all(np.array_equal(a.series[k], b.series[k]) for k in a.series)
    assert reps.summary() == fixed.summary()


def test_cap_is_respected_and_says_which_kpis_are_still_wide(short):
    reps = _quiet(replicate_to_precision, short, 0.001, seed=1, kpis=KPIS, batch=3,
                  max_replications=7)
    stop = reps.stopping
    assert reps.n == 7 and stop.capped and stop.cap == 7
    assert stop.still_wide and set(stop.still_wide) <= set(KPIS)
    assert stop.decided_by in stop.still_wide
    assert "cap of 7 replications" in stop.describe()
    record = stop.as_dict()
    assert record["capped"] and record["still_wide"] == stop.still_wide
    json.dumps(record)


def test_precision_checks_its_arguments(short):
    with pytest.raises(ValueError, match="at most 10,000"):
        replicate_to_precision(short, 0.05, max_replications=20_000)
    with pytest.raises(ValueError, match="batch"):
        replicate_to_precision(short, 0.05, batch=1)
    with pytest.raises(ValueError, match="unknown metric"):
        replicate_to_precision(short, 0.05, kpis=["ips_wait"])


# --- the staffing answer with its certainty --------------------------------------------------

def test_miss_confidence_follows_the_t_distribution():
    target = sim.parse_target("ips_wait_days.p90<=30")
    values = [31.0, 33.0, 35.0, 37.0]  # mean 34, sd 2.58, se 1.29: t = 3.10 on 3 df
    from scipy import stats
    expected = stats.t.cdf(4 / (np.std(values, ddof=1) / 2), 3)
    assert miss_confidence(target, values) == pytest.approx(expected)
    assert 0.95 < miss_confidence(target, values) < 0.99
    assert miss_confidence(target, [29.0, 30.5]) == pytest.approx(0.5, abs=0.3)
    assert miss_confidence(sim.parse_target("employed_within_365d_share>=0.5"),
                           [0.40, 0.42, 0.44]) > 0.95


def test_staffing_answer_states_its_certainty(short):
    result = sim.min_staffing(short, "ips.coaches", [1, 2, 3], "ips_wait_days.p90<=12", 4, 1,
                              max_replications=experiment.refinement_cap(4))
    c = result.certainty()
    best = result.best()["ips.coaches"]
    assert c.best_value == best
    ci = result.results[result.points.index(result.best())].ci("ips_wait_days.p90")
    if c.degenerate is None:
        assert c.bound == pytest.approx(ci.high) and c.bound <= 12
    answer = planner.staffing_answer(result, "en")
    assert answer["certainty"] and answer["certainty"] in answer["text"]
    assert f"{best:g} coaches" in answer["certainty"] or "Caution" in answer["certainty"]
    fi = planner.staffing_answer(result, "fi")["certainty"]
    assert "valmentaja" in fi


def test_staffing_answer_names_the_confidence_that_one_fewer_misses():
    # an M/M/c desk: 7 coordinators meet a mean wait of 0.5 days, 6 clearly do not
    from conftest import mmc
    scenario = mmc(10, 0.6, horizon=400, warmup=50)
    result = sim.min_staffing(scenario, "assessment.coordinators", [6, 7, 8, 9],
                              "assessment_wait_days.mean<=0.5", 4, seed=2,
                              max_replications=experiment.refinement_cap(4))
    c = result.certainty()
    assert c.best_value is not None and c.lower_value == c.best_value - 1
    lower = result.results[result.points.index({"assessment.coordinators": c.lower_value})]
    assert c.lower_misses == pytest.approx(miss_confidence(result.target,
                                                           lower.values(result.target.kpi)))
    text = planner.certainty_text(result, "en")
    assert f"{c.best_value:g} coordinators: Wait for assessment, mean, 95 % upper bound" in text
    assert f"{c.lower_value:g} coordinators" in text and "confidence" in text


def test_degenerate_intervals_are_never_an_answer_without_saying_so(short):
    # an ample IPS: nobody waits, so every replication's p90 wait is 0.0 (an interval 0.0–0.0)
    ample = short.with_changes({"ips.coaches": 30})
    result = sim.min_staffing(ample, "ips.coaches", [30], "ips_wait_days.p90<=30", 3, 1,
                              max_replications=3)
    c = result.certainty()
    assert c.best_value == 30 and c.degenerate == "no_spread"
    answer = planner.staffing_answer(result, "en")
    assert "Caution: all 3 replications at 30 coaches gave 0.0" in answer["text"]
    assert "no width" in answer["text"]
    assert "Huom." in planner.staffing_answer(result, "fi")["text"]
    single = sim.min_staffing(ample, "ips.coaches", [30], "ips_wait_days.p90<=30", 1, 1,
                              max_replications=1)
    assert single.certainty().degenerate == "single"
    assert "one replication" in planner.staffing_answer(single, "en")["text"]


def test_min_staffing_adds_replications_only_where_the_ci_straddles(short):
    result = sim.min_staffing(short, "ips.coaches", [2, 3, 4, 6], "ips_wait_days.p90<=12", 3, 1,
                              max_replications=12)
    target = result.target
    for reps in result.results:
        ci = reps.ci(target.kpi)
        assert 3 <= reps.n <= 12
        if reps.n == 3:  # never refined: decided at once
            assert target.met_by(ci) or ci.low > 12 or ci.sd == 0 or ci.n == 0
    first = [sim.replicate(r.scenario, r.n, 1) for r in result.results]
    assert [[x.kpis for x in a.runs] for a in first] == [[x.kpis for x in b.runs]
                                                         for b in result.results]
    fixed = sim.min_staffing(short, "ips.coaches", [2, 3, 4, 6], "ips_wait_days.p90<=12", 3, 1,
                             max_replications=3)
    assert {r.n for r in fixed.results} == {3}
    by_default = sim.min_staffing(short, "ips.coaches", [2, 3, 4, 6], "ips_wait_days.p90<=12", 3, 1)
    assert [[x.kpis for x in r.runs] for r in by_default.results] == [[x.kpis for x in r.runs]
                                                                      for r in fixed.results]
    assert experiment.refinement_cap(3) == 12 and experiment.refinement_cap(100) == 200


# --- overload warnings for every capacity ----------------------------------------------------

def test_the_default_county_is_below_the_ips_floor_and_says_so():
    s = sim.preset("varsinais-suomi")
    loads = stage_loads(s)
    assert loads["ips"]["load"] > loads["ips"]["capacity"] == 140
    messages = stability_warnings(s)
    assert any(m.startswith("IPS coaching:") and "only 140" in m and "ips.coaches" in m
               for m in messages)
    assert not stability_warnings(sim.preset(PILOT))


@pytest.mark.parametrize("changes, start", [
    ({"assessment.coordinators": 0.5}, "assessment:"),
    ({"team.cases_per_meeting": 1}, "team:"),
    ({"ips.coaches": 0.5}, "IPS coaching:"),
    ({"stepwise.places": 10, "initial.stepwise_in_service": 5}, "stepwise work activity:"),
    ({"initial.ips_in_service": 60}, "initial.ips_in_service:"),
    ({"initial.stepwise_in_service": 120}, "initial.stepwise_in_service:"),
])
def test_overload_is_detected_for_each_capacity(changes, start):
    s = sim.preset(PILOT).with_changes(changes)
    messages = stability_warnings(s)
    assert [m for m in messages if m.startswith(start)], messages


def test_the_analytic_ips_load_matches_an_unlimited_run():
    s = sim.preset("varsinais-suomi").with_changes(
        {"ips.coaches": 1000, "horizon_days": 2555, "initial.ips_in_service": 0})
    run = sim.run(s, seed=1)
    steady = run.series["ips_caseload"][-104:].mean()  # the last two years
    assert stage_loads(s)["ips"]["load"] == pytest.approx(steady, rel=0.1)


def test_a_run_warns_when_a_waiting_list_grows(short):
    over = sim.preset(PILOT).with_changes({"ips.coaches": 1, "horizon_days": 540})
    reps = _quiet(sim.replicate, over, 2, 1)
    found = result_warnings(reps)
    assert any("IPS waiting list grew through the run" in m for m in found)
    assert any("coaches' caseloads were full" in m for m in found)
    assert set(found) <= set(reps.warnings())
    assert any(m.startswith("IPS coaching:") for m in reps.warnings())
    calm = sim.replicate(short.with_changes({"ips.coaches": 30}), 2, 1)
    assert result_warnings(calm) == []


# --- the command line ------------------------------------------------------------------------

def test_cli_run_with_precision(tmp_path, capsys):
    out = tmp_path / "o"
    code = main(["run", PILOT, "--horizon-days", "180", "--precision", "25%", "--max-replications",
                 "30", "-j", "1", "-q", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    line = next(x for x in text.splitlines() if x.startswith("precision: "))
    record = json.loads((out / "run.json").read_text())
    stop = record["precision"]
    assert stop["precision"] == 0.25 and stop["cap"] == 30
    assert record["replications"] == stop["replications"] <= 30
    assert stop["decided_by"] in line and f"{stop['replications']} replications" in line
    assert isinstance(record["warnings"], list)


def test_cli_precision_and_replications_exclude_each_other(tmp_path, capsys, no_simulation):
    assert main(["run", PILOT, "--precision", "5%", "-n", "10", "--out", str(tmp_path / "a")]) == 2
    assert "give one of them" in capsys.readouterr().err
    assert main(["run", PILOT, "--precision", "five", "--out", str(tmp_path / "b")]) == 2
    assert "--precision 'five' is not a number" in capsys.readouterr().err
    assert main(["run", PILOT, "--max-replications", "9", "--out", str(tmp_path / "c")]) == 2
    assert "give --precision too" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_cli_run_prints_result_warnings(tmp_path, capsys):
    code = main(["run", PILOT, "--set", "ips.coaches=1", "--horizon-days", "540", "-n", "2",
                 "-j", "1", "-q", "--out", str(tmp_path / "o")])
    assert code == 0
    captured = capsys.readouterr()
    assert "warning: IPS coaching:" in captured.err  # before the run, from the scenario
    assert "warning: the IPS waiting list grew through the run" in captured.out  # from the run


def test_cli_sweep_states_the_certainty(tmp_path, capsys):
    code = main(["sweep", PILOT, "--horizon-days", "180", "--vary", "ips.coaches=2:4",
                 "--target", "ips_wait_days.p90<=12", "-n", "3", "-j", "1", "-q",
                 "--out", str(tmp_path / "s")])
    assert code == 0
    text = capsys.readouterr().out
    assert "Fewest that meet" in text or "No value" in text
    if "Fewest that meet" in text:
        assert "coaches" in text.split("Fewest that meet", 1)[1]
