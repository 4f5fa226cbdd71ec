"""Speed and memory of the pathway model, as ratios against references run in this process.

    python benchmarks/bench_sim.py            (or: make bench)

Prints: engine events per CPU second of the full model against a bare simpy M/M/c loop
(target ratio ≥ 0.7; each model run is paired with reference runs just before and after it,
and the median and range of the paired ratios are shown); seconds and peak traced memory per
replication for the county and national presets (targets < 0.3 s per county-year, < 10 s per
national-year, < 1 GB), and the national year again on plain simpy processes
(``sim.run(..., engine="simpy")``, the reference mode, identical results); and the speed-up
of a sweep on 2 processes against 1 (target ≥ 1.8×).

An engine event is one entry in the event calendar (simpy's event-id counter counts them
in both engines: ``sim.engine.events_scheduled``). For context it also runs

* the same M/M/c loop on the model's own engine (sim.engine: flows and a Pool), which shows
  what the engine costs apart from the model;
* the simplest simpy loop (M/M/∞, one timeout a customer) with 5 customers in the system and
  with as many as the national run holds on average, which shows what scale alone costs
  simpy per event; the same loop on sim.engine at that scale; and the national model's ratio
  against the simpy loop at the same scale.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
import tracemalloc

import numpy as np
import simpy

import sim
from sim.engine import Engine, SimpyEngine, events_scheduled
from sim.resources import Pool
from sim.results import Event


def bare_mmc(customers: int = 100_000, servers: int = 5, lam: float = 4.5, seed: int = 1):
    """The reference: the simplest simpy M/M/c loop (a ``simpy.Resource``, one process a
    customer), stdlib random streams; its mean wait is Erlang C's (``sim/stats.py``)."""
    env = simpy.Environment()
    desk = simpy.Resource(env, servers)
    arrivals, services = random.Random(seed), random.Random(seed + 1)
    waits = []

    def customer(env):
        t = env.now
        with desk.request() as req:
            yield req
            waits.append(env.now - t)
            yield env.timeout(services.expovariate(1.0))

    def source(env):
        for _ in range(customers):
            yield env.timeout(arrivals.expovariate(lam))
            env.process(customer(env))

    env.process(source(env))
    first = events_scheduled(env)
    started = time.process_time()
    env.run(until=1e11)
    seconds = time.process_time() - started
    return events_scheduled(env) - first, seconds


def bare_mminf(in_system: int, customers: int = 100_000, lam: float = 4.5, seed: int = 1):
    """The simplest simpy loop at a given scale: M/M/∞ with ``in_system`` customers in the
    system on average, each a process holding one exponential timeout.

    It starts with ``in_system`` customers in service (about its steady state; service is
    memoryless) and runs until ``customers`` more have arrived, so the number of live
    processes and pending events stays near ``in_system`` throughout. Returns (engine events,
    CPU seconds, timeouts pending at the horizon: the customers in the system and the source's
    next arrival). It runs on :class:`SimpyEngine`, which is ``simpy.Environment`` with
    read-outs such as ``pending()`` added and none of simpy's stepping overridden.
    """
    env = SimpyEngine()
    arrivals, services = random.Random(seed), random.Random(seed + 1)
    mu = lam / in_system
    horizon = customers / lam

    def customer(env):
        yield env.timeout(services.expovariate(mu))

    def source(env):
        for _ in range(customers):
            yield env.timeout(arrivals.expovariate(lam))
            env.process(customer(env))

    first = events_scheduled(env)
    for _ in range(in_system):  # their start events are processed (and timed) in run()
        env.process(customer(env))
    env.process(source(env))
    started = time.process_time()
    env.run(until=horizon)
    seconds = time.process_time() - started
    return (events_scheduled(env) - first, seconds,
            sum(isinstance(event, simpy.Timeout) for event in env.pending()))


def lean_mmc(customers: int = 100_000, servers: int = 5, lam: float = 4.5, seed: int = 1):
    """The same M/M/c loop on the model's engine: customers are flows, the desk a Pool."""
    env = Engine()
    desk = Pool(env, servers)
    arrivals, services = random.Random(seed), random.Random(seed + 1)
    waits = []

    def customer():
        t = env.now
        yield desk.acquire()
        waits.append(env.now - t)
        yield services.expovariate(1.0)
        desk.release()

    def source():
        for _ in range(customers):
            yield arrivals.expovariate(lam)
            env.start(customer())

    env.start(source())
    started = time.process_time()
    env.run(until=1e11)
    seconds = time.process_time() - started
    return events_scheduled(env), seconds, statistics.fmean(waits)


