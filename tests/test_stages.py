"""The seam for a new pathway stage (sim/README.md, "Adding a stage").

A toy stage — a work trial of fixed length, then an open-market job for a share of clients —
is added here through exactly the four places the README names: its parameter block, its
generator, ``register_stage(Stage(...))`` and the scenario's routing. Nothing in ``sim/``
changes for it. The tests check its behaviour against the log and against an independent
regeneration of its named stream, that counts add up beside the built-in stages, that it runs
alike on plain simpy, and that taking the registration out restores the original results.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import deterministic_dict

import sim
from sim import Scenario
from sim.journeys import STAGES, X_EMPLOYED, X_OTHER, Stage, register_stage, unregister_stage
from sim.report import run_record, stress_report
from sim.resources import Level
from sim.results import KPIS, Event, known_kpis
from sim.scenario import EXITS, PATHWAYS
from sim.streams import Streams

BUILT_IN = ("ips", "stepwise", "vocational", "education", "pension", "other")


# -- the toy stage, through the README's four places -------------------------------------------

@dataclass(frozen=True)
class WorkTrial:
    """1. The parameter block."""

    days: float = 45.0
    employment_share: float = 0.4


def work_trial(m, c, p, entry):
    """2. The generator: a fixed-length trial, then a job for a share of clients."""
    m.in_trial.add(1)
    yield p.days
    m.in_trial.add(-1)
    if c.trial_u < p.employment_share:
        m.log((c.id, m.env.now, Event.JOB_START, 0))
        return m.exit(c, X_EMPLOYED)
    return m.exit(c, X_OTHER)


TRIAL = WorkTrial()
TOY = Stage(  # 3. the registration (made by the fixture)
    "work_trial", run=work_trial, params=lambda s: TRIAL, title="a work trial",
    draws={"trial_u": ("work_trial.outcome", None)},
    resources=lambda env, p: {"in_trial": Level(env)},
    series={"work_trial_in_service": "in_trial.value"})


@pytest.fixture
def toy():
    register_stage(TOY)
    try:
        yield TOY
    finally:
        unregister_stage(TOY.name)


def trial_scenario(share: float = 0.5) -> Scenario:
    """4. The routing: fixed 10-day assessments, then the trial or a direct exit."""
    d = deterministic_dict("other")
    d["arrivals"]["sources"]["all"] = 300
    d["routing"] = {"all": {"work_trial": share, "other": 1 - share}}
    return Scenario.from_dict(d)


def _rows(result, code: int) -> dict[int, tuple[float, int]]:
    """client -> (time, detail) of its first event ``code``."""
    log = result.log.arrays()
    out: dict[int, tuple[float, int]] = {}
    for c, t, e, d in zip(log["client"], log["time"], log["event"], log["detail"]):
        if e == code and c not in out:
            out[int(c)] = (float(t), int(d))
    return out


def _same(a: dict, b: dict) -> bool:
    """Equal numbers, NaN equal to NaN."""
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k]))
        for k in a)


# -- the seam ----------------------------------------------------------------------------------

def test_a_registered_stage_becomes_a_decision_with_its_kpis(toy):
    assert tuple(PATHWAYS) == (*BUILT_IN, "work_trial")
    assert KPIS["routed_work_trial_share"][0] == "share"
    assert "exit_employed.work_trial" in known_kpis()
    assert "work_trial_employed_within_365d_share" not in KPIS  # no start event declared
    for x in (*EXITS, "in_service"):
        assert "work_trial" in KPIS[f"exit_{x}"][1]


def test_every_client_routed_to_the_trial_leaves_after_exactly_its_days(toy):
    s = trial_scenario()
    r = sim.run(s, seed=4, keep_log=True)
    code = PATHWAYS.index("work_trial")
    decided = {c: t for c, (t, d) in _rows(r, Event.DECISION).items() if d == code}
    exits = _rows(r, Event.EXIT)
    assert len(decided) > 400
    finished = {c for c, t in decided.items() if t + TRIAL.days < s.horizon_days}
    assert finished and len(finished) < len(decided)  # some are still in the trial at the end
    assert {c for c in decided if c in exits} == finished
    for c in finished:
        assert exits[c][0] == decided[c] + TRIAL.days
    # the outcome follows the client's own draw: the n-th value of the named stream
    stream = Streams(4, 0).get("work_trial.outcome")
    u = [stream() for _ in range(r.meta["clients"])]
    employed = {c for c in finished if exits[c][1] == X_EMPLOYED}
    assert employed == {c for c in finished if u[c] < TRIAL.employment_share}
    assert {exits[c][1] for c in finished} == {X_EMPLOYED, X_OTHER}
    jobs = _rows(r, Event.JOB_START)
    assert set(jobs) == employed and all(jobs[c][0] == exits[c][0] for c in employed)


def test_the_trial_series_counts_the_clients_in_it(toy):
    s = trial_scenario()
    r = sim.run(s, seed=2, keep_log=True)
    code = PATHWAYS.index("work_trial")
    starts = np.array([t for t, d in _rows(r, Event.DECISION).values() if d == code])
    days, level = r.series["day"], r.series["work_trial_in_service"]
    counted = [np.sum((starts <= t) & (t < starts + TRIAL.days)) for t in days]
    assert level.max() > 10
    assert list(level) == counted


def test_counts_add_up_with_the_trial_beside_the_built_in_stages(toy, small_dict):
    small_dict["routing"]["mh"] = {"ips": 0.4, "stepwise": 0.2, "vocational": 0.1,
                                   "work_trial": 0.2, "other": 0.1}
    small_dict["initial"] = {}
    r = sim.run(Scenario.from_dict(small_dict), seed=3, keep_log=True)
    assert r.meta["clients"] == sum(r.meta["exits_all"].values()) + r.meta["in_system_at_end"]
    decided = np.count_nonzero(r.log.arrays()["event"] == Event.DECISION)
    for p in ("ips", "stepwise", "vocational", "work_trial"):
        total = sum(r.kpis[f"exit_{x}.{p}"] for x in (*EXITS, "in_service"))
        assert total == pytest.approx(r.kpis[f"routed_{p}_share"] * decided)
    assert r.kpis["routed_work_trial_share"] > 0.05
    assert r.kpis["exit_employed.work_trial"] > 0 and r.kpis["exit_other.work_trial"] > 0
    for x in ("education", "pension", "dropout"):  # the trial has no other way out
        assert r.kpis[f"exit_{x}.work_trial"] == 0
    assert "work_trial.outcome" in r.meta["stream_map"]


def test_the_trial_runs_alike_on_plain_simpy(toy, small_dict):
    small_dict["routing"]["ltu"] = {"ips": 0.2, "stepwise": 0.3, "work_trial": 0.3,
                                    "pension": 0.1, "education": 0.1}
    s = Scenario.from_dict(small_dict)
    lean, plain = sim.run(s, seed=6, keep_log=True), sim.run(s, seed=6, keep_log=True,
                                                              engine="simpy")
    assert lean.kpis["routed_work_trial_share"] > 0
    assert _same(lean.kpis, plain.kpis)
    for col in ("client", "time", "event", "detail"):
        assert getattr(lean.log, col) == getattr(plain.log, col)


def test_removing_the_registration_restores_the_original_results(small_dict):
    s = Scenario.from_dict(small_dict)
    before = sim.run(s, seed=9)
    kpis_before = dict(KPIS)
    register_stage(TOY)
    try:
        unrouted = sim.run(s.with_changes({}), seed=9)  # the trial exists, nobody goes there
        routed = sim.run(s.with_changes({"routing.ltu.work_trial": 0.2,
                                         "routing.ltu.ips": 0.1}), seed=9)
    finally:
        unregister_stage(TOY.name)
    after = sim.run(s, seed=9)
    # the trial's draws come from its own streams: everyone else meets the same luck
    assert unrouted.kpis["routed_work_trial_share"] == 0
    assert _same({k: unrouted.kpis[k] for k in before.kpis}, before.kpis)
    assert all(np.array_equal(unrouted.series[k], v) for k, v in before.series.items())
    assert routed.kpis["routed_work_trial_share"] > 0
    assert routed.kpis["exit_employed"] != before.kpis["exit_employed"]
    # and without it, the original run, its KPI table and its pathways come back
    assert tuple(PATHWAYS) == BUILT_IN and tuple(STAGES) == BUILT_IN and kpis_before == KPIS
    assert _same(after.kpis, before.kpis)
    assert after.series.keys() == before.series.keys()
    assert all(np.array_equal(after.series[k], v) for k, v in before.series.items())
    drop = ("wall_seconds",)
    assert {k: v for k, v in after.meta.items() if k not in drop} == \
        {k: v for k, v in before.meta.items() if k not in drop}
    with pytest.raises(sim.ScenarioError, match="routing.ltu.work_trial: unknown field"):
        s.with_changes({"routing.ltu.work_trial": 0.2, "routing.ltu.ips": 0.1})


def test_registration_refuses_clashes_and_keeps_the_built_in_stages():
    with pytest.raises(ValueError, match="pathway 'ips'"):
        register_stage(Stage("ips", exit="other"))
    with pytest.raises(ValueError, match="search_days"):
        register_stage(Stage("trial2", run=work_trial, draws={"search_days": ("x", None)}))
    with pytest.raises(ValueError, match="ips_waiting"):
        register_stage(Stage("trial3", run=work_trial, series={"ips_waiting": "in_work.value"}))
    with pytest.raises(ValueError, match="built in"):
        unregister_stage("vocational")
    with pytest.raises(ValueError, match="either run"):
        Stage("both", run=work_trial, exit="other")
    with pytest.raises(ValueError, match="not one of"):
        Stage("gone", exit="emigrated")
    assert tuple(PATHWAYS) == BUILT_IN and tuple(STAGES) == BUILT_IN


def test_the_readme_example_runs():
    text = (Path(sim.__file__).parent / "README.md").read_text(encoding="utf-8")
    code = re.search(r"## Adding a stage.*?```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {"print": lambda *args: None}
    try:
        exec(compile(code, "sim/README.md", "exec"), namespace)
        result = namespace["result"]
        assert 0.02 < result.kpis["routed_work_trial_share"] < 0.1
        assert result.kpis["exit_employed.work_trial"] > 0
    finally:
        if "work_trial" in STAGES:
            unregister_stage("work_trial")


# -- the report's definitions ----------------------------------------------------------------

def _kpi_table(reps) -> dict[str, str]:
    report = stress_report(reps, run_record(reps))
    return dict(re.findall(r"^\| `([^`]+)` \| [^|]* \| (.*) \|$", report, re.M))


@pytest.mark.parametrize("with_toy", [False, True], ids=["built-in", "with a toy stage"])
def test_report_definitions_are_filled_in_and_name_their_exit(small_dict, with_toy, request):
    if with_toy:
        request.getfixturevalue("toy")
    reps = sim.replicate(Scenario.from_dict(small_dict).with_changes({"horizon_days": 120}), 1)
    table = _kpi_table(reps)
    assert set(KPIS) <= set(table)
    assert not [k for k, d in table.items() if "{" in d or "}" in d]
    services = ["ips", "stepwise", "vocational"] + (["work_trial"] if with_toy else [])
    for x in (*EXITS, "in_service"):
        definition = table[f"exit_{x}"]
        assert f"'{x}'" in definition and f"exit_{x}.PATHWAY" in definition
        assert f"(one of {', '.join(services)})" in definition
    assert ("a work trial" in stress_report(reps, run_record(reps))) is with_toy
