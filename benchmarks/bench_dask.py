"""One sweep on the local process pool against a local Dask cluster of 1 and 2 workers.

    python benchmarks/bench_dask.py                  (or: make bench)
    python benchmarks/bench_dask.py --replications 4 --horizon-days 365   (quicker)

Prints, for each backend, the sweep's wall time (the cluster's start-up not counted, printed
apart), the speed-up against 1 worker and the per-task overhead: the same tasks once more with
1-day runs (a few ms of simulation each), so the time is mostly Dask's (or the pool's) own. Checks that every
backend's per-replication KPIs equal the serial ones. A benchmark, not a test: it prints.

Then the aims of issue #15: ≥ 1.8× from 1 to 2 Dask workers; the scaling efficiency on all the
machine's cores (speed-up ÷ cores, process pool and Dask); and whether ≥ 12× on 16 cores is
possible: the parent process hands out every task and collects and stores (sim/store.py) every
result, in series, while the workers simulate; its CPU time per task, measured during a sweep
into a result store, against a task's simulation time bounds the speed-up any number of workers
can give (the parent is one stage of a pipeline: at most task ÷ parent's share per task).
"""

from __future__ import annotations

import argparse
import os
import pickle
import tempfile
import time
from pathlib import Path

import numpy as np
from distributed import Client, LocalCluster

import sim
from sim.store import ResultStore, scenario_hash


def _kpis(result: sim.SweepResult) -> list[dict]:
    return [r.kpis for reps in result.results for r in reps.runs]


def timed_sweep(scenario: sim.Scenario, vary: dict, n: int, **backend) -> tuple[float, sim.SweepResult]:
    started = time.perf_counter()
    result = sim.sweep(scenario, vary, n, seed=1, **backend)
    return time.perf_counter() - started, result


def parent_cpu(scenario: sim.Scenario, vary: dict, n: int, **backend) -> tuple[float, float]:
    """The parent's CPU seconds for a sweep into a fresh result store (all its threads: Dask's
    client threads too; the workers' simulation is in other processes, so not counted), and
    the bytes it holds per replication afterwards (pickled: KPIs and run facts; the weekly
    series stay in the store)."""
    with tempfile.TemporaryDirectory() as folder, \
            ResultStore(Path(folder) / "results.sqlite", scenario_hash(scenario)) as store:
        started = time.process_time()
        result = sim.sweep(scenario, vary, n, seed=1, store=store, **backend)
        cpu = time.process_time() - started
        held = np.mean([len(pickle.dumps(r)) for reps in result.results for r in reps.runs])
        return cpu, float(held)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="varsinais-suomi")
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--horizon-days", type=float, default=3 * 365)
    args = parser.parse_args()
    scenario = sim.preset(args.preset).with_changes({"horizon_days": args.horizon_days})
    vary = {"ips.coaches": [10, 12, 14, 16]}
    empty = scenario.with_changes({"horizon_days": 1})
    runs = len(vary["ips.coaches"]) * args.replications
    print(f"{args.preset}, {args.horizon_days:g} days: sweep of {runs} runs "
          f"({len(vary['ips.coaches'])} values × {args.replications} replications)")
    serial_time, serial = timed_sweep(scenario, vary, args.replications, jobs=1)
    serial_idle, _ = timed_sweep(empty, vary, args.replications, jobs=1)
    print(f"  serial (jobs=1)      {serial_time:7.2f} s; a 1-day run takes "
          f"{1000 * serial_idle / runs:.1f} ms")
    rows = {}
    cores = os.cpu_count() or 1
    pools = [("process pool, 2", {"jobs": 2})]
    if cores > 2:
        pools.append((f"process pool, {cores}", {"jobs": cores}))
    for name, backend in pools:
        wall, result = timed_sweep(scenario, vary, args.replications, **backend)
        idle, _ = timed_sweep(empty, vary, args.replications, **backend)
        rows[name] = (wall, idle, result)
    for workers in sorted({1, 2, cores}):
        started = time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            startup = time.perf_counter() - started
            client.run(lambda: __import__("sim"))  # warm: the workers import the package
            client.wait_for_workers(workers)
            wall, result = timed_sweep(scenario, vary, args.replications, client=client)
            idle, _ = timed_sweep(empty, vary, args.replications, client=client)
            if workers == 2:
                dask_parent, _ = parent_cpu(scenario, vary, args.replications, client=client)
        rows[f"dask, {workers} worker{'s' if workers > 1 else ''}"] = (wall, idle, result)
        print(f"  (local cluster of {workers} started in {startup:.1f} s)")
    base = rows["dask, 1 worker"][0]
    for name, (wall, idle, result) in rows.items():
        np.testing.assert_equal(_kpis(result), _kpis(serial))
        print(f"  {name:20s} {wall:7.2f} s  {serial_time / wall:4.2f}× serial, "
              f"{base / wall:4.2f}× 1 Dask worker; overhead {1000 * idle / runs:5.1f} ms a task "
              "(wall per 1-day run)")
    print("  identical per-replication KPIs on every backend")

    # the aims of issue #15
    pool2 = rows["process pool, 2"][0]
    dask2 = rows["dask, 2 workers"][0]
    two = base / dask2
    print(f"\naim ≥ 1.80× on 2 cores (Dask, 2 workers vs 1): {two:4.2f}× "
          f"({'met' if two >= 1.8 else 'NOT met'}); process pool of 2 vs serial "
          f"{serial_time / pool2:4.2f}×; Dask 2 vs the process pool of 2: {pool2 / dask2:4.2f}×")
    for name in (f"process pool, {cores}", f"dask, {cores} workers"):
        if name in rows:
            speed = serial_time / rows[name][0]
            print(f"scaling efficiency on all {cores} cores, {name}: {speed:4.2f}× serial = "
                  f"{speed / cores:4.0%} of {cores}")
    task = serial_time / runs
    results = [(reps.scenario, 1, i, r) for reps in serial.results for i, r in enumerate(reps.runs)]
    with tempfile.TemporaryDirectory() as folder, \
            ResultStore(Path(folder) / "results.sqlite", scenario_hash(scenario)) as store:
        started = time.perf_counter()
        for s, seed, i, r in results:
            store.put((s, seed, i), r)
        put = (time.perf_counter() - started) / len(results)
    pool_parent, held = parent_cpu(scenario, vary, args.replications, jobs=2)
    whole = np.mean([len(pickle.dumps(r)) for _, _, _, r in results])
    print(f"the parent keeps per replication {held / 1024:.1f} KiB (KPIs and run facts; the weekly "
          f"series stay in the store), {whole / 1024:.1f} KiB without a store; at the "
          f"{sim.experiment.MAX_RUNS:,}-run cap of a call {held * sim.experiment.MAX_RUNS / 2**20:.0f} "
          "MiB, whatever the number of workers")
    print(f"per task: {1000 * task:.0f} ms of simulation; storing one result takes {1000 * put:.1f} "
          "ms (one SQLite transaction)")
    for name, cpu in (("process pool", pool_parent), ("Dask", dask_parent)):
        per_task = cpu / runs
        bound = min(16.0, task / per_task) if per_task > 0 else 16.0
        print(f"  {name}: the parent's CPU per task (hand out, collect, store) {1000 * per_task:.1f} "
              f"ms → at most {bound:4.1f}× on 16 workers (aim ≥ 12× possible: "
              f"{'yes' if bound >= 12 else 'no'})")


if __name__ == "__main__":
    main()
