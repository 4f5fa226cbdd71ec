"""The event core (:mod:`sim.engine`) checked against plain simpy as the reference.

Every ordering test runs the same program twice — once on ``simpy.Environment`` and once on
:class:`~sim.engine.Engine` (with several window widths) — records ``(now, label, ...)`` at
every resume and asserts the traces are identical, float for float. Programs are written once
against a ``hold`` function and a ``spawn`` helper, so the same generator body runs as a simpy
process (``hold = env.timeout``) or as a :class:`~sim.engine.Flow` (``hold`` returns the number).
The same flows also run on :class:`~sim.engine.SimpyEngine` (each flow a simpy process), the
model's plain-simpy reference mode. The pools are checked against hand-derived schedules and
against ``simpy.Resource`` with reneging, on both engines.
"""

from __future__ import annotations

import ast
import itertools
import math
import random
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
import simpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simpy.core import EmptySchedule

from sim.engine import Call, Engine, Flow, SimpyEngine, events_scheduled, make_engine
from sim.resources import MeetingQueue, Pool

# -- helpers -----------------------------------------------------------------------------------

WINDOWS = (1.0, 0.25, 64.0)


def _edges() -> list[float]:
    """Window edges of every tested width and the floats just either side of them."""
    out = {0.9999999999999999}
    for width in (*WINDOWS, 2.0, 0.125):
        for k in (1, 2, 3):
            edge = k * width
            out.update((edge, math.nextafter(edge, 0.0), math.nextafter(edge, math.inf)))
    return sorted(out)


EDGES = _edges()

ENGINE_FACTORIES = {
    "window=1": lambda **kw: Engine(**kw),
    "window=0.25": lambda **kw: Engine(window=0.25, **kw),
    "window=64": lambda **kw: Engine(window=64.0, **kw),
}
FLOW_FACTORIES = {**ENGINE_FACTORIES, "plain simpy": lambda **kw: SimpyEngine(**kw)}
"""Engines that run flows: the lean one and the plain-simpy reference."""
BOTH = pytest.mark.parametrize("make", [Engine, SimpyEngine], ids=["lean", "simpy"])


def make_spawn(env: simpy.Environment, mode: str) -> Callable:
    """``spawn(genfunc, *args)`` starting ``genfunc(hold, *args)`` as a process or a flow.

    ``mode`` is ``"processes"`` (simpy processes holding with ``env.timeout``), ``"flows"``
    (engine flows holding with bare numbers) or ``"mixed"`` (alternating, starting with a
    process).
    """
    counter = itertools.count()

    def spawn(genfunc: Callable, *args):
        as_flow = mode == "flows" or (mode == "mixed" and next(counter) % 2 == 1)
        if as_flow:
            return env.start(genfunc(lambda d: d, *args))
        return env.process(genfunc(env.timeout, *args))

    return spawn


def walker(hold, env, trace, label, start, delays):
    """Wait ``start`` days, then hold each delay in turn, recording every resume."""
    yield hold(start)
    trace.append((env.now, label, "start"))
    for i, delay in enumerate(delays):
        yield hold(delay)
        trace.append((env.now, label, i))


def build_walkers(env, spawn, trace, spec: Iterable[tuple[float, list[float]]]) -> None:
    for label, (start, delays) in enumerate(spec):
        spawn(walker, env, trace, label, start, delays)


BELL_GAPS = (1.0, 0.0, 2.0, 0.9999999999999999, 0.0)


