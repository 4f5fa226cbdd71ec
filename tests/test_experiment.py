"""Replications, confidence intervals, paired comparisons, sweeps and diagnostics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats as st

import sim
from sim import Scenario
from sim.experiment import UnstableScenarioWarning, parse_range, stability_warnings
from sim.stats import mser5, paired_difference, replications_needed, t_interval, welch


def test_t_interval_agrees_with_scipy():
    x = np.array([3.1, 2.7, 3.9, 4.2, 3.3, 2.8])
    ci = t_interval(x)
    lo, hi = st.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=st.sem(x))
    assert (ci.low, ci.high) == pytest.approx((lo, hi))
    assert ci.n == 6


def test_t_interval_drops_undefined_replications_and_handles_tiny_samples():
    assert t_interval([1.0, float("nan"), 3.0]).n == 2
    one = t_interval([5.0])
    assert one.mean == 5.0 and np.isnan(one.low)
    assert np.isnan(t_interval([]).mean)


def test_paired_interval_is_narrower_than_unpaired_on_correlated_data():
    rng = np.random.default_rng(0)
    common = rng.normal(100, 20, 30)
    base, alt = common + rng.normal(0, 1, 30), common - 2 + rng.normal(0, 1, 30)
    paired = paired_difference(alt, base)
    unpaired_half = st.t.ppf(0.975, 58) * np.sqrt(base.var(ddof=1) / 30 + alt.var(ddof=1) / 30)
    assert paired.half_width < unpaired_half / 5
    assert paired.high < 0
    with pytest.raises(ValueError, match="equal replications"):
        paired_difference([1, 2], [1, 2, 3])


def test_parallel_replications_equal_serial_ones(small_dict):
    s = Scenario.from_dict(small_dict)
    serial = sim.replicate(s, 4, seed=11, jobs=1)
    parallel = sim.replicate(s, 4, seed=11, jobs=2)
    assert [r.kpis for r in serial.runs] == [r.kpis for r in parallel.runs]
    for a, b in zip(serial.runs, parallel.runs):
        assert np.array_equal(a.series["ips_waiting"], b.series["ips_waiting"])


def test_summary_rows_carry_unit_and_ci(small_dict):
    reps = sim.replicate(Scenario.from_dict(small_dict), 3, seed=1)
    rows = {r.metric: r for r in reps.summary()}
    assert rows["ips_wait_days.p90"].unit == "days"
    assert rows["coach_caseload_utilisation"].unit == "share"
    assert rows["referrals"].replications == 3
    r = rows["ips_wait_days.mean"]
    assert r.ci95_low <= r.mean <= r.ci95_high
    assert not any(m.endswith(".n") for m in rows)


def test_progress_callback_sees_every_replication(small_dict):
    seen = []
    sim.replicate(Scenario.from_dict(small_dict), 3, seed=1, progress=lambda i, n: seen.append((i, n)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_bad_replication_and_job_counts_are_refused(small_dict):
    s = Scenario.from_dict(small_dict)
    with pytest.raises(ValueError, match="replications: 0 must be a whole number ≥ 1"):
        sim.replicate(s, 0)
    with pytest.raises(ValueError, match="jobs: -1"):
        sim.replicate(s, 2, jobs=-1)


def test_one_more_coach_shortens_the_wait_with_a_paired_ci_below_zero():
    base = sim.preset("varsinais-suomi").with_changes({"ips.coaches": 11, "horizon_days": 730})
    cmp = sim.compare(base, {"plus2": base.with_changes({"ips.coaches": 13})}, 6, seed=1)
    d = cmp.difference("plus2", "ips_wait_days.mean")
    assert d.high < 0
    rows = cmp.rows(["ips_wait_days.mean"])
    assert rows[0]["difference"] == pytest.approx(rows[0]["alt_mean"] - rows[0]["base_mean"])
    # pairing removes the shared noise: the paired CI is narrower than the two CIs side by side
    a, b = cmp.alternatives["plus2"].ci("ips_wait_days.mean"), cmp.base.ci("ips_wait_days.mean")
    assert d.half_width < a.half_width + b.half_width


def test_parse_target_and_range_explain_their_forms():
    t = sim.parse_target("ips_wait_days.p90 <= 30")
    assert (t.kpi, t.op, t.value) == ("ips_wait_days.p90", "<=", 30.0)
    with pytest.raises(ValueError, match="METRIC<=VALUE"):
        sim.parse_target("wait below 30")
    with pytest.raises(ValueError, match="unknown metric 'ips_wiat_days.p90'"):
        sim.parse_target("ips_wiat_days.p90<=30")
    assert parse_range("1:4") == [1, 2, 3, 4]
    assert parse_range("2:10:4") == [2, 6, 10]
    assert parse_range("0.5,1") == [0.5, 1]
    with pytest.raises(ValueError, match="START:STOP"):
        parse_range("10:1")


def test_target_judges_the_far_end_of_the_ci():
    t = sim.parse_target("ips_wait_days.p90<=30")
    assert t.met_by(t_interval([20, 22, 24]))
    assert not t.met_by(t_interval([10, 50, 25]))  # mean 28.3 but the CI reaches past 30
    ge = sim.parse_target("employed_within_365d_share>=0.2")
    assert ge.met_by(t_interval([0.3, 0.31, 0.29]))


def test_two_parameter_sweep_covers_the_grid(small_dict):
    s = Scenario.from_dict(small_dict)
    res = sim.sweep(s, {"ips.coaches": [2, 4], "ips.caseload_per_coach": [10, 20]}, 2, seed=1)
    assert [tuple(p.values()) for p in res.points] == [(2, 10), (2, 20), (4, 10), (4, 20)]
    table = res.table(["coach_caseload_utilisation"])
    assert len(table) == 4 and "coach_caseload_utilisation.ci95_high" in table[0]
    with pytest.raises(ValueError, match="no target"):
        res.best()


def test_sweep_validates_every_point_before_running(small_dict):
    with pytest.raises(sim.ScenarioError, match="ips.caseload_per_coach: 0 is out of range"):
        sim.sweep(Scenario.from_dict(small_dict), {"ips.caseload_per_coach": [5, 0]}, 2)


def test_min_staffing_skips_unstable_values_and_answers(small_dict):
    s = Scenario.from_dict(small_dict)
    res = sim.min_staffing(s, "ips.coaches", list(range(1, 21)), "ips_wait_days.p90<=30", 3, seed=1)
    floor = res.offered_load["ips.coaches"]
    assert all(p["ips.coaches"] > floor for p in res.points)
    best = res.best()
    assert best is not None
    # every simulated value at or above the answer meets the target, the one below does not
    met = [r["meets_target"] for r in res.table(["ips_wait_days.p90"])]
    first = met.index(True)
    assert res.points[first] == best


def test_min_staffing_only_varies_staff(small_dict):
    with pytest.raises(ValueError, match="varies one of ips.coaches"):
        sim.min_staffing(Scenario.from_dict(small_dict), "ips.fidelity_score", [80], "ips_wait_days.p90<=30")


def test_overloaded_assessment_warns_and_stays_bounded(small_dict):
    small_dict["assessment"]["coordinators"] = 0.25
    s = Scenario.from_dict(small_dict)
    assert stability_warnings(s) and "waiting list grows" in stability_warnings(s)[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reps = sim.replicate(s, 2, seed=1)
    assert any(issubclass(w.category, UnstableScenarioWarning) for w in caught)
    assert reps.ci("waiting_at_end").mean > 50  # the queue grew, and the run still ended


def test_welch_and_mser5_find_the_end_of_a_transient():
    rng = np.random.default_rng(1)
    t = np.arange(200)
    series = np.vstack([10 * (1 - np.exp(-t / 15)) + rng.normal(0, 0.3, 200) for _ in range(5)])
    cut = mser5(series)
    assert 20 <= cut <= 80
    smooth = welch(series, 5)
    assert len(smooth) == 195 and smooth[-1] == pytest.approx(10, abs=0.5)


def test_warmup_analysis_on_an_empty_start(small_dict):
    small_dict["initial"] = {}
    small_dict["horizon_days"] = 1460
    res = sim.warmup_analysis(Scenario.from_dict(small_dict), "ips_caseload", 3, seed=1)
    assert 0 < res["suggested_warmup_days"] < 1460 / 2


def test_replications_needed_grows_with_precision():
    x = [10, 12, 9, 11, 13, 8, 10]
    assert replications_needed(x, 0.01) > replications_needed(x, 0.10) >= 2
