"""The plain-simpy reference mode gives the lean engine's results, value for value.

``sim.run(scenario, seed, engine="simpy")`` runs the same journeys as simpy processes on
simpy's own calendar (:class:`sim.engine.SimpyEngine`): a process per client, ``env.timeout``
for holds, simpy events for parking and waking. Every shipped preset and a few busy variants
run on both engines with the same seed; the KPIs, the weekly series, the event log and the
meta record (all but the wall time and the count of engine events, which differ by design)
must be identical. The national preset is cut to 30 days; its 57,500 pre-loaded clients all
still start.
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy

import sim
from sim import Scenario
from sim.engine import Engine, SimpyEngine
from sim.model import Model

SHORT = {"national": 30}
"""Presets run over a shorter horizon (days) to keep the test fast."""
ENGINE_SPECIFIC = ("wall_seconds", "engine_events")


def assert_same_run(lean: sim.RunResult, plain: sim.RunResult) -> None:
    assert lean.kpis.keys() == plain.kpis.keys()
    for name, value in lean.kpis.items():
        np.testing.assert_equal(plain.kpis[name], value, err_msg=name)
    assert lean.series.keys() == plain.series.keys()
    for name, values in lean.series.items():
        np.testing.assert_array_equal(plain.series[name], values, err_msg=name)
    assert {k: v for k, v in plain.meta.items() if k not in ENGINE_SPECIFIC} == \
        {k: v for k, v in lean.meta.items() if k not in ENGINE_SPECIFIC}
    for column in ("client", "time", "event", "detail"):
        assert getattr(plain.log, column) == getattr(lean.log, column), column


def both(scenario: Scenario, seed: int, replication: int = 0):
    return tuple(sim.run(scenario, seed, replication, keep_log=True, engine=engine)
                 for engine in ("lean", "simpy"))


@pytest.mark.parametrize("name", sim.list_presets())
def test_every_preset_gives_identical_results_on_plain_simpy(name):
    scenario = sim.preset(name)
    if name in SHORT:
        scenario = scenario.with_changes({"horizon_days": SHORT[name]})
    lean, plain = both(scenario, seed=1)
    assert lean.meta["clients"] > 300 and len(lean.log) > 1000
    assert_same_run(lean, plain)
    # simpy also schedules each process's start and end: more events, the same run
    assert plain.meta["engine_events"] > lean.meta["engine_events"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_busy_variants_give_identical_results(small_dict, seed):
    """Queues with reneging, full team agendas, referral on to IPS (later draws), a
    warm-up and seasonality: every branch of the journeys, on both engines."""
    small_dict["warmup_days"] = 200
    small_dict["arrivals"]["seasonality"] = [1.5] * 6 + [0.5] * 6
    small_dict["stepwise"]["onward"] = {"open_market": 0.1, "refer_ips": 0.4, "repeat": 0.3,
                                        "education": 0.1, "pension": 0.05, "other": 0.05}
    small_dict["ips"]["discharge_after_unemployed_days"] = 200
    lean, plain = both(Scenario.from_dict(small_dict), seed, replication=seed - 1)
    kpis = lean.kpis
    assert kpis["ips_waiting_mean"] > 0 and kpis["exit_dropout"] > 0
    assert kpis["exit_dropout.stepwise"] + kpis["exit_employed.stepwise"] > 0
    assert_same_run(lean, plain)


def test_the_reference_mode_runs_on_simpy_processes():
    scenario = sim.preset("pohjois-savo-pilot")
    lean = Model(scenario, 1, 0, False)
    plain = Model(scenario, 1, 0, False, engine="simpy")
    assert type(lean.env) is Engine
    assert type(plain.env) is SimpyEngine and isinstance(plain.env, simpy.Environment)
    started = []
    start = plain.env.start
    plain.env.start = lambda generator: started.append(start(generator)) or started[-1]
    result = plain.run()
    assert len(started) > result.meta["clients"] > 300  # the clients, sources, sampler
    assert all(type(process) is simpy.Process for process in started)
    with pytest.raises(ValueError, match="choose one of lean, simpy"):
        sim.run(scenario, engine="plain")