def build_scripted(env, spawn, trace) -> None:
    """A fixed program: walkers on window edges, shared events and mid-run spawning."""
    bells = [env.event() for _ in BELL_GAPS]

    def bell(hold):
        for k, gap in enumerate(BELL_GAPS):
            yield hold(gap)
            trace.append((env.now, "bell", k))
            bells[k].succeed(f"ring{k}")
            trace.append((env.now, "bell", k, "rang"))

    def listener(hold, name, waits):
        for k, wait in enumerate(waits):
            value = yield bells[k]  # pending or (for the slow listener) already processed
            trace.append((env.now, name, value))
            yield hold(wait)
            trace.append((env.now, name, k, "held"))

    def spawner(hold):
        yield hold(2.0)
        trace.append((env.now, "spawner"))
        spawn(walker, env, trace, "child", 0.0, [0.0, 1.0, 0.0, 0.9999999999999999])
        spawn(listener, "late", [0.0] * len(BELL_GAPS))
        yield hold(0)
        trace.append((env.now, "spawner", "after"))

    spawn(listener, "L1", [0, 1.0, 0.5, 0.0, 300])
    spawn(bell)
    spawn(listener, "L2", [0.0, 0.0, 1.0, 0.9999999999999999, 0.0])
    spawn(listener, "slow", [5.0, 0.0, 0.0, 0.0, 0.0])
    spawn(spawner)
    build_walkers(env, spawn, trace, [
        (0.0, [1.0, 1.0, 1.0, 0.0, 365.0, 0.9999999999999999, 1e-16]),
        (0.0, [0.0, 0.0, 0.0]),
        (1.0, [0.9999999999999999, 0.0000000000000002, 1.0, 2.0, 3.0]),
        (0.9999999999999999, [1.0, 1.0, 0.25, 0.75, 63.99999999999999, 64.0]),
        (2.0, [0.1, 0.2, 0.7, 0.5, 0.5, 500.0, 250.0]),
        (3.0, [0.0, 3.0, 3.0, 3.0]),
        (0.5, [0.5, 0.5, 0.5, 999.5]),
        (0.0, [700.0, 0.0, 0.0]),
    ])


def run_trace(env, build, mode: str = "processes", until: Iterable[float | None] = (None,)):
    """Build a program on ``env``, run it (in chunks if ``until`` has several stops).

    Returns the trace with ``(now, peek, number pending)`` appended after every chunk.
    """
    trace: list[tuple] = []
    build(env, make_spawn(env, mode), trace)
    for stop in until:
        env.run(until=stop)
        trace.append(("stop", env.now, *calendar_state(env)))
    return trace


def calendar_state(env) -> tuple[float, int]:
    """``(time of the next event, number of pending events)``.

    For plain simpy this is read from its single heap, leaving out the spent ``until`` event
    that simpy 4.1 re-queues (with no callbacks left, at priority -1) when ``run`` stops.
    """
    if isinstance(env, Engine):
        return env.peek(), len(list(env.pending()))
    entries = [e for e in env._queue if not (e[1] == -1 and e[3].callbacks == [])]
    return min((e[0] for e in entries), default=math.inf), len(entries)


def walkers_builder(spec):
    return lambda env, spawn, trace: build_walkers(env, spawn, trace, spec)


# -- hypothesis strategies -------------------------------------------------------------------

delays = st.one_of(
    st.floats(0, 500, allow_nan=False, allow_infinity=False),
    st.integers(0, 500),
    st.sampled_from(EDGES),
    st.sampled_from([0.0, 0.1, 0.2, 0.5, 1.0]),
)
walker_specs = st.lists(st.tuples(delays, st.lists(delays, max_size=8)), min_size=1, max_size=10)
windows = st.sampled_from([1.0, 0.25, 64.0, 2.0, 0.125, 2.0**-10, 1024.0])
initial_times = st.sampled_from([0.0, 0.5, 7.0, 1000.25, 0.9999999999999999])
HYPO = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- 1. same order as plain simpy ------------------------------------------------------------

@pytest.mark.parametrize("factory", ENGINE_FACTORIES.values(), ids=ENGINE_FACTORIES.keys())
def test_scripted_program_matches_simpy(factory):
    reference = run_trace(simpy.Environment(), build_scripted)
    assert len(reference) > 60
    assert run_trace(factory(), build_scripted) == reference


@pytest.mark.parametrize("factory", ENGINE_FACTORIES.values(), ids=ENGINE_FACTORIES.keys())
def test_scripted_program_in_chunks_matches_simpy(factory):
    stops = (0.5, 1.0, 2.0, 2.9999999999999996, 3.0, 64.0, 400.0, None)
    reference = run_trace(simpy.Environment(), build_scripted, until=stops)
    assert run_trace(factory(), build_scripted, until=stops) == reference


@pytest.mark.parametrize("factory", ENGINE_FACTORIES.values(), ids=ENGINE_FACTORIES.keys())
def test_stepping_matches_simpy(factory):
    def stepped(env):
        trace: list[tuple] = []
        build_scripted(env, make_spawn(env, "processes"), trace)
        while env.peek() < math.inf:
            env.step()
            trace.append(("step", env.now))
        with pytest.raises(EmptySchedule):
            env.step()
        return trace

    assert stepped(factory()) == stepped(simpy.Environment())


