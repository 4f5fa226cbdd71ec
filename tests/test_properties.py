"""Property tests over small random scenarios: conservation and non-negative times."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim import Scenario
from sim.journeys import Picker
from sim.results import Event

shares = st.lists(st.integers(0, 5), min_size=6, max_size=6).filter(lambda xs: sum(xs) > 0)


@st.composite
def scenarios(draw):
    route = draw(shares)
    total = sum(route)
    names = ("ips", "stepwise", "vocational", "education", "pension", "other")
    return Scenario.from_dict({
        "name": "prop",
        "horizon_days": draw(st.floats(30, 900)),
        "arrivals": {"sources": {"a": draw(st.floats(0, 400))}, "profiles": {"p": 1.0}},
        "assessment": {"coordinators": draw(st.floats(0.5, 5)),
                       "active_cases_per_coordinator": draw(st.integers(1, 6)),
                       "duration": {"dist": draw(st.sampled_from(["exponential", "deterministic"])),
                                    "mean": draw(st.floats(0.5, 40))},
                       "dropout_per_year_waiting": draw(st.floats(0, 3))},
        "team": {"enabled": draw(st.booleans()), "meeting_interval_days": draw(st.floats(1, 30)),
                 "cases_per_meeting": draw(st.one_of(st.none(), st.integers(1, 20)))},
        "routing": {"p": {n: r / total for n, r in zip(names, route)}},
        "ips": {"coaches": draw(st.floats(0, 4)), "caseload_per_coach": draw(st.integers(1, 25)),
                "discharge_after_unemployed_days": draw(st.one_of(st.none(), st.floats(30, 600)))},
        "stepwise": {"places": draw(st.one_of(st.none(), st.integers(0, 30))), "max_periods": 2},
        "initial": {"ips_in_service": draw(st.integers(0, 10)), "ips_waiting": draw(st.integers(0, 5)),
                    "stepwise_in_service": draw(st.integers(0, 5)),
                    "assessment_waiting": draw(st.integers(0, 5))},
    })


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**31))
def test_conservation_and_non_negative_times(scenario, seed):
    r = sim.run(scenario, seed=seed, keep_log=True)
    assert r.meta["clients"] == sum(r.meta["exits_all"].values()) + r.meta["in_system_at_end"]
    a = r.log.arrays()
    assert np.all(a["time"] >= 0) and np.all(a["time"] <= scenario.horizon_days)
    assert np.all(np.diff(a["time"]) >= 0)  # the log is written in time order
    for key, value in r.kpis.items():
        if key.endswith((".mean", ".p90")) and not np.isnan(value):
            assert value >= 0, key
    assert r.meta["peak"]["ips_caseload"] <= scenario.ips.slots
    exits = np.count_nonzero(a["event"] == Event.EXIT)
    assert exits == sum(r.meta["exits_all"].values())


def _pick_by_walking(u: float, shares: list[float]) -> int:
    """The routing rule written out: the first option whose running total exceeds u."""
    total = 0.0
    for i, share in enumerate(shares):
        total += share
        if u < total:
            return i
    return max(i for i, share in enumerate(shares) if share > 0)


@settings(max_examples=300, deadline=None)
@given(weights=shares, u=st.floats(0, 1, exclude_max=True),
       edge=st.integers(0, 5))
def test_picker_gives_each_option_its_slice(weights, u, edge):
    """Picker (bisection over running totals) agrees with walking the shares, also exactly
    on the slices' edges and beyond a total that rounds below 1."""
    shares_ = [w / sum(weights) for w in weights]
    pick = Picker(tuple(shares_))
    running = list(np.cumsum(shares_))
    for x in (u, float(running[edge]), 1.0, float(np.nextafter(running[edge], 0))):
        assert pick(x) == _pick_by_walking(x, shares_)
        assert shares_[pick(x)] > 0
