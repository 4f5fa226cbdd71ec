"""Time of a staffing answer with its certainty: the fewest coaches meeting p90 IPS wait ≤ 30 days.

    python benchmarks/bench_precision.py                 (or: make bench)
    python benchmarks/bench_precision.py --only county   (the county alone, ~seconds)

For each preset it runs ``sim.min_staffing`` (10 replications per value, then more where the
95 % CI straddles the target, until it is decided or within 5 % of the target; cap 40) on
2 worker processes, and prints the wall time, the answer with its certainty sentence and the
replications spent. Aims on 2 cores: county (varsinais-suomi) under 10 s, national under
3 minutes. A benchmark, not a test: it prints, it does not assert.
"""

from __future__ import annotations

import argparse
import time

import sim
from sim.planner import certainty_text

TARGET = "ips_wait_days.p90<=30"
CASES = {  # preset -> coaches to try (values at or below the offered-load floor are skipped)
    "county": ("varsinais-suomi", list(range(10, 19))),
    "national": ("national", list(range(1400, 1701, 100))),
}
AIMS = {"county": 10.0, "national": 180.0}


def bench(name: str, jobs: int) -> None:
    preset, values = CASES[name]
    scenario = sim.preset(preset)
    started = time.perf_counter()
    result = sim.min_staffing(scenario, "ips.coaches", values, TARGET, replications=10, seed=1,
                              jobs=jobs, precision=0.05, max_replications=40)
    wall = time.perf_counter() - started
    best = result.best()
    runs = sum(r.n for r in result.results)
    print(f"{preset}: {wall:.1f} s (aim < {AIMS[name]:g} s) for {len(result.points)} values × "
          f"{min(r.n for r in result.results)}–{max(r.n for r in result.results)} replications "
          f"= {runs} runs, {jobs} processes; floor {result.offered_load['ips.coaches']:.1f} coaches")
    print(f"  answer: {best['ips.coaches'] if best else 'none in range'} coaches for {TARGET}")
    if best:
        print(f"  {certainty_text(result, 'en')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(CASES), help="run one preset only")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    for name in [args.only] if args.only else list(CASES):
        bench(name, args.jobs)


if __name__ == "__main__":
    main()