def lean_mminf(in_system: int, customers: int = 100_000, lam: float = 4.5, seed: int = 1):
    """:func:`bare_mminf` on the model's engine: each customer a flow holding one number."""
    env = Engine()
    arrivals, services = random.Random(seed), random.Random(seed + 1)
    mu = lam / in_system

    def customer():
        yield services.expovariate(mu)

    def source():
        for _ in range(customers):
            yield arrivals.expovariate(lam)
            env.start(customer())

    first = events_scheduled(env)
    for _ in range(in_system):
        env.start(customer())
    env.start(source())
    started = time.process_time()
    env.run(until=customers / lam)
    seconds = time.process_time() - started
    return events_scheduled(env) - first, seconds, env.pending_count()  # customers, source


def median_time(fn, repeats: int) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls (CPU time is printed alongside where it matters)."""
    times, out = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def same_kpis(a, b) -> bool:
    """Whether two runs report the same KPIs, NaN (no eligible clients) equal to NaN."""
    return a.kpis.keys() == b.kpis.keys() and all(
        x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a.kpis.values(), b.kpis.values()))


def timed(fn) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def cpu_seconds(fn) -> float:
    """CPU seconds of one call: unaffected by other work on the machine."""
    started = time.process_time()
    fn()
    return time.process_time() - started


def paired_rates(run_model, repeats: int, reference=lambda: bare_mmc(customers=30_000)):
    """Events per CPU second of ``run_model()`` -> (events, seconds, extra), each run paired
    with short ``reference()`` runs (-> events, seconds, ...) just before and after it;
    returns the median rate, the median and range of the paired ratios, and the last run's
    output. Pairing cancels most of this machine's drift in speed between runs."""
    rates, ratios, out = [], [], None
    for _ in range(repeats):
        before = reference()
        out = run_model()
        after = reference()
        rate = out[0] / out[1]
        rates.append(rate)
        ratios.append(rate / ((before[0] + after[0]) / (before[1] + after[1])))
    return statistics.median(rates), statistics.median(ratios), min(ratios), max(ratios), out


def mean_in_system(result, horizon: float) -> float:
    """Time-average number of clients in the system over a run, from its event log."""
    log = result.log.arrays()
    start = np.zeros(result.meta["clients"])
    end = np.full(result.meta["clients"], horizon)
    referral, exit_ = log["event"] == Event.REFERRAL, log["event"] == Event.EXIT
    start[log["client"][referral]] = log["time"][referral]
    end[log["client"][exit_]] = log["time"][exit_]
    return float((end - start).sum() / horizon)