@HYPO
@given(spec=walker_specs, window=windows, initial=initial_times)
def test_random_timeouts_match_simpy(spec, window, initial):
    build = walkers_builder(spec)
    reference = run_trace(simpy.Environment(initial), build)
    assert run_trace(Engine(initial, window=window), build) == reference


@HYPO
@given(spec=walker_specs, window=windows,
       stops=st.lists(st.floats(0.01, 800, allow_nan=False), min_size=1, max_size=4, unique=True))
def test_random_timeouts_in_chunks_match_simpy(spec, window, stops):
    """``run(until=t)`` repeatedly: same trace, ``now``, ``peek()`` and pending count."""
    until = [*sorted(stops), None]
    build = walkers_builder(spec)
    reference = run_trace(simpy.Environment(), build, until=until)
    assert run_trace(Engine(window=window), build, until=until) == reference


def test_negative_initial_time_keeps_simpy_order():
    """Windows below zero must start at multiples of the width (floor, not truncation)."""
    spec = [(3.0, []), (2.0, [1.3]), (0.25, [0.5, 2.0, 0.7])]
    build = walkers_builder(spec)
    reference = run_trace(simpy.Environment(-3.5), build)
    assert run_trace(Engine(-3.5), build) == reference


# -- 2. flows give simpy's order ---------------------------------------------------------------

@pytest.mark.parametrize("mode", ["flows", "mixed"])
@pytest.mark.parametrize("factory", FLOW_FACTORIES.values(), ids=FLOW_FACTORIES.keys())
def test_scripted_flows_match_simpy_processes(factory, mode):
    reference = run_trace(simpy.Environment(), build_scripted)
    trace = run_trace(factory(), build_scripted, mode=mode)
    # flows leave no end-of-process event behind, so only the final pending counts (0) agree
    assert trace == reference


@HYPO
@given(spec=walker_specs, window=windows, initial=initial_times,
       mode=st.sampled_from(["flows", "mixed"]))
def test_random_flows_match_simpy_processes(spec, window, initial, mode):
    build = walkers_builder(spec)
    reference = run_trace(simpy.Environment(initial), build)
    assert run_trace(Engine(initial, window=window), build, mode=mode) == reference
    assert run_trace(SimpyEngine(initial), build, mode=mode) == reference


@pytest.mark.parametrize("factory", ENGINE_FACTORIES.values(), ids=ENGINE_FACTORIES.keys())
def test_stepping_flows_one_event_at_a_time_gives_the_run(factory):
    """``step()`` is one turn of ``run()``'s loop: stepping a flow program to the end gives
    the trace of running it, one step for every calendar entry ever made."""
    ran = run_trace(factory(), build_scripted, mode="flows")
    env, trace = factory(), []
    build_scripted(env, make_spawn(env, "flows"), trace)
    steps = 0
    while env.peek() < math.inf:
        env.step()
        steps += 1
    trace.append(("stop", env.now, *calendar_state(env)))
    assert trace == ran
    assert steps == events_scheduled(env) > 60


def test_flow_yielding_simpy_timeouts_and_numbers_matches_simpy():
    def proc(env, trace, name, as_flow):
        for k, d in enumerate((1.0, 0.0, 2.5, 0.9999999999999999, 3.0)):
            yield d if (as_flow and k % 2 == 0) else env.timeout(d)
            trace.append((env.now, name, k))

    def trace_of(env, flows):
        trace: list[tuple] = []
        for name in "abc":
            if flows:
                env.start(proc(env, trace, name, True))
            else:
                env.process(proc(env, trace, name, False))
        env.run()
        return trace

    assert trace_of(Engine(), True) == trace_of(simpy.Environment(), False)


# -- 3. flows ----------------------------------------------------------------------------------

@BOTH
def test_flow_waits_for_pending_event_and_gets_its_value(make):
    env, trace = make(), []
    gate = env.event()

    def waiter():
        value = yield gate
        trace.append((env.now, "waiter", value))

    def opener():
        yield 3.5
        gate.succeed("open")
        trace.append((env.now, "opener"))

    env.start(waiter())
    env.start(opener())
    env.run()
    assert trace == [(3.5, "opener"), (3.5, "waiter", "open")]


