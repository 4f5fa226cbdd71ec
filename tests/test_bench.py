"""The benchmark's references are the loops they claim to be (benchmarks/bench_sim.py).

The speed figures are only worth their references: these tests run each reference small and
check it against what it stands for (the events a simpy M/M/c customer costs, Erlang C,
the number an M/M/∞ system holds) and check the model's time-average number of clients
against a count at many instants.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import mmc

import sim

_spec = importlib.util.spec_from_file_location(
    "bench_sim", Path(__file__).parents[1] / "benchmarks" / "bench_sim.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_bare_mmc_is_simpys_six_events_a_customer():
    # per customer: the source's timeout, the process start, request, service timeout,
    # release and the process's end: 6.0 events a customer
    events, seconds = bench.bare_mmc(customers=2_000)
    assert seconds > 0
    assert 6 * 2_000 <= events <= 6 * 2_000 + 5  # + the source's end, the run's until


def test_lean_mmc_matches_erlang_c():
    # c = 5, ρ = 0.9: Erlang C gives Wq = 1.525 days (sim/stats.py, mmc_wait(4.5, 1.0, 5));
    # 100,000 customers of one run land within about ±15 % of it
    _, _, mean_wait = bench.lean_mmc()
    assert mean_wait == pytest.approx(1.525, rel=0.2)


@pytest.mark.parametrize("in_system", [5, 3_000])
def test_bare_mminf_holds_the_number_it_is_asked_for(in_system):
    # at the horizon an M/M/∞ system holds Poisson(L) customers; the source adds one
    events, seconds, pending = bench.bare_mminf(in_system, customers=10_000)
    assert seconds > 0 and events > 3 * 10_000
    assert abs(pending - in_system) <= 5 * math.sqrt(in_system) + 1


def test_mean_in_system_agrees_with_a_count_at_many_instants():
    scenario = mmc(3, 0.8, horizon=400, warmup=0)
    result = sim.run(scenario, seed=3, keep_log=True)
    log = result.log.arrays()
    referred = log["time"][log["event"] == sim.results.Event.REFERRAL]
    exits = log["time"][log["event"] == sim.results.Event.EXIT]
    instants = np.linspace(0, 400, 40_001)[:-1] + 0.005
    counted = [(referred <= t).sum() - (exits <= t).sum() for t in instants]
    assert result.meta["clients"] > 300
    assert bench.mean_in_system(result, 400.0) == pytest.approx(np.mean(counted), rel=0.01)


def test_lean_mminf_runs_the_same_system_on_the_engine():
    events, seconds, pending = bench.lean_mminf(3_000, customers=10_000)
    simpy_events, _, simpy_pending = bench.bare_mminf(3_000, customers=10_000)
    assert seconds > 0
    # same draws, same customers: the same number left at the horizon, plus the source's next
    # arrival in both; a flow costs one event a hold where simpy needs a start, a timeout and
    # an end
    assert pending == simpy_pending
    assert events < simpy_events


def test_the_plain_simpy_line_compares_like_with_like():
    # make bench prints the national year on plain simpy beside the lean engine, with
    # "identical results": NaN KPIs (nobody eligible) must count as equal, other seeds not
    scenario = sim.preset("pohjois-savo-pilot").with_changes({"horizon_days": 200})
    wall, cpu, lean = bench.timed(lambda: sim.run(scenario, seed=1))
    _, _, plain = bench.timed(lambda: sim.run(scenario, seed=1, engine="simpy"))
    assert wall > 0 and cpu > 0
    assert any(math.isnan(v) for v in lean.kpis.values())
    assert bench.same_kpis(lean, plain)
    assert not bench.same_kpis(lean, sim.run(scenario, seed=2))
