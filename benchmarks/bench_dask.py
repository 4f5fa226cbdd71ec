"""One sweep on the local process pool against a local Dask cluster of 1 and 2 workers.

    python benchmarks/bench_dask.py                  (or: make bench)
    python benchmarks/bench_dask.py --replications 4 --horizon-days 365   (quicker)

Prints, for each backend, the sweep's wall time (the cluster's start-up not counted, printed
apart), the speed-up against 1 worker and the per-task overhead: the same tasks once more with
1-day runs (a few ms of simulation each), so the time is mostly Dask's (or the pool's) own. Checks that every
backend's per-replication KPIs equal the serial ones. A benchmark, not a test: it prints.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from distributed import Client, LocalCluster

import sim


def _kpis(result: sim.SweepResult) -> list[dict]:
    return [r.kpis for reps in result.results for r in reps.runs]


def timed_sweep(scenario: sim.Scenario, vary: dict, n: int, **backend) -> tuple[float, sim.SweepResult]:
    started = time.perf_counter()
    result = sim.sweep(scenario, vary, n, seed=1, **backend)
    return time.perf_counter() - started, result


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
    for name, backend in (("process pool, 2", {"jobs": 2}),):
        wall, result = timed_sweep(scenario, vary, args.replications, **backend)
        idle, _ = timed_sweep(empty, vary, args.replications, **backend)
        rows[name] = (wall, idle, result)
    for workers in (1, 2):
        started = time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            startup = time.perf_counter() - started
            client.run(lambda: __import__("sim"))  # warm: the workers import the package
            wall, result = timed_sweep(scenario, vary, args.replications, client=client)
            idle, _ = timed_sweep(empty, vary, args.replications, client=client)
        rows[f"dask, {workers} worker{'s' if workers > 1 else ''}"] = (wall, idle, result)
        print(f"  (local cluster of {workers} started in {startup:.1f} s)")
    base = rows["dask, 1 worker"][0]
    for name, (wall, idle, result) in rows.items():
        np.testing.assert_equal(_kpis(result), _kpis(serial))
        print(f"  {name:20s} {wall:7.2f} s  {serial_time / wall:4.2f}× serial, "
              f"{base / wall:4.2f}× 1 Dask worker; overhead {1000 * idle / runs:5.1f} ms a task "
              "(wall per 1-day run)")
    print("  identical per-replication KPIs on every backend")


if __name__ == "__main__":
    main()