@BOTH
def test_flow_resumes_at_once_on_processed_event(make):
    env, trace = make(), []
    done = env.timeout(1.0, value="early")

    def late():
        yield 2.0
        trace.append((env.now, "before"))
        value = yield done  # processed at t=1: continue at once with its value
        trace.append((env.now, "after", value))

    def other():
        yield 2.0
        trace.append((env.now, "other"))

    env.start(late())
    env.start(other())
    env.run()
    assert done.processed
    assert trace == [(2.0, "before"), (2.0, "after", "early"), (2.0, "other")]


@BOTH
def test_failed_event_is_raised_inside_the_flow(make):
    env, trace = make(), []
    bad = env.event()
    old_bad = env.event()
    old_bad.fail(KeyError("old"))
    old_bad.defused = True  # processed without crashing the run

    def victim():
        try:
            yield bad
        except KeyError as exc:
            trace.append((env.now, "caught", exc.args[0]))
        try:
            yield old_bad
        except KeyError as exc:
            trace.append((env.now, "caught", exc.args[0]))
        yield 1.0
        trace.append((env.now, "went on"))

    def breaker():
        yield 2.0
        bad.fail(KeyError("boom"))

    env.start(victim())
    env.start(breaker())
    env.run()
    assert trace == [(2.0, "caught", "boom"), (2.0, "caught", "old"), (3.0, "went on")]


@BOTH
def test_uncaught_failed_event_propagates_from_run(make):
    env = make()
    bad = env.event()

    def victim():
        yield bad

    def breaker():
        yield 1.0
        bad.fail(KeyError("boom"))

    env.start(victim())
    env.start(breaker())
    with pytest.raises(KeyError, match="boom"):
        env.run()


@BOTH
def test_exception_in_flow_propagates_from_run(make):
    class Oops(Exception):
        pass

    env = make()

    def crash():
        yield 4.0
        raise Oops("inside the flow")

    env.start(crash())
    with pytest.raises(Oops, match="inside the flow"):
        env.run()
    assert env.now == 4.0


def test_a_step_that_raises_leaves_the_calendar_as_it_was():
    """``step`` and a flow woken by a simpy event run the loop for one event behind a stop
    mark; when that event raises, no mark is left behind."""
    env = Engine()

    def crash(wait):
        yield wait
        raise KeyError("inside")

    env.start(crash(1.0))
    env.start(crash(env.timeout(3.0)))  # resumed by a simpy event's callback
    later = env.timeout(5.0)
    env.step()
    env.step()  # both flows started: one holds, one waits for the timeout
    with pytest.raises(KeyError):
        env.step()
    assert env.now == 1.0 and env.pending_count() == 2
    with pytest.raises(KeyError):
        env.run()
    assert env.now == 3.0 and list(env.pending()) == [later]
    env.step()
    assert later.processed and env.now == 5.0 and env.pending_count() == 0


@pytest.mark.parametrize("bad", ["soon", [1.0], object()])
def test_flow_yielding_anything_else_raises_runtime_error(bad):
    env = Engine()

    def flow():
        yield 1.0
        yield bad

    env.start(flow())
    with pytest.raises(RuntimeError, match="a flow yielded"):
        env.run()


@BOTH
def test_true_and_false_continue_at_once_without_an_event(make):
    env, trace = make(), []

    def quick():
        yield 1.5
        before = len(list(env.pending()))
        trace.append((env.now, "a", "start"))
        value = yield True
        trace.append((env.now, "a", value, len(list(env.pending())) - before))
        value = yield False
        trace.append((env.now, "a", value, len(list(env.pending())) - before))

    def neighbour():
        yield 1.5  # same time, scheduled after `quick`: must not run in between
        trace.append((env.now, "b"))

    env.start(quick())
    env.start(neighbour())
    env.run()
    assert trace == [(1.5, "a", "start"), (1.5, "a", True, 0), (1.5, "a", False, 0), (1.5, "b")]


@BOTH
def test_parked_flow_is_woken_with_value_at_wake_time(make):
    env, trace = make(), []
    parked: list = []

    def sleeper():
        yield 1.0
        trace.append((env.now, "parks"))
        parked.append(env.park())
        value = yield parked[0]
        trace.append((env.now, "woken", value))

    def waker():
        yield 4.25
        # a parked flow has no calendar entry
        assert not any(entry is parked[0] for entry in env.pending())
        env.wake(parked[0], "hello")
        trace.append((env.now, "waker"))  # the wake happens after the current step

    def bystander():
        yield 4.25  # scheduled before the wake, so (NORMAL like the wake) it goes first
        trace.append((env.now, "bystander"))

    env.start(sleeper())
    env.start(waker())
    env.start(bystander())
    env.run()
    assert trace == [(1.0, "parks"), (4.25, "waker"), (4.25, "bystander"),
                     (4.25, "woken", "hello")]