def model_run(scenario, engine: str = "lean"):
    """One replication as (engine events, CPU seconds, result)."""
    started = time.process_time()
    result = sim.run(scenario, seed=1, engine=engine)
    return result.meta["engine_events"], time.process_time() - started, result


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="fewer repeats and a smaller sweep")
    args = ap.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    print(f"python {sys.version.split()[0]}, simpy {simpy.__version__}, {os.cpu_count()} cores")

    # 1. engine events per CPU second: full model vs bare simpy, each run paired with one
    # (first, while this process's memory is fresh: a long session's scattered heap slows
    # the model more than the small reference loop)
    ref = [bare_mmc() for _ in range(repeats)]
    ref_rate = statistics.median(ev / s for ev, s in ref)
    print(f"[engine] bare simpy M/M/c (100,000 customers, c = 5, ρ = 0.9): {ref_rate:,.0f} "
          f"events per CPU second, {ref[0][0] / 100_000:.1f} events a customer")
    rate, ratio, low, high, lean = paired_rates(lean_mmc, repeats)
    print(f"[engine] the same loop on sim.engine (flows and a Pool): {rate:,.0f} events/s, "
          f"{lean[0] / 100_000:.1f} events a customer; ratio {ratio:.2f} [{low:.2f}–{high:.2f}]; "
          f"mean wait {lean[2]:.3f} d (Erlang C 1.525 d)")
    county10 = sim.preset("varsinais-suomi").with_changes({"horizon_days": 3650})
    rate, ratio, low, high, (events, _, _) = paired_rates(lambda: model_run(county10),
                                                          max(repeats, 5))
    print(f"[engine] full model, county (varsinais-suomi, 10 years, {events:,} events): "
          f"{rate:,.0f} events/s; ratio {ratio:.2f} [{low:.2f}–{high:.2f}] (target ≥ 0.70)")
    national = sim.preset("national")  # horizon 365 days
    rate, ratio, low, high, (events, _, r) = paired_rates(lambda: model_run(national), repeats)
    pending = r.meta["pending_events_at_end"]
    print(f"[engine] full model, national (1 year, {events:,} events, {pending:,} still "
          f"pending at the end): {rate:,.0f} events/s; ratio {ratio:.2f} [{low:.2f}–{high:.2f}] "
          "(target ≥ 0.70)")

    # the reference at the model's scale: what the number of live processes costs simpy itself
    in_system = round(mean_in_system(sim.run(national, seed=1, keep_log=True), 365.0))
    small = [bare_mminf(5) for _ in range(repeats)]
    large = [bare_mminf(in_system) for _ in range(repeats)]
    small_rate = statistics.median(ev / s for ev, s, _ in small)
    large_rate = statistics.median(ev / s for ev, s, _ in large)
    print(f"[scale] the simplest simpy loop (M/M/∞, each customer one process holding one "
          f"timeout; 100,000 arrivals): {small_rate:,.0f} events/s with 5 customers in the "
          f"system, {large_rate:,.0f} with {in_system:,} (the national run's time-average; "
          f"{large[0][2]:,} pending at the end): {large_rate / small_rate:.2f} of its speed "
          f"at small scale, {large_rate / ref_rate:.2f} of the M/M/c reference")
    lean_rate = statistics.median(ev / s for ev, s, _ in
                                  (lean_mminf(in_system) for _ in range(repeats)))
    print(f"[scale] the same loop on sim.engine with {in_system:,} customers in the system: "
          f"{lean_rate:,.0f} events/s ({lean_rate / ref_rate:.2f} of the M/M/c reference), "
          f"{1e6 / lean_rate:.1f} µs an event before any model work")
    rate, ratio, low, high, _ = paired_rates(
        lambda: model_run(national), repeats,
        reference=lambda: bare_mminf(in_system))
    print(f"[scale] full model, national, against the simpy loop at the same scale: ratio "
          f"{ratio:.2f} [{low:.2f}–{high:.2f}] (paired runs)")

    # 2. sweep speed-up on 2 processes: a county sweep of 3-year runs (~0.1 s a task) and of
    # 10-year runs (~0.3 s a task)
    coaches = [14, 16, 18, 20] if args.quick else [12, 14, 16, 18, 20, 22, 24, 26]
    for years, reps in ((3, 6), (10, 2)):
        base = sim.preset("keski-suomi").with_changes({"horizon_days": 365 * years})
        vary = {"ips.coaches": coaches}
        speedups = []
        for _ in range(repeats):  # interleaved pairs: the machine's drift hits both alike
            t1, r1 = median_time(lambda b=base, v=vary, n=reps: sim.sweep(b, v, n, seed=1,
                                                                          jobs=1), 1)
            t2, r2 = median_time(lambda b=base, v=vary, n=reps: sim.sweep(b, v, n, seed=1,
                                                                          jobs=2), 1)
            speedups.append(t1 / t2)
        same = all(a.kpis == b.kpis for x, y in zip(r1.results, r2.results)
                   for a, b in zip(x.runs, y.runs))
        print(f"[sweep] keski-suomi {years}-year runs, {len(r1.points)} points × {reps} "
              f"replications: 1 process {t1:.2f} s, 2 processes {t2:.2f} s; speed-up "
              f"{statistics.median(speedups):.2f}× [{min(speedups):.2f}–{max(speedups):.2f}] "
              f"(target ≥ 1.8×); identical results: {same}")

    # 3. seconds and memory per replication
    county = sim.preset("varsinais-suomi").with_changes({"horizon_days": 365})
    for name, scenario, target in (("varsinais-suomi, 1 year", county, 0.3),
                                   ("national, 1 year", national, 10.0)):
        seconds, res = median_time(lambda s=scenario: sim.run(s, seed=1), max(repeats, 3)
                                   if scenario is county else repeats)
        mb = peak_mb(lambda s=scenario: sim.run(s, seed=2))
        cpu = cpu_seconds(lambda s=scenario: sim.run(s, seed=1))
        print(f"[replication] {name}: {seconds:.3f} s wall, {cpu:.3f} s CPU (target < "
              f"{target:g} s, ratio {seconds / target:.2f}); {res.meta['clients']:,} clients, "
              f"{res.meta['engine_events']:,} engine events; peak traced memory {mb:,.0f} MB "
              "(target < 1024 MB)")
    # the same national year on plain simpy processes (the reference mode), paired run by run
    # with the lean engine, as the machine's speed drifts
    lean, plain = [], []
    for _ in range(repeats):
        lean.append(timed(lambda: sim.run(national, seed=1)))
        plain.append(timed(lambda: sim.run(national, seed=1, engine="simpy")))
    lean_s, plain_s = statistics.median(t[0] for t in lean), statistics.median(t[0] for t in plain)
    print(f"[replication] national, 1 year, on plain simpy processes (engine=\"simpy\"): "
          f"{plain_s:.3f} s wall, {statistics.median(t[1] for t in plain):.3f} s CPU, "
          f"{plain[0][2].meta['engine_events']:,} engine events; the lean engine in the same "
          f"runs {lean_s:.3f} s wall, {plain_s / lean_s:.2f}× as fast; identical results: "
          f"{same_kpis(plain[0][2], lean[0][2])}")

    return 0


if __name__ == "__main__":
    sys.exit(main())
