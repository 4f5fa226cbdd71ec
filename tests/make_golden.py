"""Regenerate the golden summary: ``make golden`` (or ``python tests/make_golden.py``).

Run it only on purpose, after a change that is meant to move the model's numbers; review
the diff of tests/golden/*.csv in the commit that changes them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import sim

GOLDEN = Path(__file__).with_name("golden") / "varsinais-suomi-2y-seed1.csv"
SCENARIO_CHANGES = {"horizon_days": 730}
REPLICATIONS, SEED = 3, 1


def golden_summary() -> list[dict[str, str]]:
    scenario = sim.preset("varsinais-suomi").with_changes(SCENARIO_CHANGES)
    reps = sim.replicate(scenario, REPLICATIONS, seed=SEED)
    return [{"metric": r.metric, "unit": r.unit, "mean": repr(r.mean),
             "ci95_low": repr(r.ci95_low), "ci95_high": repr(r.ci95_high)}
            for r in reps.summary()]


def main() -> None:
    rows = golden_summary()
    GOLDEN.parent.mkdir(exist_ok=True)
    with GOLDEN.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {GOLDEN} ({len(rows)} metrics)")


if __name__ == "__main__":
    main()