def test_hold_resumes_with_none_like_a_timeout():
    """``x = yield days`` gives None, as ``yield env.timeout(days)`` does, whatever came before."""
    def program(env, mode):
        got: list = []
        gate = env.timeout(1.0, value="gate")

        def flow(hold):
            got.append((yield gate))
            got.append((yield hold(2.0)))
            got.append((yield hold(0)))
            got.append((yield hold(500.0)))

        make_spawn(env, mode)(flow)
        env.run()
        return got

    reference = program(simpy.Environment(), "processes")
    assert reference == ["gate", None, None, None]
    assert program(Engine(), "flows") == reference
    assert program(SimpyEngine(), "flows") == reference


def test_park_outside_a_flow_raises_on_both_engines():
    with pytest.raises(RuntimeError, match="from a flow"):
        Engine().park("Pool.acquire()")
    with pytest.raises(RuntimeError, match="from a process"):
        SimpyEngine().park()


def test_engines_are_chosen_by_name():
    assert type(make_engine("lean")) is Engine and type(make_engine("simpy")) is SimpyEngine
    with pytest.raises(ValueError, match="choose one of lean, simpy"):
        make_engine("fast")


def test_the_reference_engine_steps_with_simpy_itself():
    """The plain-simpy mode overrides none of simpy's calendar or stepping."""
    for name in ("step", "run", "schedule", "peek", "now", "process", "timeout"):
        assert getattr(SimpyEngine, name) is getattr(simpy.Environment, name), name


def test_the_model_uses_only_the_engines_public_interface():
    """No module but the engine reaches into an object's private attributes, so journeys,
    pools and the model work on either engine through ``now``, ``start``, ``park``, ``wake``,
    ``call_later`` and the like (``self._x`` on one's own object is fine)."""
    sim_dir = Path(__file__).parents[1] / "sim"
    bad = []
    for name in ("journeys.py", "model.py", "resources.py", "results.py", "streams.py"):
        tree = ast.parse((sim_dir / name).read_text(encoding="utf-8"))
        bad += [f"{name}:{node.lineno} .{node.attr}" for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id == "self")]
    assert not bad, bad


def test_active_process_is_the_running_flow():
    env, seen = Engine(), []
    flows: list[Flow] = []

    def flow():
        seen.append(env.active_process)
        yield 1.0
        seen.append(env.active_process)
        yield env.timeout(1.0)
        seen.append(env.active_process)

    flows.append(env.start(flow()))
    assert env.active_process is None
    env.run()
    assert seen == [flows[0]] * 3
    assert env.active_process is None


# -- 4. calendar edge cases ------------------------------------------------------------------

@pytest.mark.parametrize("window", [1.0, 0.25, 64.0])
def test_run_until_time_stops_there_and_leaves_later_events(window):
    env = Engine(window=window)
    events = [env.timeout(d) for d in (300.0, 1.0, 7.0, 2.5, 2.5)]
    assert env.run(until=2.5) is None
    assert env.now == 2.5
    assert {id(e) for e in env.pending()} == {id(e) for e in events if not e.processed}
    assert [e.processed for e in events] == [False, True, False, False, False]  # 2.5 is NORMAL
    assert env.peek() == 2.5
    env.run(until=10)
    assert env.now == 10
    assert len(list(env.pending())) == 1 and env.peek() == 300.0
    env.run()
    assert env.now == 300.0 and all(e.processed for e in events)
    assert list(env.pending()) == [] and env.peek() == math.inf
    with pytest.raises(ValueError, match="greater than the current time"):
        env.run(until=300.0)


def test_run_until_a_later_empty_window():
    env = Engine()
    env.timeout(5000.0)
    env.run(until=1234.5)
    assert env.now == 1234.5 and env.peek() == 5000.0
    env.run(until=4999.0)
    assert env.now == 4999.0
    env.run()
    assert env.now == 5000.0


