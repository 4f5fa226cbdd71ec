"""The pathway model: deterministic paths, extremes, conservation, caps and reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import deterministic_dict

import sim
from sim import Scenario
from sim.results import Event


def _journeys(result) -> dict[int, list[tuple[float, str, int]]]:
    out: dict[int, list] = {}
    log = result.log
    for c, t, e, d in zip(log.client, log.time, log.event, log.detail):
        out.setdefault(c, []).append((t, Event.NAMES[e], d))
    return out


@pytest.mark.parametrize("pathway,total_days", [
    ("vocational", 10 + 5 + 20),        # assessment + wait + programme
    ("ips", 10 + 30 + 180),             # assessment + search + step-down after stable work
    ("stepwise", 10 + 100),             # assessment + one period, then open market
    ("other", 10),
])
def test_deterministic_durations_with_unlimited_capacity_sum_the_stages(pathway, total_days):
    s = Scenario.from_dict(deterministic_dict(pathway))
    r = sim.run(s, seed=3, keep_log=True)
    assert r.kpis["time_in_system_days.n"] > 20
    assert r.kpis["time_in_system_days.mean"] == pytest.approx(total_days, abs=1e-9)
    assert r.kpis["time_in_system_days.p90"] == pytest.approx(total_days, abs=1e-9)
    assert r.kpis["assessment_wait_days.mean"] == 0
    if pathway == "ips":
        assert r.kpis["ips_wait_days.mean"] == 0
        assert r.kpis["time_to_first_job_days.mean"] == pytest.approx(30)


def test_team_decisions_wait_for_the_next_weekly_meeting():
    d = deterministic_dict("other")
    d["team"] = {"enabled": True, "meeting_interval_days": 7, "first_meeting_day": 0}
    r = sim.run(Scenario.from_dict(d), seed=1, keep_log=True)
    for rows in _journeys(r).values():
        ends = [t for t, e, _ in rows if e == "assess_end"]
        decided = [t for t, e, _ in rows if e == "decision"]
        if ends and decided:
            assert decided[0] == pytest.approx(math.ceil(ends[0] / 7 - 1e-12) * 7)


def test_a_meeting_decides_at_most_its_case_limit():
    d = deterministic_dict("other")
    d["arrivals"]["sources"]["all"] = 2000
    d["team"] = {"enabled": True, "meeting_interval_days": 7, "cases_per_meeting": 5}
    r = sim.run(Scenario.from_dict(d), seed=1, keep_log=True)
    a = r.log.arrays()
    times = a["time"][a["event"] == Event.DECISION]
    _, counts = np.unique(times, return_counts=True)
    assert counts.max() == 5


def test_the_same_seed_gives_identical_records(small_dict):
    s = Scenario.from_dict(small_dict)
    a, b = sim.run(s, seed=7, keep_log=True), sim.run(s, seed=7, keep_log=True)
    assert a.kpis == b.kpis
    for col in ("client", "time", "event", "detail"):
        assert getattr(a.log, col) == getattr(b.log, col)


def test_different_seeds_and_replications_differ(small_dict):
    s = Scenario.from_dict(small_dict)
    base = sim.run(s, seed=7).kpis
    assert sim.run(s, seed=8).kpis != base
    assert sim.run(s, seed=7, replication=1).kpis != base


def test_parameters_are_unchanged_after_a_run(small_dict):
    s = Scenario.from_dict(small_dict)
    before = s.to_dict()
    sim.run(s, seed=1)
    assert s.to_dict() == before


def test_conservation_every_client_exits_or_is_still_in_the_system(small_dict):
    s = Scenario.from_dict(small_dict)
    r = sim.run(s, seed=2, keep_log=True)
    a = r.log.arrays()
    exits = np.bincount(a["detail"][a["event"] == Event.EXIT], minlength=5)
    assert r.meta["clients"] == exits.sum() + r.meta["in_system_at_end"]
    assert list(exits) == list(r.meta["exits_all"].values())
    # every client exits at most once and nothing happens after the exit
    for rows in _journeys(r).values():
        names = [e for _, e, _ in rows]
        assert names.count("exit") <= 1
        if "exit" in names:
            assert names[-1] == "exit"
        times = [t for t, _, _ in rows]
        assert times == sorted(times)


def test_caseload_never_exceeds_coaches_times_the_cap(small_dict):
    small_dict["ips"]["coaches"] = 1
    small_dict["ips"]["caseload_per_coach"] = 7
    r = sim.run(Scenario.from_dict(small_dict), seed=4)
    assert r.meta["peak"]["ips_caseload"] == 7
    assert r.kpis["ips_waiting_mean"] > 0
    assert r.kpis["coach_caseload_utilisation"] <= 1 + 1e-12


def test_caseload_of_one_serves_one_client_at_a_time(small_dict):
    small_dict["ips"]["coaches"] = 1
    small_dict["ips"]["caseload_per_coach"] = 1
    small_dict["initial"]["ips_in_service"] = 0
    r = sim.run(Scenario.from_dict(small_dict), seed=4)
    assert r.meta["peak"]["ips_caseload"] == 1


def test_stepwise_places_are_a_hard_cap(small_dict):
    small_dict["stepwise"]["places"] = 3
    r = sim.run(Scenario.from_dict(small_dict), seed=4)
    assert r.meta["peak"]["stepwise_in_service"] <= 3


def test_zero_arrivals_and_empty_start_give_no_clients_and_no_crash(small_dict):
    small_dict["arrivals"]["sources"] = {"sote": 0, "social": 0}
    small_dict["initial"] = {}
    r = sim.run(Scenario.from_dict(small_dict), seed=1)
    assert r.meta["clients"] == 0
    assert r.kpis["referrals"] == 0
    assert math.isnan(r.kpis["ips_wait_days.mean"])


def test_zero_routing_to_a_pathway_leaves_it_empty(small_dict):
    for row in small_dict["routing"].values():
        row["other"] = row.get("other", 0) + row.pop("ips", 0)
    small_dict["stepwise"]["onward"] = {"open_market": 0.1, "refer_ips": 0, "repeat": 0.3,
                                        "education": 0.1, "pension": 0.1, "other": 0.4}
    small_dict["initial"] = {}
    r = sim.run(Scenario.from_dict(small_dict), seed=1, keep_log=True)
    assert not np.any(r.log.arrays()["event"] == Event.IPS_QUEUE)
    assert r.kpis["routed_ips_share"] == 0
    assert r.meta["peak"]["ips_caseload"] == 0


def test_routing_everyone_to_one_pathway_fills_only_it(small_dict):
    small_dict["routing"] = {"default": {"vocational": 1.0}}
    r = sim.run(Scenario.from_dict(small_dict), seed=1)
    assert r.kpis["routed_vocational_share"] == 1.0


def test_a_very_long_horizon_stays_consistent(small_dict):
    small_dict["horizon_days"] = 36_500
    small_dict["arrivals"]["sources"] = {"sote": 20, "social": 10}
    r = sim.run(Scenario.from_dict(small_dict), seed=1)
    assert r.meta["clients"] == r.meta["in_system_at_end"] + sum(r.meta["exits_all"].values())
    assert 28 * 100 * 0.8 < r.kpis["referrals"] < 32 * 100 * 1.2


def test_mean_referrals_match_the_yearly_rates_with_seasonality(small_dict):
    small_dict["horizon_days"] = 3650
    small_dict["arrivals"]["seasonality"] = [1.5] * 6 + [0.5] * 6
    s = Scenario.from_dict(small_dict)
    counts = [sim.run(s, seed=1, replication=r).kpis["referrals"] for r in range(5)]
    assert np.mean(counts) == pytest.approx(300 * 10, rel=0.02)


def test_seasonality_shifts_referrals_into_the_busy_months(small_dict):
    small_dict["horizon_days"] = 3650
    small_dict["arrivals"]["seasonality"] = [1.8] * 6 + [0.2] * 6
    r = sim.run(Scenario.from_dict(small_dict), seed=1, keep_log=True)
    a = r.log.arrays()
    t = a["time"][(a["event"] == Event.REFERRAL) & (a["detail"] >= 0)]
    first_half = np.mean((t % 365) < 365 / 2)
    assert first_half == pytest.approx(0.9, abs=0.02)


def test_more_coaches_never_lengthen_the_mean_ips_wait_under_common_random_numbers():
    base = sim.preset("varsinais-suomi").with_changes({"horizon_days": 730})
    for seed in range(1, 6):
        waits = [sim.run(base.with_changes({"ips.coaches": c}), seed=seed)
                 .kpis["ips_wait_days.mean"] for c in (10, 12, 14, 16)]
        assert all(a >= b - 1e-9 for a, b in zip(waits, waits[1:])), (seed, waits)


def test_a_client_meets_the_same_luck_whatever_the_staffing(small_dict):
    """First-episode durations are drawn at referral, so they do not depend on staffing."""
    s = Scenario.from_dict(small_dict)
    a = sim.run(s, seed=5, keep_log=True)
    b = sim.run(s.with_changes({"ips.coaches": 30}), seed=5, keep_log=True)
    ref_a = {c: t for c, t, e in zip(a.log.client, a.log.time, a.log.event) if e == Event.REFERRAL}
    ref_b = {c: t for c, t, e in zip(b.log.client, b.log.time, b.log.event) if e == Event.REFERRAL}
    assert ref_a == ref_b
    start = lambda r: {c: t for c, t, e in zip(r.log.client, r.log.time, r.log.event)
                       if e == Event.ASSESS_START}
    ends = lambda r: {c: t for c, t, e in zip(r.log.client, r.log.time, r.log.event)
                      if e == Event.ASSESS_END}
    dur_a = {c: ends(a)[c] - start(a)[c] for c in ends(a)}
    dur_b = {c: ends(b)[c] - start(b)[c] for c in ends(b)}
    common = set(dur_a) & set(dur_b)
    assert len(common) > 100
    assert all(dur_a[c] == pytest.approx(dur_b[c]) for c in common)


def test_pre_loaded_start_with_no_arrivals_drains(small_dict):
    small_dict["arrivals"]["sources"] = {"sote": 0, "social": 0}
    small_dict["horizon_days"] = 20_000
    small_dict["ips"]["discharge_after_unemployed_days"] = 365
    r = sim.run(Scenario.from_dict(small_dict), seed=1)
    assert r.meta["clients"] == sum(small_dict["initial"].values())
    assert r.meta["in_system_at_end"] == 0


def test_warmup_only_counts_clients_referred_after_it(small_dict):
    small_dict["warmup_days"] = 365
    s = Scenario.from_dict(small_dict)
    r = sim.run(s, seed=1, keep_log=True)
    a = r.log.arrays()
    ref = (a["event"] == Event.REFERRAL) & (a["detail"] >= 0)
    assert r.kpis["referrals"] == np.sum(a["time"][ref] >= 365)


def test_higher_fidelity_finds_jobs_sooner():
    base = sim.preset("keski-suomi").with_changes({"ips.coaches": 40})
    lo = sim.replicate(base.with_changes({"ips.fidelity_score": 75}), 4, seed=1)
    hi = sim.replicate(base.with_changes({"ips.fidelity_score": 120}), 4, seed=1)
    assert hi.ci("time_to_first_job_days.mean").high < lo.ci("time_to_first_job_days.mean").low


def test_run_rejects_something_that_is_not_a_scenario():
    with pytest.raises(TypeError, match="needs a Scenario"):
        sim.run({"name": "x"})  # type: ignore[arg-type]


def test_outcomes_by_pathway_add_up_to_the_team_decisions(small_dict):
    from sim.scenario import EXITS
    small_dict["initial"] = {}
    r = sim.run(Scenario.from_dict(small_dict), seed=3, keep_log=True)
    a = r.log.arrays()
    decided = np.count_nonzero(a["event"] == Event.DECISION)
    for p in ("ips", "stepwise", "vocational"):
        total = sum(r.kpis[f"exit_{x}.{p}"] for x in EXITS + ("in_service",))
        assert total == pytest.approx(r.kpis[f"routed_{p}_share"] * decided)
    # IPS clients leave employed only through a job start
    assert r.kpis["exit_employed.ips"] <= np.count_nonzero(a["event"] == Event.JOB_START)


@pytest.mark.parametrize("pathway,exit_name", [("education", "education"), ("pension", "pension"),
                                               ("other", "other"), ("vocational", "employed"),
                                               ("stepwise", "employed")])
def test_each_exit_is_logged_and_counted_under_its_own_name(pathway, exit_name):
    from sim.scenario import EXITS
    r = sim.run(Scenario.from_dict(deterministic_dict(pathway)), seed=2, keep_log=True)
    a = r.log.arrays()
    exits = a["detail"][a["event"] == Event.EXIT]
    assert set(exits) == {EXITS.index(exit_name)}
    assert r.meta["exits_all"][exit_name] == len(exits) > 20
    assert r.kpis[f"exit_{exit_name}"] == np.count_nonzero(
        (a["event"] == Event.EXIT) & (a["detail"] == EXITS.index(exit_name)))


def test_clients_who_give_up_waiting_exit_as_dropouts():
    from sim.scenario import EXITS
    d = deterministic_dict("other")
    d["assessment"].update(coordinators=1, dropout_per_year_waiting=50)
    r = sim.run(Scenario.from_dict(d), seed=2, keep_log=True)
    a = r.log.arrays()
    reneged = set(a["client"][a["event"] == Event.RENEGE])
    dropped = set(a["client"][(a["event"] == Event.EXIT) & (a["detail"] == EXITS.index("dropout"))])
    assert reneged == dropped and len(dropped) > 20
    assert r.meta["exits_all"]["dropout"] == len(dropped)
    assert r.meta["exits_all"]["other"] > 20