def test_events_at_infinity_stay_pending_forever():
    env, trace = Engine(), []
    forever_timeout = env.timeout(math.inf)
    forever_event = env.event()
    env.schedule(forever_event, delay=math.inf)

    def flow():
        yield 2.0
        trace.append((env.now, "before"))
        yield math.inf
        trace.append((env.now, "never"))

    handle = env.start(flow())
    env.timeout(3.0)
    assert env.run() is None
    assert env.now == 3.0
    assert trace == [(2.0, "before")]
    pending = list(env.pending())
    assert len(pending) == 3
    assert any(p is forever_timeout for p in pending)
    assert any(p is forever_event for p in pending)
    assert any(p is handle for p in pending)
    assert not forever_timeout.processed and not forever_event.processed
    assert env.peek() == math.inf


@pytest.mark.parametrize("bad", [-1.0, -1e-9, -1, math.nan])
def test_scheduling_before_now_or_at_nan_raises(bad):
    env = Engine()
    env.run(until=5.0)
    expected = "nan" if math.isnan(bad) else "before now"
    with pytest.raises(ValueError, match=expected):
        env.schedule(env.event(), delay=bad)
    with pytest.raises(ValueError):
        env.timeout(bad)
    assert list(env.pending()) == []


@pytest.mark.parametrize("bad", [-1.0, -1e-9, -1, math.nan, -math.inf])
def test_flow_holding_a_negative_or_nan_delay_raises(bad):
    env, trace = Engine(), []

    def flow():
        yield 5.0
        yield bad
        trace.append(env.now)

    env.start(flow())
    with pytest.raises(ValueError):
        env.run()
    assert trace == [] and env.now == 5.0


@pytest.mark.parametrize("window", [0.3, 3.0, 0, 0.0, -1, -1.0, -0.25, math.inf, math.nan, 6.0, 0.1])
def test_window_must_be_a_power_of_two(window):
    with pytest.raises(ValueError, match="power of two"):
        Engine(window=window)


@pytest.mark.parametrize("window", [1.0, 0.25, 64.0, 2.0**-10, 1024.0, 2, 1])
def test_power_of_two_windows_are_accepted(window):
    env = Engine(window=window)
    env.timeout(3.0)
    env.run()
    assert env.now == 3.0


def _callbacks_program(env, delays, book):
    """Walkers plus booked calls: ``book(env, delay, label, trace)`` books one call."""
    trace: list = []

    def walker(label):
        for delay in delays[::-1]:
            yield env.timeout(delay)
            trace.append((env.now, "walk", label))

    for i, delay in enumerate(delays):
        book(env, delay, i, trace)
        env.process(walker(i))
    env.run()
    return trace


def _book_timeout(env, delay, label, trace):
    env.timeout(delay).callbacks.append(lambda _e: trace.append((env.now, "call", label)))


def _book_call(env, delay, label, trace):
    call = env.call_later(delay, lambda x: trace.append((env.now, "call", x)), label)
    assert isinstance(call, Call)


@HYPO
@given(delays=st.lists(st.one_of(st.sampled_from(EDGES), st.floats(0, 500, allow_nan=False),
                                 st.integers(0, 5)), min_size=1, max_size=12),
       window=windows)
def test_call_later_fires_where_a_timeout_callback_would(delays, window):
    """A booked call is ordered exactly like a simpy timeout made at the same moment."""
    reference = _callbacks_program(simpy.Environment(), delays, _book_timeout)
    assert _callbacks_program(Engine(window=window), delays, _book_call) == reference


def test_booked_calls_are_pending_until_fired_and_cleared_with_the_rest():
    env = Engine()
    fired = []
    env.call_later(3.0, fired.append, "a")
    env.call_later(500.0, fired.append, "b")
    assert sum(isinstance(e, Call) for e in env.pending()) == 2 == env.pending_count()
    env.run(until=10.0)
    assert fired == ["a"] and env.pending_count() == 1
    env.clear()
    env.run()
    assert fired == ["a"] and env.pending_count() == 0


def test_clear_empties_every_tier():
    env = Engine(window=0.25)
    near = env.timeout(0.1)
    far = env.timeout(1000.0)
    never = env.timeout(math.inf)

    def flow():
        yield 50.0

    env.start(flow())
    env.run(until=0.05)
    assert len(list(env.pending())) == 4
    env.clear()
    assert list(env.pending()) == []
    assert env.peek() == math.inf
    assert near.callbacks is None and far.callbacks is None and never.callbacks is None
    assert env.run() is None and env.now == 0.05
    later = env.timeout(2.0, value="fresh")
    assert env.run(until=later) == "fresh" and env.now == 0.05 + 2.0


@pytest.mark.parametrize("window", [1.0, 0.25, 64.0])
def test_events_far_apart_are_processed_in_order(window):
    spec = [
        (0.5, [2999.75, 0.0, 4000.0, 1e5, 0.25]),
        (3000.25, [0.0, 7000.0, 1e6]),
        (10000.0, [0.0]),
        (3000.0, [0.0, 0.25, 64.0]),
        (1e6 + 0.5, []),
    ]
    build = walkers_builder(spec)
    reference = run_trace(simpy.Environment(), build)
    trace = run_trace(Engine(window=window), build)
    assert trace == reference
    times = [entry[0] for entry in trace if entry[0] != "stop"]
    assert times == sorted(times) and times[-1] == 1010000.25


def test_run_until_event_returns_its_value():
    env = Engine()
    done = env.timeout(7.0, value="done")
    env.timeout(9.0)
    assert env.run(until=done) == "done"
    assert env.now == 7.0 and env.peek() == 9.0
    assert env.run(until=done) == "done"  # already processed: returned at once
    assert env.now == 7.0

    failing = env.event()
    env.timeout(1.0).callbacks.append(lambda _e: failing.fail(LookupError("nope")))
    with pytest.raises(LookupError, match="nope"):
        env.run(until=failing)

    never = env.event()
    with pytest.raises(RuntimeError, match="until"):
        env.run(until=never)


@pytest.mark.parametrize("mode", ["processes", "flows"])
def test_waiters_added_to_the_until_event_during_the_run_still_resume(mode):
    """simpy 4.1 keeps the until event's later callbacks and runs them on the next run()."""
    def program(env, mode):
        trace: list[tuple] = []
        done = env.event()
        spawn = make_spawn(env, mode)

        def opener(hold):
            yield hold(1.0)
            done.succeed("x")

        def waiter(hold):
            yield hold(0.5)
            value = yield done  # registered after run(until=done) began
            trace.append((env.now, "waiter", value))

        spawn(opener)
        spawn(waiter)
        first = env.run(until=done)
        env.run()
        return first, env.now, trace

    reference = program(simpy.Environment(), "processes")
    assert reference == ("x", 1.0, [(1.0, "waiter", "x")])
    assert program(Engine(), mode) == reference


def test_run_until_event_of_a_flow_program_matches_simpy():
    def program(env, mode):
        trace: list[tuple] = []
        finish = env.event()
        spawn = make_spawn(env, mode)

        def closer(hold):
            yield hold(640.0)
            finish.succeed(env.now)

        build_walkers(env, spawn, trace, [(0.0, [320.0, 320.0, 1.0]), (640.0, [0.0])])
        spawn(closer)
        return env.run(until=finish), env.now, trace

    assert program(Engine(), "flows") == program(simpy.Environment(), "processes")


# -- 5. pools ----------------------------------------------------------------------------------

def _pool_program(env, pool, customers):
    """Flows (name, arrive, hold, patience): acquire, hold, release; return the outcomes."""
    outcomes: dict[str, tuple[bool, float]] = {}
    busy_seen: list[int] = []

    def customer(name, arrive, hold, patience):
        yield arrive
        granted = yield pool.acquire(patience)
        outcomes[name] = (granted, env.now)
        busy_seen.append(pool.busy)
        if granted:
            yield hold
            pool.release()
            busy_seen.append(pool.busy)

    for c in customers:
        env.start(customer(*c))
    env.run()
    return outcomes, busy_seen


@BOTH
def test_pool_grants_in_order_and_reneges(make):
    env = make()
    pool = Pool(env, 2)
    outcomes, busy_seen = _pool_program(env, pool, [
        ("A", 0.0, 10.0, math.inf),  # granted at once, frees at 10
        ("B", 1.0, 5.0, math.inf),   # granted at once, frees at 6
        ("C", 2.0, 4.0, 3.0),        # queued; patience ends at 5 before any slot frees
        ("D", 3.0, 2.0, 10.0),       # gets B's slot at 6, frees at 8
        ("E", 4.0, 1.0, math.inf),   # gets D's slot at 8, frees at 9
    ])
    assert outcomes == {"A": (True, 0.0), "B": (True, 1.0), "C": (False, 5.0),
                        "D": (True, 6.0), "E": (True, 8.0)}
    assert max(busy_seen) == 2 and pool.peak_busy == 2
    assert pool.busy == 0 and pool.waiting == 0


@BOTH
def test_pool_release_scheduled_first_beats_patience_at_same_instant(make):
    env = make()
    pool = Pool(env, 1)
    outcomes, _ = _pool_program(env, pool, [
        ("A", 0.0, 6.0, math.inf),  # hold scheduled at t=0, frees at 6
        ("B", 2.0, 1.0, 4.0),       # patience (scheduled at t=2) also ends at 6: A's release wins
        ("C", 3.0, 1.0, 3.0),       # patience ends at 6 too, behind B
    ])
    assert outcomes == {"A": (True, 0.0), "B": (True, 6.0), "C": (False, 6.0)}


def _simpy_resource_reference(capacity, customers):
    """The same customers on a plain ``simpy.Resource`` with ``request | timeout`` reneging."""
    env = simpy.Environment()
    res = simpy.Resource(env, capacity)
    outcomes: dict[str, tuple[bool, float]] = {}

    def customer(name, arrive, hold, patience):
        yield env.timeout(arrive)
        req = res.request()
        if patience == math.inf:
            yield req
        else:
            yield req | env.timeout(patience)
        if req.triggered:
            outcomes[name] = (True, env.now)
            yield env.timeout(hold)
            res.release(req)
        else:
            req.cancel()
            outcomes[name] = (False, env.now)

    for c in customers:
        env.process(customer(*c))
    env.run()
    return outcomes


@BOTH
@pytest.mark.parametrize("seed", range(8))
def test_pool_matches_simpy_resource_with_reneging(seed, make):
    rng = random.Random(seed)
    capacity = rng.choice([1, 2, 3])
    customers = [(f"c{i}", rng.uniform(0, 60), rng.uniform(0.5, 20),
                  math.inf if rng.random() < 0.3 else rng.uniform(0.1, 15)) for i in range(60)]
    env = make()
    pool = Pool(env, capacity)
    outcomes, busy_seen = _pool_program(env, pool, customers)
    assert outcomes == _simpy_resource_reference(capacity, customers)
    assert max(busy_seen) <= capacity and pool.peak_busy <= capacity
    assert any(not granted for granted, _ in outcomes.values())  # the test exercises reneging


def test_pool_acquire_outside_a_flow_raises():
    env = Engine()
    pool = Pool(env, 1)

    def holder():
        yield pool.acquire()
        yield 10.0

    env.start(holder())
    env.run(until=1.0)
    assert pool.busy == 1
    with pytest.raises(RuntimeError, match="from a flow"):
        pool.acquire(5.0)

    def simpy_process():
        yield env.timeout(1.0)
        pool.acquire(5.0)

    env.process(simpy_process())
    with pytest.raises(RuntimeError, match="from a flow"):
        env.run()


@BOTH
def test_meeting_queue_decides_in_arrival_order_up_to_its_limit(make):
    env = make()
    team = MeetingQueue(env, enabled=True, interval_days=7.0, first_day=0.0, per_meeting=2)
    decided = []

    def client(name, arrive):
        yield arrive
        granted = yield team.wait_for_decision()
        decided.append((env.now, name, granted))

    for i, arrive in enumerate([0.5, 1.0, 1.0, 3.0, 8.0]):
        env.start(client(f"c{i}", arrive))
    env.run(until=30.0)
    assert decided == [(7.0, "c0", True), (7.0, "c1", True), (14.0, "c2", True),
                       (14.0, "c3", True), (21.0, "c4", True)]
    assert team.waiting == 0
    assert MeetingQueue(env, enabled=False, interval_days=7.0, first_day=0.0,
                        per_meeting=None).wait_for_decision() is True


# -- 6. scale ----------------------------------------------------------------------------------

def test_twenty_thousand_flows_match_simpy_processes():
    rng = random.Random(20_000)

    def draw() -> float:
        if rng.random() < 0.5:
            return round(rng.uniform(0, 1000) * 4) / 4  # quarter days: many ties
        return rng.uniform(0, 1000)

    spec = [(rng.uniform(0, 30), [draw(), draw(), draw()]) for _ in range(20_000)]
    build = walkers_builder(spec)
    reference = run_trace(simpy.Environment(), build)
    trace = run_trace(Engine(), build, mode="flows")
    assert len(trace) == 20_000 * 4 + 1
    assert trace == reference
